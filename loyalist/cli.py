"""The ``loyalist`` command line: thin commands over the library.

Settings are read once here (:meth:`loyalist.config.Settings.from_env`, overridden by
``--workspace``). Expected errors print one line and exit with status 2; no traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from typer.core import TyperGroup

from loyalist import __version__
from loyalist.config import Settings
from loyalist.data import datasets, schema
from loyalist.data.docs import render_text
from loyalist.data.importer import ImportResult, import_file, rejects
from loyalist.demo import run_demo
from loyalist.errors import InputError, LoyalistError
from loyalist.report import build_report
from loyalist.store.workspace import Workspace

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


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@app.callback()
def _main(
    ctx: typer.Context,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="Workspace directory [env LOYALIST_WORKSPACE].")] = None,
) -> None:
    settings = Settings.from_env(os.environ)
    if workspace is not None:
        settings = Settings(workspace=workspace, operational_url=settings.operational_url,
                            progress=settings.progress)
    ctx.obj = settings


@app.command()
def version() -> None:
    """Print the loyalist version."""
    out.print(__version__)


@app.command("schema")
def schema_cmd(table: Annotated[str | None, typer.Argument(help="One table.")] = None) -> None:
    """Print the canonical data model (all tables, or one)."""
    specs = [schema.table(table)] if table else list(schema.TABLES)
    out.print(render_text(specs), highlight=False, markup=False)


def _parse_map(pairs: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise InputError(f"--map expects target=source, got {pair!r}", value=pair)
        mapping[target.strip()] = source.strip()
    return mapping


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="Canonical table, e.g. orders.")],
    file: Annotated[Path, typer.Argument(help="CSV (.csv, .csv.gz) or Parquet file.")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="target=source column mapping; repeatable.")] = None,
    strict: Annotated[bool, typer.Option(help="Load nothing if any row is rejected.")] = False,
    date_format: Annotated[str | None, typer.Option(help="strptime format for dates.")] = None,
    delimiter: Annotated[str, typer.Option(help="CSV field separator.")] = ",",
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Import FILE into TABLE: bad rows are kept as rejects, re-importing changes nothing."""
    _check_choice("--format", fmt, ("text", "json"))
    settings = _settings(ctx)
    with _progress(settings, fmt == "text") as step:
        result = import_file(Workspace(settings.workspace), table, file,
                             mapping=_parse_map(map_ or []), strict=strict,
                             date_format=date_format, delimiter=delimiter, progress=step)
    _print_summary(result, fmt)


@app.command("rejects")
def rejects_cmd(
    ctx: typer.Context,
    table: Annotated[str | None, typer.Argument(help="Only this table.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 50,
) -> None:
    """List rejected lines with file, line, column and reason."""
    _check_choice("--format", fmt, ("table", "csv", "json"))
    rows = rejects(Workspace(_settings(ctx).workspace), table)
    _print_rows(rows, fmt, title=f"{len(rows)} rejected cell(s)", limit=limit)


@app.command()
def demo(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option(help="online-retail or cdnow.")] = "online-retail",
    into: Annotated[Path | None, typer.Option(
        help="Workspace for the demo [default: loyalist-demo/DATASET].")] = None,
) -> None:
    """Load a shipped real data set into a fresh workspace and write the report."""
    _check_choice("--dataset", dataset, datasets.DATASETS)
    directory = into or Path("loyalist-demo") / dataset
    with _progress(_settings(ctx), True) as step:
        results, report = run_demo(dataset, directory, on_step=step)
    for result in results:
        _print_summary(result, "text")
    out.print(f"report: {report}", highlight=False)
    out.print(f"workspace: {directory}  (try: loyalist -w {directory} rejects)", highlight=False)


@app.command()
def report(
    ctx: typer.Context,
    out_file: Annotated[Path | None, typer.Option("--out", help="Output HTML file.")] = None,
) -> None:
    """Write the self-contained HTML report of the workspace."""
    path = build_report(Workspace(_settings(ctx).workspace), out_file)
    out.print(f"report: {path}", highlight=False)


def _check_choice(option: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise InputError(f"{option} must be one of {', '.join(choices)}, got {value!r}",
                         option=option, value=value)


class _progress:  # noqa: N801 - used as a context manager like a function
    """A spinner with the current step, shown only on a terminal when enabled."""

    def __init__(self, settings: Settings, enabled: bool) -> None:
        self.enabled = enabled and settings.progress and err.is_terminal
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda _name: None
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                  TimeElapsedColumn(), console=err, transient=True)
        self._progress.start()
        self._task = self._progress.add_task("starting", total=None)
        progress, task = self._progress, self._task
        return lambda name: progress.update(task, description=name)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _print_summary(result: ImportResult, fmt: str) -> None:
    if fmt == "json":
        out.print_json(json.dumps({
            "table": result.table, "file": result.file, "lines_read": result.lines_read,
            "rows_loaded": result.rows_loaded, "rows_rejected": result.rows_rejected}))
        return
    out.print(f"{result.table} <- {result.file}: {result.lines_read:,} lines read, "
              f"{result.rows_loaded:,} loaded, {result.rows_rejected:,} rejected", highlight=False)


def _print_rows(rows: list[dict[str, Any]], fmt: str, *, title: str, limit: int) -> None:
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
        grid.add_row(*("" if v is None else str(v) for v in row.values()))
    out.print(grid)
    if len(rows) > limit:
        out.print(f"... {len(rows) - limit:,} more (use --limit or --format csv)")


def main() -> None:
    """Entry point of the ``loyalist`` script."""
    app(prog_name="loyalist")
