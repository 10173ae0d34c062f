"""Outcomes per playbook on a hand-made fixture (as of 2024-12-31, 90-day windows)."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from loyalist.cli import app
from loyalist.data import load
from loyalist.data.views import tables
from loyalist.risk.outcomes import measure_outcomes
from loyalist.risk.playbooks import entries, metadata, tasks
from loyalist.store.operational import connect_operational, default_url

D = dt.date


def _task(tid, customer, playbook, state, created):
    return {"task_id": tid, "customer_id": customer, "playbook": playbook, "state": state,
            "action": "support_call", "owner": "team", "created_on": created,
            "due_on": created, "status": "open", "expected_outcome": ""}


TASKS = [
    _task("t1", "a", "call-detractors", "detractor", D(2024, 6, 1)),  # orders 07-01: stayed
    _task("t2", "b", "call-detractors", "detractor", D(2024, 6, 10)),  # orders after window
    _task("t3", "c", "call-detractors", "detractor", D(2024, 12, 1)),  # window still running
    _task("t4", "d", "win-back", "churned", D(2024, 6, 1)),  # orders 06-20: came back
    _task("t5", "e", "win-back", "churned", D(2024, 6, 5)),  # never again
]
ENTRIES = [
    {"customer_id": "a", "state": "detractor", "entered_on": D(2024, 6, 1)},  # had the task
    {"customer_id": "f", "state": "detractor", "entered_on": D(2024, 6, 20)},  # orders 06-25
    {"customer_id": "g", "state": "detractor", "entered_on": D(2024, 6, 21)},  # no order
    {"customer_id": "h", "state": "detractor", "entered_on": D(2024, 6, 22)},  # day 90 counts
    {"customer_id": "i", "state": "detractor", "entered_on": D(2024, 7, 5)},  # other month
    {"customer_id": "b", "state": "detractor", "entered_on": D(2024, 6, 25)},  # task 15 d ago
    {"customer_id": "j", "state": "churned", "entered_on": D(2024, 6, 15)},  # refers 06-20
]
ORDERS = [("o1", "a", "2024-06-01"), ("o2", "a", "2024-07-01"), ("o3", "b", "2024-10-01"),
          ("o4", "d", "2024-06-20"), ("o5", "f", "2024-06-25"), ("o6", "h", "2024-06-22"),
          ("o7", "h", "2024-09-20")]


@pytest.fixture
def shop(workspace):
    cols = list(zip(*ORDERS, strict=True))
    load("orders", pa.table({"order_id": cols[0], "customer_id": cols[1], "ordered_at": cols[2],
                             "amount": [10.0] * len(ORDERS)}), workspace=workspace)
    load("referrals", pa.table({"referral_id": ["r1", "r2"], "referrer_id": ["a", "j"],
                                "referred_at": ["2024-06-15", "2024-06-20"]}),
         workspace=workspace)
    return workspace


def _nan(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def test_outcomes_per_playbook(shop):
    with shop.ibis() as backend:
        got = backend.execute(measure_outcomes(tables(backend), TASKS, entries=ENTRIES,
                                               as_of="2024-12-31"))
    rows = {r["playbook"]: r for r in got.to_dict(orient="records")}
    calls, winback = rows["call-detractors"], rows["win-back"]
    assert (calls["state"], calls["tasks"], calls["measured"]) == ("detractor", 3, 2)
    assert (calls["stayed"], calls["referred"]) == (0.5, 0.5) and _nan(calls["came_back"])
    assert (calls["baseline"], calls["baseline_measured"]) == (3, 3)  # f, g, h
    assert calls["baseline_stayed"] == pytest.approx(2 / 3)
    assert calls["baseline_referred"] == 0.0 and _nan(calls["baseline_came_back"])
    assert (winback["tasks"], winback["measured"], winback["came_back"]) == (2, 2, 0.5)
    assert winback["referred"] == 0.0 and _nan(winback["stayed"])
    assert (winback["baseline"], winback["baseline_came_back"], winback["baseline_referred"]
            ) == (1, 0.0, 1.0)


def test_no_tasks_no_rows(shop):
    with shop.ibis() as backend:
        got = backend.execute(measure_outcomes(tables(backend), [], as_of="2024-12-31"))
    assert got.empty


def test_cli_outcomes(shop):
    engine = connect_operational(default_url(shop.path))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(tasks.insert(), TASKS)
        conn.execute(entries.insert(), ENTRIES)
    result = CliRunner().invoke(app, ["-w", str(shop.path), "tasks", "outcomes", "--as-of",
                                      "2024-12-31", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("playbook,state,tasks,measured,stayed")
    assert lines[1].startswith("call-detractors,detractor,3,2,0.5")
