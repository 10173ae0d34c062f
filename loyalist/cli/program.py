"""Loyalty program commands: validate, apply and replay orders into a program; members; webhooks."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from loyalist.cli.common import check_choice, progress_steps, settings_of
from loyalist.cli.output import app, out, print_rows
from loyalist.data.views import tables
from loyalist.errors import InputError
from loyalist.loyalty.applied import LedgerSource, apply_program, read_text
from loyalist.loyalty.members import member_view, statement_page
from loyalist.loyalty.orders import replay_orders
from loyalist.loyalty.outbox import Dispatcher
from loyalist.loyalty.program import load_program
from loyalist.loyalty.webhooks import add_webhook, list_webhooks
from loyalist.store.operational import connect_operational, default_url
from loyalist.store.workspace import Workspace

program_app = typer.Typer(help="The loyalty program definition.", no_args_is_help=True)
webhooks_app = typer.Typer(help="Webhooks that receive loyalty events.", no_args_is_help=True)
app.add_typer(program_app, name="program")
app.add_typer(webhooks_app, name="webhooks")
Fmt = Annotated[str, typer.Option("--format", help="table, csv or json.")]


def _engine(ctx: typer.Context) -> sa.Engine:
    settings = settings_of(ctx)
    return connect_operational(settings.operational_url or default_url(settings.workspace))


@program_app.command("validate")
def validate(file: Path) -> None:
    """Check a program file; errors name the key path (e.g. earning[2].points)."""
    program = load_program(read_text(file))
    out.print(f"program {program.id}: valid ({len(program.earning)} earning rule(s), "
              f"{len(program.tiers.levels)} tier(s), {len(program.rewards)} reward(s))",
              highlight=False)


@program_app.command("apply")
def apply(ctx: typer.Context, file: Path) -> None:
    """Validate a program file and make it the program in force."""
    program, version = apply_program(_engine(ctx), read_text(file))
    out.print(f"program {program.id} applied (version {version})", highlight=False)


@program_app.command("replay")
def replay(ctx: typer.Context, batch: Annotated[int, typer.Option(
        help="Orders written per transaction.")] = 250) -> None:
    """Replay the workspace's orders into the program in force (again: only new ones write)."""
    settings = settings_of(ctx)
    ledger = LedgerSource(_engine(ctx), settings.program_file).ledger()
    with Workspace(settings.workspace).ibis() as backend:
        orders = tables(backend)["orders"].select(
            "customer_id", "order_id", "ordered_at", "amount").to_pandas()
    with progress_steps(settings, True) as step:
        step(f"replaying {len(orders):,} orders")
        counts = replay_orders(ledger, orders, batch=batch, on_progress=lambda done: step(
            f"replaying orders: {done:,} of {len(orders):,}"))
    out.print(f"replayed {counts['orders']:,} orders into program {ledger.program.id} "
              f"({counts['skipped']:,} guest orders skipped): {counts['points']:,} points "
              "earned by this run", highlight=False)


@app.command("member")
def member(ctx: typer.Context, member_id: str, fmt: Fmt = "table",
           limit: Annotated[int, typer.Option(help="Statement lines shown (newest).")] = 20,
           ) -> None:
    """A member's balance, tier and statement."""
    check_choice("--format", fmt, ("table", "json"))
    settings = settings_of(ctx)
    ledger = LedgerSource(_engine(ctx), settings.program_file).ledger()
    view = member_view(ledger, member_id, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    lines, total = statement_page(ledger, member_id, offset=0, limit=1_000_000)
    if fmt == "json":
        out.print_json(json.dumps({**view, "statement": lines}, default=str))
        return
    b, t = view["balance"], view["tier"]
    out.print(f"member {member_id}: {b['available']:,} available, {b['pending']:,} pending, "
              f"{b['expired']:,} expired; tier {t['tier'] or '-'}"
              + (f" ({t['to_next']:,} to {t['next_tier']})" if t["next_tier"] else ""),
              highlight=False)
    won = [x["id"] for x in view["badges"] if x["won_at"]]
    out.print(f"badges: {', '.join(won) or '-'}", highlight=False)
    rows = [{"date": str(x["created_at"])[:16], "kind": x["kind"], "points": x["points"],
             "total": x["running_total"], "reference": x["reference"], "reason": x["reason"]}
            for x in lines[-limit:]]
    print_rows(rows, "table", title=f"statement ({total} entries)", limit=limit)


@webhooks_app.command("add")
def add(ctx: typer.Context, url: str,
        events: Annotated[list[str], typer.Option(
            "--events", help="Event type to send (repeat, or comma-separate); '*' for all.")],
        ) -> None:
    """Register a webhook; prints its signing secret once."""
    types = [t for item in events for t in item.split(",")]
    hook, secret = add_webhook(_engine(ctx), url, types)
    out.print(f"webhook {hook.id} -> {hook.url} for {', '.join(hook.event_types)}",
              highlight=False)
    out.print(f"signing secret (shown once): {secret}", highlight=False)


@webhooks_app.command("list")
def list_cmd(ctx: typer.Context, fmt: Fmt = "table") -> None:
    """Registered webhooks (secrets are never shown)."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    rows = [{"id": h.id, "url": h.url, "events": ",".join(h.event_types), "active": h.active}
            for h in list_webhooks(_engine(ctx))]
    print_rows(rows, fmt, title=f"{len(rows)} webhook(s)", limit=len(rows))


@webhooks_app.command("deliver")
def deliver(ctx: typer.Context,
            loop: Annotated[bool, typer.Option(help="Keep delivering until interrupted.")]
            = False,
            interval: Annotated[float, typer.Option(help="Seconds between runs with --loop.")]
            = 5.0,
            replay: Annotated[str | None, typer.Option(
                help="Send a failed delivery (dlv_...) or event (evt_...) again.")] = None,
            ) -> None:
    """Deliver due events to their webhooks once (or in a loop), or replay a failure."""
    if interval <= 0:
        raise InputError("--interval must be positive", option="--interval", value=interval)
    dispatcher = Dispatcher(_engine(ctx))
    if replay is not None:
        outcomes = dispatcher.replay(replay)
        out.print(f"replayed {len(outcomes)} delivery(ies): {', '.join(outcomes) or '-'}",
                  highlight=False)
        return
    while True:
        counts = dispatcher.run_once()
        out.print(", ".join(f"{v} {k}" for k, v in counts.items()), highlight=False)
        if not loop:
            return
        time.sleep(interval)
