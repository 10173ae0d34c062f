"""Task commands: run playbooks, list, export, close, measure outcomes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from loyalist.cli.common import check_choice, settings_of
from loyalist.cli.output import app, out, print_rows
from loyalist.data.frames import records
from loyalist.data.views import tables
from loyalist.risk.credits import applied_ledger
from loyalist.risk.outcomes import measure_outcomes
from loyalist.risk.palive import p_alive_table
from loyalist.risk.playbooks import (
    close_task,
    export_tasks,
    list_entries,
    list_tasks,
    load_playbooks,
)
from loyalist.risk.playbooks import run_playbooks as run_books
from loyalist.risk.states import customer_states
from loyalist.segments.dates import resolve_as_of
from loyalist.store.operational import connect_operational, default_url
from loyalist.store.workspace import Workspace

tasks_app = typer.Typer(help="The to-do list from playbooks.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")


def _engine(ctx: typer.Context) -> sa.Engine:
    settings = settings_of(ctx)
    return connect_operational(settings.operational_url or default_url(settings.workspace))


@tasks_app.command("run")
def run(ctx: typer.Context, playbooks: Path,
        as_of: Annotated[str | None, typer.Option(help="Day [default: last order].")] = None,
        ) -> None:
    """Evaluate customer states and create tasks for new entries (once, with cool-down).

    Service-recovery credits go on the ledger of the loyalty program in force, once per task.
    """
    books = load_playbooks(playbooks)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        frame = backend.execute(customer_states(t, as_of=day, p_alive=p_alive_table(
            backend, t, as_of=day)))
    states = set(zip(frame.customer_id.astype(str), frame.state, strict=True))
    engine = _engine(ctx)
    ledger = applied_ledger(engine, settings_of(ctx).program_file)
    created = run_books(engine, books, states, day, ledger=ledger)
    out.print(f"{day}: {len(states):,} customer states, {len(created):,} new task(s)",
              highlight=False)


@tasks_app.command("list")
def list_cmd(ctx: typer.Context,
             status: Annotated[str | None, typer.Option(help="open, done or dismissed.")] = None,
             fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
             limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 50,
             ) -> None:
    """Tasks, due first."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    rows = list_tasks(_engine(ctx), status)
    print_rows(rows, fmt, title=f"{len(rows)} task(s)", limit=limit)


@tasks_app.command("export")
def export(ctx: typer.Context, file: Path,
           status: Annotated[str | None, typer.Option(help="open, done or dismissed.")] = None,
           ) -> None:
    """Write tasks to a CSV file."""
    count = export_tasks(_engine(ctx), file, status)
    out.print(f"{count} task(s) written to {file}", highlight=False)


@tasks_app.command("close")
def close(ctx: typer.Context, task_id: str,
          outcome: Annotated[str, typer.Option(help="What happened.")],
          dismiss: Annotated[bool, typer.Option(help="Dismiss instead of done.")] = False,
          ) -> None:
    """Record a task's outcome."""
    close_task(_engine(ctx), task_id, outcome, status="dismissed" if dismiss else "done")
    out.print(f"closed {task_id}", highlight=False)


@tasks_app.command("outcomes")
def outcomes(ctx: typer.Context,
             as_of: Annotated[str | None, typer.Option(help="Day [default: last order].")]
             = None,
             days: Annotated[int, typer.Option(help="Window after each task, days.")] = 90,
             fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
             ) -> None:
    """Per playbook: share who stayed, came back or referred after a task, vs a baseline."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    engine = _engine(ctx)
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of)
        frame = backend.execute(measure_outcomes(t, list_tasks(engine), as_of=day,
                                                 entries=list_entries(engine), days=days))
    print_rows(records(frame), fmt, title=f"Task outcomes as of {day} ({days}-day windows)",
               limit=100)
