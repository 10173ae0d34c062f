"""``loyalist metrics list`` and ``loyalist metrics NAME``."""

from __future__ import annotations

from typing import Annotated

import typer

from loyalist.cli.common import check_choice, settings_of
from loyalist.cli.output import app, print_rows
from loyalist.data.frames import records
from loyalist.data.views import tables
from loyalist.metrics.registry import METRICS, metric
from loyalist.store.workspace import Workspace


@app.command("metrics")
def metrics(ctx: typer.Context,
            name: Annotated[str, typer.Argument(help="A metric, or 'list' to list them.")],
         variant: Annotated[str | None, typer.Option(help="Variant, e.g. on_or_after.")] = None,
         share: Annotated[float | None, typer.Option(help="Top share, e.g. 0.2.")] = None,
         by: Annotated[str | None, typer.Option(help="Customer column to split by.")] = None,
         fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
         limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 50) -> None:
    """Compute one metric (JSON: a list of records with stable column names); 'list' lists."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    if name == "list":
        print_rows([{"metric": m.name, "what": m.description} for m in METRICS.values()], fmt,
                   title="metrics", limit=len(METRICS))
        return
    chosen = metric(name)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        frame = backend.execute(chosen.build(tables(backend), {"variant": variant,
                                                               "share": share, "by": by}))
    for column in frame.columns:  # date columns arrive as midnight timestamps: print dates
        values = frame[column]
        if str(values.dtype).startswith("datetime64") and (values.dt.normalize() == values).all():
            frame[column] = values.dt.date
    print_rows(records(frame, iso=True), fmt, title=name, limit=limit)
