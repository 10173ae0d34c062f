"""``loyalist metrics list`` and ``loyalist metrics NAME``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from loyalist.cli.common import check_choice, settings_of
from loyalist.cli.output import app, print_rows
from loyalist.data.frames import records
from loyalist.data.views import tables
from loyalist.errors import NotFoundError
from loyalist.metrics.registry import METRICS, metric
from loyalist.segments.dates import resolve_as_of
from loyalist.store.workspace import Workspace


def _as_of(backend: Any, t: dict[str, Any], as_of: str | None) -> dt.date | None:
    """``--as-of``, else the last order day, else nothing (the metric decides)."""
    try:
        return resolve_as_of(backend, t, as_of)
    except NotFoundError:
        return None


@app.command("metrics")
def metrics(ctx: typer.Context,
            name: Annotated[str, typer.Argument(help="A metric, or 'list' to list them.")],
            as_of: Annotated[str | None, typer.Option(
                help="Day (YYYY-MM-DD) [default: the last order day].")] = None,
            period: Annotated[str | None, typer.Option(
                help="day, week or month [default: the metric's].")] = None,
         variant: Annotated[str | None, typer.Option(help="Variant, e.g. on_or_after.")] = None,
         share: Annotated[float | None, typer.Option(help="Top share, e.g. 0.2.")] = None,
         by: Annotated[str | None, typer.Option(help="Customer column to split by.")] = None,
         fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
         limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 50) -> None:
    """Compute one metric (JSON: a list of records with stable column names); 'list' lists."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    if period is not None:
        check_choice("--period", period, ("day", "week", "month"))
    if name == "list":
        print_rows([{"metric": m.name, "what": m.description} for m in METRICS.values()], fmt,
                   title="metrics", limit=len(METRICS))
        return
    chosen = metric(name)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        options = {"as_of": _as_of(backend, t, as_of), "period": period, "variant": variant,
                   "share": share, "by": by}
        frame = backend.execute(chosen.build(t, options))
    for column in frame.columns:  # date columns arrive as midnight timestamps: print dates
        values = frame[column]
        if str(values.dtype).startswith("datetime64") and (values.dt.normalize() == values).all():
            frame[column] = values.dt.date
    print_rows(records(frame, iso=True), fmt, title=name, limit=limit)
