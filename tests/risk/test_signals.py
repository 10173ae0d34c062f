"""Each risk signal on a hand-made fixture, as of 2024-06-30."""

from __future__ import annotations

import pyarrow as pa
import pytest

from loyalist.data import load
from loyalist.data.views import tables
from loyalist.risk.signals import risk_signals


def _t(**columns):
    return pa.table(columns)


@pytest.fixture
def signals(workspace):
    ws = workspace
    load("customers", _t(customer_id=["a", "b", "c", "k"],
                         signup_at=["2023-01-01", "2023-01-01", "2023-01-01", "2024-06-25"]),
         workspace=ws)
    # a: 8 orders in the baseline year (rate 2 per 90 days), 1 in the last 90 days -> drop 0.5
    base = [
        "2023-06-01", "2023-07-01", "2023-08-01", "2023-09-01", "2023-10-01", "2023-11-01",
        "2023-12-01", "2024-01-01"]
    load("orders", _t(order_id=[f"a{i}" for i in range(9)], customer_id=["a"] * 9,
                      ordered_at=[*base, "2024-06-20"], amount=[10.0] * 9), workspace=ws)
    load("events", _t(event_id=["e1", "e2", "e3", "e4", "e5"], customer_id=["b"] * 4 + ["c"],
                      occurred_at=["2024-03-05", "2024-03-06", "2024-03-07", "2024-06-20",
                                   "2024-06-01"],
                      event_type=["feature_use"] * 4 + ["key_action"],
                      feature=["x", "y", "z", "x", None]), workspace=ws)
    load("invoices", _t(invoice_id=["i1", "i2", "i3"], customer_id=["b"] * 3,
                        issued_at=["2024-05-01", "2024-06-01", "2024-06-10"],
                        due_at=["2024-05-10", "2024-06-10", "2024-06-20"],
                        paid_at=["2024-05-20", None, "2024-06-15"],
                        amount=[5.0] * 3, status=["paid", "failed", "paid"]), workspace=ws)
    load("tickets", _t(ticket_id=["t1", "t2"], customer_id=["c", "c"],
                       opened_at=["2024-06-10", "2024-05-01"],
                       resolved_at=[None, "2024-05-02"], is_complaint=[True, True]),
         workspace=ws)
    load("survey_responses", _t(response_id=["r1", "r2", "r3"], customer_id=["c", "c", "b"],
                                question=["nps", "nps", "csat"],
                                answered_at=["2024-01-01", "2024-06-01", "2024-06-02"],
                                score=[9, 4, 2]), workspace=ws)
    load("subscriptions", _t(subscription_id=["s1"], customer_id=["b"],
                             started_at=["2024-01-01"], current_period_end=["2024-07-20"]),
         workspace=ws)
    with ws.ibis() as backend:
        out = backend.execute(risk_signals(tables(backend), as_of="2024-06-30"))
    return out.set_index("customer_id")


def test_purchase_drop_and_recency(signals):
    assert signals.loc["a", "purchase_drop"] == pytest.approx(1 - 1 / (8 * 90 / 365))
    assert signals.loc["a", "days_since_order"] == 10
    assert signals["purchase_drop"].isna().sum() == 3  # no baseline, no value


def test_activity_and_breadth(signals):
    # b: 3 events in the baseline year (90-day rate 3 x 90/365 = 0.74), 1 in the last 90 days:
    # above baseline, so no drop
    assert signals.loc["b", "activity_drop"] == 0.0
    # features: x, y, z before the last 30 days; only x in them -> 1 - 1/3
    assert signals.loc["b", "breadth_drop"] == pytest.approx(2 / 3)


def test_payments(signals):
    assert signals.loc["b", "failed_payments"] == 1
    assert signals.loc["b", "late_payments"] == 1  # i1 paid after its due date
    assert signals.loc["a", "failed_payments"] == 0


def test_tickets_and_feedback(signals):
    assert signals.loc["c", "open_complaints"] == 1
    assert signals.loc["c", "oldest_open_ticket_days"] == 20
    assert signals.loc["c", "low_nps"] == 6 and signals.loc["c", "nps_drop"] == 5
    assert signals.loc["b", "low_csat"] == 3


def test_renewal_and_key_action(signals):
    assert signals.loc["b", "renewal_days"] == 20
    # a and b signed up long ago without a key action; c did one; k signed up 5 days ago
    assert signals["no_key_action"].to_dict() == {"a": 1.0, "b": 1.0, "c": 0.0, "k": 0.0}


def test_rfm_drop(workspace):
    """The shop of tests/support/shop.py: 90 days before 2024-04-30 (2024-01-31) c was Need
    attention (rank 5); on 2024-04-30 c is (r2, f3) At risk (rank 7): rfm_drop 2. a had not
    bought on 2024-01-31: new, no drop."""
    from tests.support.shop import make_rfm_workspace

    ws = make_rfm_workspace(workspace.path)
    with ws.ibis() as backend:
        out = backend.execute(risk_signals(tables(backend), as_of="2024-04-30"))
    drops = out.set_index("customer_id")["rfm_drop"].to_dict()
    assert drops["c"] == 2.0 and drops["a"] == 0.0
