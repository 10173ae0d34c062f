"""Commands for best customers and those falling off: segments, customers, value, customer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from loyalist.cli.common import check_choice, settings_of
from loyalist.cli.output import app, out, print_rows
from loyalist.data.frames import records
from loyalist.data.views import tables
from loyalist.errors import ConfigError
from loyalist.segments.customer360 import customer_360
from loyalist.segments.dates import as_date, resolve_as_of, shift_days
from loyalist.segments.maps import load_map
from loyalist.segments.movement import (
    best_customers,
    falling_off,
    migration_matrix,
    movement,
    segment_summary,
    segments_at,
    segments_then_and_now,
)
from loyalist.segments.value import ValueWeights, value_score
from loyalist.store.workspace import Workspace

segments_app = typer.Typer(help="RFM scores and named segments.", no_args_is_help=True)
customers_app = typer.Typer(help="Best customers and those falling off.", no_args_is_help=True)
app.add_typer(segments_app, name="segments")
app.add_typer(customers_app, name="customers")

AsOf = Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD) [default: last order].")]
Fmt = Annotated[str, typer.Option("--format", help="table, csv or json.")]
MapOpt = Annotated[str, typer.Option("--map", help="rf-grid, rfm-grid or a YAML file.")]
FORMATS = ("table", "csv", "json")


@segments_app.command("rfm")
def rfm_cmd(
    ctx: typer.Context,
    as_of: AsOf = None,
    compare: Annotated[str | None, typer.Option(help="Earlier date: show the migration.")] = None,
    seg_map: MapOpt = "rf-grid",
    per_customer: Annotated[bool, typer.Option(help="One row per customer.")] = False,
    fmt: Fmt = "table",
    limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 50,
) -> None:
    """Segment sizes and revenue as of a date (or per customer; or the migration since COMPARE)."""
    check_choice("--format", fmt, FORMATS)
    chosen = load_map(seg_map)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        if compare:
            before, now = segments_then_and_now(t, as_of=day, before=as_date(compare),
                                                segment_map=chosen)
            expr = migration_matrix(movement(before, now))
            title = f"Segment migration {compare} -> {day}"
        else:
            now = segments_at(t["orders"], as_of=day, segment_map=chosen, refunds=t["refunds"])
            expr = now.order_by("customer_id") if per_customer else segment_summary(now)
            title = f"RFM segments as of {day} ({chosen.name})"
        rows = records(backend.execute(expr))
    print_rows(rows, fmt, title=title, limit=limit)


@customers_app.command("best")
def best_cmd(ctx: typer.Context, as_of: AsOf = None, seg_map: MapOpt = "rf-grid",
             limit: Annotated[int, typer.Option(help="How many.")] = 20,
             fmt: Fmt = "table") -> None:
    """Best customers: best segment first, then by value."""
    check_choice("--format", fmt, FORMATS)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        seg = segments_at(t["orders"], as_of=day, segment_map=load_map(seg_map),
                          refunds=t["refunds"])
        cols = ["customer_id", "segment", "recency_days", "frequency", "monetary", "r", "f", "m"]
        rows = records(backend.execute(best_customers(seg).select(*cols).limit(limit)))
    print_rows(rows, fmt, title=f"Best customers as of {day}", limit=limit)


@customers_app.command("falling-off")
def falling_cmd(
    ctx: typer.Context, as_of: AsOf = None,
    since: Annotated[int, typer.Option(help="Compare with this many days before.")] = 90,
    threshold: Annotated[int, typer.Option(help="Recency threshold in days.")] = 90,
    seg_map: MapOpt = "rf-grid", limit: Annotated[int, typer.Option(help="How many.")] = 20,
    fmt: Fmt = "table",
) -> None:
    """Customers who moved to a worse segment or crossed the recency threshold, with the reason."""
    check_choice("--format", fmt, FORMATS)
    chosen = load_map(seg_map)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        before, now = segments_then_and_now(t, as_of=day, before=shift_days(day, -since),
                                            segment_map=chosen)
        moves = falling_off(movement(before, now, recency_threshold_days=threshold))
        cols = ["customer_id", "segment_before", "segment", "recency_days", "monetary", "reason"]
        rows = records(backend.execute(moves.select(*cols).limit(limit)))
    print_rows(rows, fmt, title=f"Falling off between {shift_days(day, -since)} and {day}",
               limit=limit)


@app.command("value")
def value_cmd(
    ctx: typer.Context, as_of: AsOf = None,
    weights: Annotated[Path | None, typer.Option(help="YAML file of weights.")] = None,
    limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 20,
    fmt: Fmt = "table",
) -> None:
    """Full customer value: weighted score with every part's contribution."""
    check_choice("--format", fmt, FORMATS)
    chosen = ValueWeights()
    if weights is not None:
        try:
            chosen = ValueWeights.from_mapping(yaml.safe_load(weights.read_text()) or {})
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{weights}: cannot read weights ({exc})", key="weights") from exc
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        expr = value_score(t, as_of=day, weights=chosen)
        rows = records(backend.execute(expr if fmt != "table" else expr.limit(limit)))
    print_rows(rows, fmt, title=f"Customer value as of {day}", limit=limit)


@app.command("customer")
def customer_cmd(ctx: typer.Context, customer_id: str, as_of: AsOf = None,
                 fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
                 ) -> None:
    """Customer 360: profile, money, usage, satisfaction, segment history, value and signals."""
    check_choice("--format", fmt, ("text", "json"))
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        view = customer_360(backend, t, customer_id, as_of=resolve_as_of(backend, t, as_of))
    if fmt == "json":
        out.print_json(json.dumps(view, default=str))
        return
    _print_360(view)


def _print_360(view: dict[str, Any]) -> None:
    money, sat = view["money"], view["satisfaction"]
    out.print(f"[bold]Customer {view['customer_id']}[/bold] as of {view['as_of']}")
    profile = {k: v for k, v in view["profile"].items() if v is not None and k != "customer_id"}
    out.print("profile: " + ", ".join(f"{k}={v}" for k, v in profile.items()), highlight=False)
    out.print(f"money: {money['orders']} orders, revenue {money['revenue'] or 0:,.2f}, "
              f"refunded {money['refunded']:,.2f}, last order {money['last_order']}",
              highlight=False)
    usage = view["usage"]
    out.print(f"usage (30 days): {usage['events_30d']} events, {usage['active_days_30d']} "
              f"active days, {usage['features_30d']} features", highlight=False)
    out.print(f"satisfaction: last NPS {sat['last_nps']}, CSAT mean {sat['csat_mean']}, "
              f"{sat['tickets']} tickets ({sat['open_tickets']} open, {sat['complaints']} "
              "complaints)", highlight=False)
    history = " -> ".join(f"{h['as_of']}: {h['segment']}" for h in view["segments"])
    out.print(f"segments: {history}", highlight=False)
    if view["value"]:
        parts = {k.removesuffix("_contribution"): v for k, v in view["value"].items()
                 if k.endswith("_contribution") and v}
        out.print(f"value score {view['value']['value_score']:.1f} = "
                  + " + ".join(f"{k} {v:.1f}" for k, v in parts.items()), highlight=False)
    if view["signals"]:
        sig = view["signals"]
        out.print(f"loyalty index {sig['loyalty_index']:.1f}"
                  + (" (advocate)" if sig["advocate"] else ""), highlight=False)
