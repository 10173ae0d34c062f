"""Service-recovery credits: posted on the ledger once per task, whatever is re-run."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from loyalist.cli import app
from loyalist.data import load
from loyalist.loyalty.applied import LedgerSource, apply_program
from loyalist.loyalty.program import EXAMPLE
from loyalist.risk.credits import NO_PROGRAM, credit_results, task_credits
from loyalist.risk.playbooks import PlaybookError, list_tasks, parse_playbooks
from loyalist.store.operational import connect_operational, default_url

BOOKS = """playbooks:
  - {name: recover, when: service_failure, action: service_recovery_credit, points: 500,
     owner: support, due_days: 1, cooldown_days: 30}
"""
TASK = "recover:d:2024-06-01"


@pytest.fixture
def shop(workspace, write):
    """d has an open complaint (service failure); p has none."""
    load("customers", pa.table({"customer_id": ["d", "p"],
                                "signup_at": ["2023-01-01", "2023-01-01"]}), workspace=workspace)
    load("orders", pa.table({"order_id": ["1", "2"], "customer_id": ["d", "p"],
                             "ordered_at": ["2024-05-25", "2024-05-26"], "amount": [5.0, 6.0]}),
         workspace=workspace)
    load("tickets", pa.table({"ticket_id": ["t"], "customer_id": ["d"],
                              "opened_at": ["2024-05-01"], "is_complaint": [True]}),
         workspace=workspace)
    engine = connect_operational(default_url(workspace.path))
    return workspace, write("books.yaml", BOOKS), engine


def _run(ws, books, day="2024-06-01"):
    result = CliRunner().invoke(app, ["-w", str(ws.path), "tasks", "run", str(books),
                                      "--as-of", day])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_credit_posted_exactly_once(shop):
    ws, books, engine = shop
    apply_program(engine, EXAMPLE.read_text())
    assert "1 new task(s)" in _run(ws, books)
    for day in ("2024-06-01", "2024-06-01", "2024-06-02"):  # re-runs: same day, still in state
        assert "0 new task(s)" in _run(ws, books, day)
    ledger = LedgerSource(engine).ledger()
    statement = ledger.statement("d")
    assert len(statement) == 1 and ledger.balance("d").total == 500
    assert credit_results(engine) == {TASK: "posted 500 points"}
    # a run that stopped between the credit and recording it: the ledger replays its receipt
    with engine.begin() as conn:
        conn.execute(task_credits.delete())
    _run(ws, books)
    assert len(ledger.statement("d")) == 1 and ledger.balance("d").total == 500
    assert ledger.balance("p").total == 0
    assert {t["task_id"]: t["credit"] for t in list_tasks(engine)} == {
        TASK: "posted 500 points"}


def test_without_a_program_the_task_records_it(shop):
    ws, books, engine = shop
    assert "1 new task(s)" in _run(ws, books)
    _run(ws, books)
    assert credit_results(engine) == {TASK: NO_PROGRAM}
    assert [t["status"] for t in list_tasks(engine)] == ["open"]
    with engine.connect() as conn:  # no ledger tables were needed
        assert not sa.inspect(conn).has_table("loyalty_entries")
    listed = CliRunner().invoke(app, ["-w", str(ws.path), "tasks", "list", "--format", "csv"])
    assert NO_PROGRAM in listed.stdout


@pytest.mark.parametrize(("book", "key"), [
    ({"name": "x", "when": "service_failure", "action": "service_recovery_credit"},
     "playbooks[0].points"),
    ({"name": "x", "when": "service_failure", "action": "service_recovery_credit",
      "points": 0}, "playbooks[0].points"),
    ({"name": "x", "when": "detractor", "action": "support_call", "points": 5},
     "playbooks[0].points"),
])
def test_points_validation(book, key):
    with pytest.raises(PlaybookError) as info:
        parse_playbooks({"playbooks": [book]})
    assert info.value.details["key"] == key
