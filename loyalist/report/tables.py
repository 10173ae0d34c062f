"""HTML tables for the report, including heat-coloured grids (inline styles, no scripts)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any


def fmt(value: Any) -> str:
    """Text of a cell: thousands separators, two decimals for fractional numbers."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain table."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def heat(value: float, peak: float) -> str:
    """Background colour for ``value`` on a white-to-blue scale up to ``peak``."""
    share = 0.0 if peak <= 0 else max(0.0, min(1.0, value / peak))
    return f"background:rgba(59,110,168,{0.08 + 0.72 * share:.2f});" + (
        "color:#fff;" if share > 0.55 else "")


def heat_grid(row_label: str, col_label: str, rows: Sequence[Any], cols: Sequence[Any],
              cells: dict[tuple[Any, Any], tuple[float, str]],
              links: dict[tuple[Any, Any], str] | None = None) -> str:
    """A grid whose cells are coloured by their number; ``cells[(row, col)] = (number, text)``.

    ``links[(row, col)]``, when given, makes the cell's number a link (dashboard drill-down).
    """
    peak = max((v for v, _ in cells.values()), default=0.0)
    head = f"<th>{escape(row_label)} \\ {escape(col_label)}</th>" + "".join(
        f"<th>{escape(fmt(c))}</th>" for c in cols)
    body = []
    for r in rows:
        tds = []
        for c in cols:
            number, text = cells.get((r, c), (0.0, ""))
            shown = escape(text.splitlines()[0] if text else "")
            href = (links or {}).get((r, c))
            if href and shown:
                shown = f'<a class="drill" href="{escape(href)}">{shown}</a>'
            tds.append(f'<td style="{heat(number, peak)}" title="{escape(text)}">{shown}</td>')
        body.append(f"<tr><th>{escape(fmt(r))}</th>{''.join(tds)}</tr>")
    return (f'<table class="grid"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def _td(value: Any) -> str:
    # numbers align right (the column's default), text left, as in a spreadsheet
    is_text = isinstance(value, str) and not value.rstrip("%").replace(".", "", 1).isdigit()
    return f'<td class="t">{escape(value)}</td>' if is_text else f"<td>{escape(fmt(value))}</td>"
