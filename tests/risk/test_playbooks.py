"""Tasks are created once per state entry, with a cool-down; states from a fixture."""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow as pa
import pytest

from loyalist.data import load
from loyalist.data.views import tables
from loyalist.errors import NotFoundError
from loyalist.risk.playbooks import (
    PlaybookError,
    close_task,
    export_tasks,
    list_tasks,
    parse_playbooks,
    run_playbooks,
)
from loyalist.risk.states import customer_states
from loyalist.store.operational import connect_operational

BOOKS = parse_playbooks({"playbooks": [
    {"name": "call-detractors", "when": "detractor", "action": "support_call",
     "owner": "support", "due_days": 2, "cooldown_days": 30,
     "expected_outcome": "NPS back to 7+"},
    {"name": "recover", "when": "service_failure", "action": "service_credit", "due_days": 1},
]})
D = dt.date(2024, 6, 1)


@pytest.fixture
def engine(tmp_path):
    return connect_operational(f"sqlite:///{tmp_path / 'ops.sqlite'}")


def test_once_per_entry_and_cooldown(engine):
    states = {("a", "detractor"), ("b", "detractor"), ("c", "health_red")}
    first = run_playbooks(engine, BOOKS, states, D)
    assert sorted(first) == ["call-detractors:a:2024-06-01", "call-detractors:b:2024-06-01"]
    assert run_playbooks(engine, BOOKS, states, D) == []  # same day again: nothing
    assert run_playbooks(engine, BOOKS, states, D + dt.timedelta(days=1)) == []  # still in it
    # a leaves and re-enters within the cool-down: no task; after it: a new task
    run_playbooks(engine, BOOKS, {("b", "detractor")}, D + dt.timedelta(days=5))
    assert run_playbooks(engine, BOOKS, states, D + dt.timedelta(days=10)) == []
    run_playbooks(engine, BOOKS, {("b", "detractor")}, D + dt.timedelta(days=40))
    again = run_playbooks(engine, BOOKS, states, D + dt.timedelta(days=41))
    assert again == ["call-detractors:a:2024-07-12"]
    task = {t["task_id"]: t for t in list_tasks(engine)}["call-detractors:a:2024-06-01"]
    assert (task["owner"], task["due_on"], task["status"]) == ("support", D + dt.timedelta(
        days=2), "open")


def test_close_and_export(engine, tmp_path):
    run_playbooks(engine, BOOKS, {("a", "service_failure")}, D)
    close_task(engine, "recover:a:2024-06-01", "credit posted, customer stayed", day=D)
    assert list_tasks(engine, "open") == []
    assert export_tasks(engine, tmp_path / "t.csv") == 1
    with (tmp_path / "t.csv").open() as handle:
        row = next(csv.DictReader(handle))
    assert (row["action"], row["status"], row["outcome"]) == (
        "service_credit", "done", "credit posted, customer stayed")
    with pytest.raises(NotFoundError):
        close_task(engine, "nope", "x")


@pytest.mark.parametrize(("book", "key"), [
    ({"name": "x", "when": "sad", "action": "support_call"}, "playbooks[0].when"),
    ({"name": "x", "when": "detractor", "action": "discount"}, "playbooks[0].action"),
    ({"name": "x", "when": "detractor", "action": "winback", "due_days": -1},
     "playbooks[0].due_days"),
    ({"name": "x", "when": "detractor", "action": "winback", "colour": 1},
     "playbooks[0].colour"),
    ({"when": "detractor", "action": "winback"}, "playbooks[0].name"),
])
def test_playbook_validation_names_keys(book, key):
    with pytest.raises(PlaybookError) as info:
        parse_playbooks({"playbooks": [book]})
    assert info.value.details["key"] == key


def test_states_from_data(workspace):
    load("orders", pa.table({"order_id": ["1"], "customer_id": ["p"],
                             "ordered_at": ["2024-05-25"], "amount": [5.0]}), workspace=workspace)
    load("survey_responses", pa.table({"response_id": ["r1", "r2"], "customer_id": ["d", "p"],
                                       "question": ["nps", "nps"],
                                       "answered_at": ["2024-05-20", "2024-05-01"],
                                       "score": [3, 10]}), workspace=workspace)
    load("customers", pa.table({"customer_id": ["d", "p"],
                                "signup_at": ["2023-01-01", "2023-01-01"]}), workspace=workspace)
    load("tickets", pa.table({"ticket_id": ["t"], "customer_id": ["d"],
                              "opened_at": ["2024-05-01"], "is_complaint": [True]}),
         workspace=workspace)
    with workspace.ibis() as backend:
        got = backend.execute(customer_states(tables(backend), as_of=D))
    pairs = set(zip(got.customer_id, got.state, strict=True))
    assert {("d", "detractor"), ("d", "service_failure"), ("p", "engaged_promoter")} <= pairs


def test_cli_run_list_export(rfm_workspace, tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from loyalist.cli import app

    runner = CliRunner()
    books = Path(__file__).resolve().parents[2] / "docs" / "examples" / "playbooks.yaml"
    ws = ["-w", str(rfm_workspace.path)]
    first = runner.invoke(app, [*ws, "tasks", "run", str(books), "--as-of", "2024-03-31"])
    assert first.exit_code == 0, first.output
    # on 2024-03-31 d has not ordered for 275 days (churned), so win-back has a task
    assert "new task(s)" in first.stdout and " 0 new task(s)" not in first.stdout
    again = runner.invoke(app, [*ws, "tasks", "run", str(books), "--as-of", "2024-03-31"])
    assert "0 new task(s)" in again.stdout
    listed = runner.invoke(app, [*ws, "tasks", "list", "--format", "json"])
    assert listed.exit_code == 0
    export = runner.invoke(app, [*ws, "tasks", "export", str(tmp_path / "t.csv")])
    assert export.exit_code == 0 and (tmp_path / "t.csv").exists()


def test_task_events_go_out_once_through_the_outbox(engine):
    import datetime as dt_

    import sqlalchemy as sa

    from loyalist.loyalty.outbox import Dispatcher, outbox
    from loyalist.loyalty.webhooks import add_webhook

    add_webhook(engine, "https://example.com/hook", ["task_created", "task_closed"])
    sent = []
    dispatcher = Dispatcher(engine, http_post=lambda url, body, headers: sent.append(
        (headers["X-Loyalist-Event"], body)) or 200)
    states = {("a", "detractor"), ("b", "service_failure")}
    for _ in range(3):  # replays of the same run
        run_playbooks(engine, BOOKS, states, D)
    close_task(engine, "recover:b:2024-06-01", "credit given", day=D)
    close_task(engine, "recover:b:2024-06-01", "credit given", day=D)  # closed again
    with engine.connect() as conn:
        events = conn.execute(sa.select(outbox.c.event_type, outbox.c.key, outbox.c.payload)
                              .order_by(outbox.c.id)).all()
    assert [(e.event_type, e.key) for e in events] == [
        ("task_created", "task:call-detractors:a:2024-06-01:created"),
        ("task_created", "task:recover:b:2024-06-01:created"),
        ("task_closed", "task:recover:b:2024-06-01:closed")]
    assert events[2].payload["outcome"] == "credit given"
    assert events[0].payload["due_on"] == "2024-06-03"
    now = dt_.datetime(2024, 6, 1, 12)
    assert dispatcher.run_once(now)["delivered"] == 3
    assert dispatcher.run_once(now + dt_.timedelta(hours=1))["delivered"] == 0
    assert sorted(e for e, _ in sent) == ["task_closed", "task_created", "task_created"]


def test_outbox_event_only_with_the_task_write(engine):
    import sqlalchemy as sa

    from loyalist.loyalty.outbox import outbox

    run_playbooks(engine, BOOKS, {("b", "service_failure")}, D)
    with pytest.raises(NotFoundError):  # no task: the transaction rolls back, no event
        close_task(engine, "nope", "x")
    with engine.connect() as conn:
        types = conn.execute(sa.select(outbox.c.event_type)).scalars().all()
    assert types == ["task_created"]
