"""Output of the command line: the Typer app, consoles, tables, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable
from typer.core import TyperGroup

from loyalist.data.importer import ImportResult
from loyalist.errors import LoyalistError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class _Group(TyperGroup):
    """Render every :class:`LoyalistError` as one line on stderr, exit status 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LoyalistError as exc:
            err.print(f"[red]error:[/red] {exc.message}", highlight=False, markup=True)
            raise typer.Exit(2) from None


app = typer.Typer(cls=_Group, add_completion=False, pretty_exceptions_enable=False,
                  no_args_is_help=True, help="Customer loyalty and retention analytics.")


def print_summary(result: ImportResult, fmt: str) -> None:
    """Print an import summary as text or one JSON object."""
    if fmt == "json":
        out.print_json(json.dumps({
            "table": result.table, "file": result.file, "lines_read": result.lines_read,
            "rows_loaded": result.rows_loaded, "rows_rejected": result.rows_rejected}))
        return
    out.print(f"{result.table} <- {result.file}: {result.lines_read:,} lines read, "
              f"{result.rows_loaded:,} loaded, {result.rows_rejected:,} rejected", highlight=False)


def print_rows(rows: list[dict[str, Any]], fmt: str, *, title: str, limit: int) -> None:
    """Print records as a table, CSV or a JSON list with stable keys."""
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, default=str) + "\n")
        return
    if fmt == "csv":
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
        return
    grid = RichTable(title=title)
    for name in rows[0] if rows else ["table", "file", "line", "column", "reason"]:
        grid.add_column(name)
    for row in rows[:limit]:
        grid.add_row(*(_cell(v) for v in row.values()))
    out.print(grid)
    if len(rows) > limit:
        out.print(f"... {len(rows) - limit:,} more (use --limit or --format csv)")


def _cell(value: Any) -> str:
    """Table text of a value: floats rounded for reading (CSV and JSON keep full precision)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.4f}"
    return str(value)
