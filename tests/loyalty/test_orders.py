from __future__ import annotations

import pandas as pd

from loyalist.loyalty.orders import ingest_order, replay_orders
from tests.loyalty.conftest import days


def test_replay_orders_is_idempotent_and_skips_guests(ledger_for):
    ledger = ledger_for(pending_days=0)
    frame = pd.DataFrame({"customer_id": ["a", None, "a", "b"], "order_id": ["1", "2", "3", "4"],
                          "ordered_at": [days(0), days(1), days(2), days(3)],
                          "amount": [10.5, 99.0, 20.0, 7.99]})
    done: list[int] = []
    assert replay_orders(ledger, frame, batch=3, on_progress=done.append) == {
        "orders": 3, "skipped": 1, "points": 37}
    assert done == [3, 4]  # rows done after each batch (of one transaction each)
    assert replay_orders(ledger, frame) == {"orders": 3, "skipped": 1, "points": 0}
    assert ledger.balance("a", at=days(5)).available == 30
    one_by_one = ledger_for(pending_days=0)  # the same database: already replayed
    assert replay_orders(one_by_one, frame, batch=1)["points"] == 0


def test_order_states_claw_back_only_the_difference(ledger_for):
    ledger = ledger_for(pending_days=30)
    state = {"order_id": "o", "member_id": "m", "amount": 100, "ordered_at": days(0),
             "updated_at": days(3)}
    ingest_order(ledger, state)
    ingest_order(ledger, {**state, "refunded_amount": 30})
    ingest_order(ledger, {**state, "refunded_amount": 30})  # the same state: nothing written
    ingest_order(ledger, state)  # an older state after a newer one: nothing written
    ingest_order(ledger, {**state, "status": "returned"})
    assert [(x.kind, x.points) for x in ledger.statement("m")] == [
        ("earn", 100), ("clawback", -30), ("clawback", -70)]
