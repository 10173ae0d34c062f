"""CLV commands: fit the models on the workspace's orders, predict per customer."""

from __future__ import annotations

from typing import Annotated

import typer

from loyalist.cli.common import check_choice, progress_steps, settings_of
from loyalist.cli.output import app, out, print_rows
from loyalist.clv.stored import NOT_FITTED
from loyalist.clv.summary import Unit
from loyalist.clv.workflow import (
    HORIZON_UNITS,
    MODELS,
    fit_clv,
    load_fit,
    predict_customers,
    save_clv,
)
from loyalist.data.frames import records
from loyalist.data.views import tables
from loyalist.errors import NotFoundError
from loyalist.segments.dates import as_date, resolve_as_of
from loyalist.store.workspace import Workspace

clv_app = typer.Typer(help="Customer lifetime value: BG/NBD, MBG/NBD, Pareto/NBD + Gamma-Gamma.",
                      no_args_is_help=True)
app.add_typer(clv_app, name="clv")
Fmt = Annotated[str, typer.Option("--format", help="table, csv or json.")]


@clv_app.command("fit")
def fit(ctx: typer.Context,
        model: Annotated[str, typer.Option(help=f"One of {', '.join(MODELS)}.")] = "bgnbd",
        as_of: Annotated[str | None, typer.Option(
            help="Observation end (YYYY-MM-DD) [default: last order].")] = None,
        calibration_end: Annotated[str | None, typer.Option(
            help="Also validate a fit up to this date against what happened after it.")] = None,
        unit: Annotated[Unit, typer.Option(help="Time unit of the fit: W (weeks) or D.")] = "W",
        ) -> None:
    """Fit a purchase model and the spend model; store 12-month predictions in the workspace."""
    check_choice("--model", model, tuple(MODELS))
    check_choice("--unit", unit, ("W", "D"))
    settings = settings_of(ctx)
    ws = Workspace(settings.workspace)
    with progress_steps(settings, True) as step:
        step("summarising orders and fitting")
        with ws.ibis() as backend:
            t = tables(backend)
            end = resolve_as_of(backend, t, as_of)
            result = fit_clv(backend, t, model=model, observation_end=end, unit=unit,
                             calibration_end=as_date(calibration_end) if calibration_end else None)
        step("predicting")
        predictions = predict_customers(result)
        step("saving")
        with ws.connect() as con:
            save_clv(con, result, predictions)
    fitted = result.model
    out.print(f"{type(fitted).__name__} on {len(result.summary):,} customers up to {end} "
              f"(unit {unit}): log-likelihood {fitted.log_likelihood_:,.1f}, "
              f"AIC {fitted.aic_:,.1f}", highlight=False)
    rows = [{"param": k, "estimate": v, "se": fitted.standard_errors_[k]}
            for k, v in fitted.params_.items()]
    if result.spend is not None:
        rows += [{"param": f"spend {k}", "estimate": v, "se": result.spend.standard_errors_[k]}
                 for k, v in result.spend.params_.items()]
    print_rows(rows, "table", title="Estimates", limit=len(rows))
    if not result.holdout.empty:
        print_rows(records(result.holdout), "table",
                   title=f"Holdout after {result.calibration_end}: mean purchases by "
                         "calibration repeat purchases", limit=20)


@clv_app.command("predict")
def predict(ctx: typer.Context,
            horizon: Annotated[float, typer.Option(help="How far ahead.")] = 12,
            unit: Annotated[str, typer.Option(help="days, weeks or months.")] = "months",
            discount_rate: Annotated[float, typer.Option(help="Monthly discount rate.")] = 0.01,
            limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 20,
            fmt: Fmt = "table") -> None:
    """Per customer, most valuable first: P(alive), expected purchases and spend, CLV."""
    check_choice("--unit", unit, tuple(HORIZON_UNITS))
    check_choice("--format", fmt, ("table", "csv", "json"))
    ws = Workspace(settings_of(ctx).workspace)
    with ws.ibis() as backend:
        stored = load_fit(backend)
    if stored is None:
        raise NotFoundError(NOT_FITTED)
    result = stored[0]
    predictions = predict_customers(result, horizon=horizon, horizon_unit=unit,
                                    discount_rate=discount_rate)
    with ws.connect() as con:
        save_clv(con, None, predictions)
    ranked = predictions.sort_values("clv", ascending=False)
    print_rows(records(ranked), fmt,
               title=f"CLV over {horizon:g} {unit} ({result.model_name})", limit=limit)
