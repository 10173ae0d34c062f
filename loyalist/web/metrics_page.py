"""Dashboard page ``/metrics``: any registry metric with its options as form fields.

Shows the metric's table and, when it is a time series (one row per date), a chart of the
chosen column. The workspace is opened per request and closed again.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyalist.api.analytics import metric_options
from loyalist.api.cache import cached
from loyalist.data.views import tables
from loyalist.errors import InputError, LoyalistError
from loyalist.metrics.periods import PERIODS
from loyalist.metrics.registry import METRICS
from loyalist.report.charts import series_chart
from loyalist.report.html import Section
from loyalist.report.tables import table
from loyalist.segments.dates import as_date
from loyalist.store.workspace import Workspace
from loyalist.web.pages import _allowed, _page

router = APIRouter(include_in_schema=False)
MAX_ROWS = 500


def _select(name: str, choices: list[str], chosen: str, label: str) -> str:
    options = "".join(f'<option{" selected" if c == chosen else ""} value="{escape(c)}">'
                      f"{escape(c) or '(default)'}</option>" for c in choices)
    return f'<label>{label} <select name="{name}">{options}</select></label>'


def _form(values: dict[str, str], columns: list[str], numeric: list[str]) -> str:
    chart = _select("column", numeric, values["column"], "Chart") if numeric else ""
    return ('<form class="filters" method="get">'
            + _select("name", list(METRICS), values["name"], "Metric")
            + f' <label>As of <input type="date" name="as_of" value="{escape(values["as_of"])}">'
            "</label> " + _select("period", ["", *PERIODS], values["period"], "Period")
            + " " + _select("by", ["", *columns], values["by"], "By")
            + f' <label>Variant <input name="variant" size="12" value="'
              f'{escape(values["variant"])}"></label> {chart}'
            ' <button type="submit">Apply</button></form>')


def _chart(frame: pd.DataFrame, column: str) -> str:
    """A line over time when the first column holds one date per row, else nothing."""
    first = frame.columns[0]
    if not len(frame) > 1 or not pd.api.types.is_datetime64_any_dtype(frame[first]) \
            or not frame[first].is_unique or column not in frame:
        return ""
    data = frame[[first, column]].dropna()
    if len(data) < 2:
        return ""
    return series_chart(list(range(len(data))), {column: [float(v) for v in data[column]]},
                        title=column, x_label=str(first), y_label=column,
                        x_ticks=[str(v)[:10] for v in data[first]])


def _run(request: Request, values: dict[str, str]) -> tuple[pd.DataFrame, int, list[str]]:
    workspace = Workspace(request.app.state.settings.workspace)
    with workspace.ibis() as backend:
        t = tables(backend)
        columns = list(t["customers"].columns)
        options = metric_options(
            t, as_of=as_date(values["as_of"]) if values["as_of"] else None,
            period=values["period"] or None, by=values["by"] or None,
            variant=values["variant"] or None, share=None)
        key = ("metric", values["name"], *sorted(options.items()))
        expr = cached(workspace, backend, key, lambda: METRICS[values["name"]].build(t, options))
        total = int(backend.execute(expr.count()))
        return backend.execute(expr.limit(MAX_ROWS)), total, columns


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(request: Request, name: str = "orders_by_month", as_of: str = "",
                 period: str = "", by: str = "", variant: str = "",
                 column: str = "") -> Response:
    """One metric from the registry with its options; a chart for time series."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    values = {"name": name if name in METRICS else "orders_by_month", "as_of": as_of[:10],
              "period": period, "by": by[:64], "variant": variant[:64], "column": column}
    try:
        if period and period not in PERIODS:
            raise InputError(f"period must be one of {', '.join(PERIODS)}", option="period")
        frame, total, columns = _run(request, values)
    except LoyalistError as exc:
        response = _page("Metrics", [Section(values["name"], f'<p class="absent">'
                                             f"{escape(exc.message)}</p>")], _form(values, [], []))
        response.status_code = exc.status
        return response
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    values["column"] = column if column in numeric else (numeric[0] if numeric else "")
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    shown = f" (first {MAX_ROWS:,})" if total > MAX_ROWS else ""
    body = (_chart(frame, values["column"])
            + f'<p><span id="row-count">{total:,}</span> rows{shown}.</p>'
            + table([str(c) for c in frame.columns], rows))
    entry = METRICS[values["name"]]
    return _page("Metrics", [Section(entry.name, body, entry.description)],
                 _form(values, columns, numeric))


def _cell(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
