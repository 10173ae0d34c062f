"""Churn-risk commands: score, explain one customer, backtest against later churn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import ibis
import typer

from loyalist.cli.common import check_choice, settings_of
from loyalist.cli.output import app, out, print_rows
from loyalist.data.views import tables
from loyalist.errors import InputError, NotFoundError
from loyalist.risk import LearnedScore, backtest, explain, health_scores, load_spec
from loyalist.risk.palive import p_alive_source, p_alive_table
from loyalist.risk.score import score_signals
from loyalist.risk.signals import risk_signals
from loyalist.segments.dates import resolve_as_of
from loyalist.store.workspace import Workspace

risk_app = typer.Typer(help="Churn risk: health scores, explanations, backtests.",
                       no_args_is_help=True)
app.add_typer(risk_app, name="risk")
AsOf = Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD) [default: last order].")]
SpecOpt = Annotated[Path | None, typer.Option("--spec", help="Health spec YAML.")]
Fmt = Annotated[str, typer.Option("--format", help="table, csv or json.")]


def _spec(path: Path | None) -> Any:
    return load_spec(path) if path else load_spec()


@risk_app.command("score")
def score(ctx: typer.Context, as_of: AsOf = None, spec: SpecOpt = None,
          grade: Annotated[str | None, typer.Option(help="Only red, yellow or green.")] = None,
          limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 20,
          fmt: Fmt = "table") -> None:
    """Health score (0-100, higher = more risk), grade and trend per customer, riskiest first."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    chosen = _spec(spec)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        expr = health_scores(t, chosen, as_of=day, p_alive=p_alive_source(backend, t))
        if grade:
            check_choice("--grade", grade, ("red", "yellow", "green"))
            expr = expr.filter(expr.grade == grade)
        frame = backend.execute(expr if fmt != "table" else expr.limit(limit))
    rows = []
    for row in frame.to_dict(orient="records"):
        drivers = ", ".join(f"{n} {p:.0f}" for n, p in explain(row, chosen))
        rows.append({"customer_id": row["customer_id"], "score": row["score"],
                     "grade": row["grade"], "trend": row["trend"], "drivers": drivers})
    print_rows(rows, fmt, title=f"Churn risk as of {day}", limit=limit)


@risk_app.command("explain")
def explain_cmd(ctx: typer.Context, customer_id: str, as_of: AsOf = None,
                spec: SpecOpt = None) -> None:
    """Every signal of one customer and how much it added to the score."""
    chosen = _spec(spec)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        s = score_signals(risk_signals(t, as_of=day, p_alive=p_alive_table(
            backend, t, as_of=day)), chosen)
        frame = backend.execute(s.filter(s.customer_id == customer_id))
    if frame.empty:
        raise NotFoundError(f"no customer {customer_id!r}", customer_id=customer_id)
    row = frame.iloc[0].to_dict()
    out.print(f"customer {customer_id} as of {day}: score {row['score']:.1f} ({row['grade']})",
              highlight=False)
    for name, points in explain(row, chosen, top=len(chosen.rules)):
        out.print(f"  {name:<26} {row[name]!s:>10}  +{points:.1f}", highlight=False)


@risk_app.command("backtest")
def backtest_cmd(ctx: typer.Context,
                 as_of: Annotated[str, typer.Option(help="Score as of this past date.")],
                 horizon: Annotated[int, typer.Option(help="Churn = no order within N days.")]
                 = 90, spec: SpecOpt = None) -> None:
    """Score everyone at a past date; measure against who ordered again within the horizon.

    The learned score is fitted one horizon earlier (signals then, churn up to AS_OF).
    """
    chosen = _spec(spec)
    day = dt.date.fromisoformat(as_of)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        before = day - dt.timedelta(days=horizon)
        now = backend.execute(score_signals(risk_signals(
            t, as_of=day, p_alive=p_alive_table(backend, t, as_of=day)), chosen))
        train = backend.execute(risk_signals(t, as_of=before, p_alive=p_alive_table(
            backend, t, as_of=before)))
        bought = _buyers(backend, t, day, horizon)
        bought_before = _buyers(backend, t, day - dt.timedelta(days=horizon), horizon)
    churned = (~now.customer_id.isin(bought)).to_numpy()
    if churned.all() or not churned.any():
        raise InputError("the backtest needs both churners and stayers after AS_OF")
    results = {"declarative": backtest(now.score.to_numpy(), churned)}
    model = LearnedScore().fit(train, (~train.customer_id.isin(bought_before)).to_numpy())
    results["learned"] = backtest(model.predict(now[train.columns]), churned)
    for name, bt in results.items():
        out.print(f"{name}: n {bt.n:,}, churn {bt.churn_rate:.1%}, AUC {bt.auc:.3f}, "
                  f"top-decile lift {bt.top_decile_lift:.2f}", highlight=False)


def _buyers(backend: Any, t: dict[str, Any], day: dt.date, horizon: int) -> set[str]:
    o = t["orders"].filter(t["orders"].customer_id.notnull())
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    end = start + dt.timedelta(days=horizon)
    rows = backend.execute(o.filter(o.ordered_at >= ibis.timestamp(start),
                                    o.ordered_at < ibis.timestamp(end))
                           .select("customer_id").distinct())
    return set(rows.customer_id.astype(str))
