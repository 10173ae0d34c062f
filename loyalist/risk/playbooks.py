"""Playbooks: when a customer enters a state, create a task once, with a cool-down.

YAML::

    playbooks:
      - name: red-health-help
        when: health_red
        action: help_tips           # help_tips, support_call, flexible_plan, winback,
                                    # service_credit, service_recovery_credit, review_ask,
                                    # referral_ask
        owner: success
        due_days: 3
        cooldown_days: 30
        expected_outcome: back to weekly use within 30 days

A run compares today's states with the entries it recorded: a state a customer newly entered is
recorded and, unless the same playbook gave that customer a task within ``cooldown_days``,
creates one task; staying in the state creates nothing; leaving it closes the entry, so a later
re-entry counts again. Running twice on a day changes nothing (the entry key and the task id are
unique: ``<playbook>:<customer>:<day entered>``).

Each task created or closed emits ``task_created`` / ``task_closed`` through the loyalty
program's outbox (:func:`loyalist.loyalty.outbox.emit`) in the transaction that writes the task,
keyed ``task:<id>:created`` / ``task:<id>:closed``, so webhooks get each exactly once per change
whatever is re-run. ``service_recovery_credit`` (with ``points``) also credits the points on the
ledger of the program in force, once per task (:mod:`loyalist.risk.credits`).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from loyalist.errors import InputError, NotFoundError, yaml_problem
from loyalist.loyalty import outbox
from loyalist.loyalty.ledger import Ledger
from loyalist.risk.credits import credit_results, credits_table, post_credit
from loyalist.risk.states import STATES

ACTIONS = ("help_tips", "support_call", "flexible_plan", "winback", "service_credit",
           "service_recovery_credit", "review_ask", "referral_ask")
CREDIT_ACTION = "service_recovery_credit"
TASK_STATUS = ("open", "done", "dismissed")

metadata = sa.MetaData()
entries = sa.Table(
    "playbook_entries", metadata,
    sa.Column("customer_id", sa.String(200), primary_key=True),
    sa.Column("state", sa.String(40), primary_key=True),
    sa.Column("entered_on", sa.Date, primary_key=True),
    sa.Column("left_on", sa.Date, nullable=True),
)
tasks = sa.Table(
    "tasks", metadata,
    sa.Column("task_id", sa.String(300), primary_key=True),
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("playbook", sa.String(100), nullable=False),
    sa.Column("state", sa.String(40), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("owner", sa.String(100), nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("expected_outcome", sa.String(300), nullable=False),
    sa.Column("outcome", sa.String(300), nullable=True),
    sa.Column("closed_on", sa.Date, nullable=True),
)


class PlaybookError(InputError):
    """An invalid playbook file; ``details["key"]`` names the offending key."""


@dataclass(frozen=True)
class Playbook:
    """When ``state`` is entered, create a task to ``action``."""

    name: str
    state: str
    action: str
    owner: str = "team"
    due_days: int = 3
    cooldown_days: int = 30
    expected_outcome: str = ""
    points: int = 0


def parse_playbooks(data: Any) -> list[Playbook]:
    """Validate ``{"playbooks": [...]}``; errors name the key."""
    items = data.get("playbooks") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise PlaybookError("playbooks: a non-empty list is required", key="playbooks")
    out = []
    for i, item in enumerate(items):
        key = f"playbooks[{i}]"
        if not isinstance(item, dict):
            raise PlaybookError(f"{key}: must be a mapping", key=key)
        extra = set(item) - {"name", "when", "action", "owner", "due_days", "cooldown_days",
                             "expected_outcome", "points"}
        if extra:
            raise PlaybookError(f"{key}.{sorted(extra)[0]}: unknown key",
                                key=f"{key}.{sorted(extra)[0]}")
        for field, allowed in (("when", STATES), ("action", ACTIONS)):
            if item.get(field) not in allowed:
                raise PlaybookError(f"{key}.{field}: one of {', '.join(allowed)}",
                                    key=f"{key}.{field}")
        for field in ("due_days", "cooldown_days"):
            value = item.get(field, 0)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3650:
                raise PlaybookError(f"{key}.{field}: a whole number 0-3650", key=f"{key}.{field}")
        if not isinstance(item.get("name"), str) or not item["name"]:
            raise PlaybookError(f"{key}.name: required", key=f"{key}.name")
        out.append(Playbook(item["name"], item["when"], item["action"],
                            str(item.get("owner", "team")), item.get("due_days", 3),
                            item.get("cooldown_days", 30),
                            str(item.get("expected_outcome", "")), _points(item, key)))
    if len({p.name for p in out}) != len(out):
        raise PlaybookError("playbooks: names repeat", key="playbooks")
    return out


def _points(item: dict[str, Any], key: str) -> int:
    """Points of a ``service_recovery_credit`` (required there, refused elsewhere)."""
    points = item.get("points")
    if item["action"] != CREDIT_ACTION:
        if points is not None:
            raise PlaybookError(f"{key}.points: only for action {CREDIT_ACTION}",
                                key=f"{key}.points")
        return 0
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 1_000_000:
        raise PlaybookError(f"{key}.points: a whole number 1-1000000 for {CREDIT_ACTION}",
                            key=f"{key}.points")
    return points


def load_playbooks(path: Path) -> list[Playbook]:
    """Read and validate a playbook YAML file."""
    try:
        return parse_playbooks(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read ({exc.strerror})", key="") from exc
    except yaml.YAMLError as exc:
        raise PlaybookError(f"{path}: not valid YAML: {yaml_problem(exc)}", key="") from exc


def run_playbooks(engine: sa.Engine, books: list[Playbook], states: set[tuple[str, str]],
                  day: dt.date, *, ledger: Ledger | None = None) -> list[str]:
    """Record state entries and exits for ``day``; return the ids of the tasks created.

    ``ledger`` is the ledger of the loyalty program in force, for ``service_recovery_credit``
    tasks (``None``: no program applied, which those tasks record instead of a credit).
    """
    metadata.create_all(engine)
    outbox.ensure_schema(engine)
    created: list[str] = []
    watched = {b.state for b in books}
    with engine.begin() as conn:
        open_rows = conn.execute(sa.select(entries).where(entries.c.left_on.is_(None))).all()
        open_now = {(r.customer_id, r.state): r.entered_on for r in open_rows}
        for (customer, state), entered in open_now.items():
            if (customer, state) not in states:
                conn.execute(entries.update().where(
                    entries.c.customer_id == customer, entries.c.state == state,
                    entries.c.entered_on == entered).values(left_on=day))
        for customer, state in sorted(states):
            if state not in watched or (customer, state) in open_now:
                continue
            conn.execute(entries.insert().values(customer_id=customer, state=state,
                                                 entered_on=day))
            for book in (b for b in books if b.state == state):
                if _cooling(conn, book, customer, day):
                    continue
                task_id = f"{book.name}:{customer}:{day.isoformat()}"
                row = {"task_id": task_id, "customer_id": customer, "playbook": book.name,
                       "state": state, "action": book.action, "owner": book.owner,
                       "created_on": day, "due_on": day + dt.timedelta(days=book.due_days),
                       "status": "open", "expected_outcome": book.expected_outcome}
                conn.execute(tasks.insert().values(**row))
                outbox.emit(conn, "task_created", _payload(row), key=f"task:{task_id}:created")
                created.append(task_id)
    _post_credits(engine, books, ledger)
    return created


def _post_credits(engine: sa.Engine, books: list[Playbook], ledger: Ledger | None) -> None:
    """Credit every credit task not credited yet.

    Runs after the tasks committed: on SQLite the ledger's write transaction could not start
    while the tasks' transaction holds the lock.
    """
    points = {b.name: b.points for b in books if b.action == CREDIT_ACTION}
    credited = credits_table(engine)
    with engine.connect() as conn:
        pending = conn.execute(sa.select(tasks.c.task_id, tasks.c.customer_id, tasks.c.playbook)
                               .where(tasks.c.action == CREDIT_ACTION,
                                      tasks.c.task_id.not_in(sa.select(credited.c.task_id)))
                               .order_by(tasks.c.task_id)).all()
    for task in pending:
        if task.playbook in points:
            post_credit(engine, ledger, task.task_id, task.customer_id, points[task.playbook])


def _payload(row: dict[str, Any]) -> dict[str, Any]:
    """A task as JSON for webhooks (dates as ISO text)."""
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}


def _cooling(conn: sa.Connection, book: Playbook, customer: str, day: dt.date) -> bool:
    last = conn.execute(sa.select(sa.func.max(tasks.c.created_on)).where(
        tasks.c.playbook == book.name, tasks.c.customer_id == customer)).scalar()
    return last is not None and (day - last).days < book.cooldown_days


def list_tasks(engine: sa.Engine, status: str | None = None) -> list[dict[str, Any]]:
    """Tasks, due first."""
    metadata.create_all(engine)
    query = sa.select(tasks).order_by(tasks.c.due_on, tasks.c.task_id)
    if status:
        if status not in TASK_STATUS:
            raise InputError(f"status must be one of {', '.join(TASK_STATUS)}", status=status)
        query = query.where(tasks.c.status == status)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    credits = credit_results(engine)
    return [{**r, "credit": credits.get(r["task_id"])} for r in rows]


def list_entries(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every state entry the runs recorded (the baseline of outcome measurement)."""
    metadata.create_all(engine)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(entries).order_by(
            entries.c.entered_on, entries.c.customer_id, entries.c.state))]


def close_task(engine: sa.Engine, task_id: str, outcome: str, *, status: str = "done",
               day: dt.date | None = None) -> None:
    """Record a task's outcome (done or dismissed)."""
    if status not in ("done", "dismissed"):
        raise InputError("status must be done or dismissed", status=status)
    metadata.create_all(engine)
    outbox.ensure_schema(engine)
    with engine.begin() as conn:
        done = conn.execute(tasks.update().where(tasks.c.task_id == task_id).values(
            status=status, outcome=outcome, closed_on=day or dt.date.today()))
        if done.rowcount == 0:
            raise NotFoundError(f"no task {task_id!r}", task_id=task_id)
        row = conn.execute(sa.select(tasks).where(tasks.c.task_id == task_id)).one()
        outbox.emit(conn, "task_closed", _payload(dict(row._mapping)),
                    key=f"task:{task_id}:closed")


def export_tasks(engine: sa.Engine, path: Path, status: str | None = None) -> int:
    """Write tasks to a CSV file; return how many."""
    rows = list_tasks(engine, status)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*(c.name for c in tasks.columns), "credit"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
