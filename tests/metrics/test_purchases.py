"""Orders per customer, recency and purchase gaps on a hand-computed shop."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from loyalist.metrics.purchases import (
    order_gaps,
    orders_per_customer,
    purchase_gaps,
    recency,
    recency_summary,
)

ROWS = [
    ("a", "2024-01-01"), ("a", "2024-01-11"), ("a", "2024-03-01"),  # gaps 10, 50
    ("b", "2024-01-15"), ("b", "2024-01-15 18:00"), ("b", "2024-02-14"),  # one day; gap 30
    ("c", "2024-01-20"),
    ("d", "2024-02-03"), ("d", "2024-02-07"), ("d", "2024-02-08"), ("d", "2024-02-28"),  # 4 1 20
    ("e", "2024-02-10"), ("e", "2024-02-12"),  # gap 2
    ("f", "2024-03-20"),  # after the recency as_of
    (None, "2024-01-02"),  # guest
]


def _orders():
    return ibis.memtable(pd.DataFrame({
        "order_id": [str(i) for i in range(len(ROWS))],
        "customer_id": [r[0] for r in ROWS],
        "ordered_at": pd.to_datetime([r[1] for r in ROWS], format="ISO8601")}))


def _run(expr):
    return ibis.duckdb.connect().execute(expr)


def test_orders_per_customer_by_month():
    """Jan: a 2, b 2 (two orders on one day are two orders), c 1 -> 5 / 3.
    Feb: b 1, d 4, e 2 -> 7 / 3. Mar: a 1, f 1 -> 2 / 2. The guest order is left out."""
    out = _run(orders_per_customer(_orders(), period="month"))
    assert [(str(r.period)[:10], r.orders, r.customers) for r in out.itertuples()] == [
        ("2024-01-01", 5, 3), ("2024-02-01", 7, 3), ("2024-03-01", 2, 2)]
    assert out.orders_per_customer.tolist() == pytest.approx([5 / 3, 7 / 3, 1.0])


def test_orders_per_customer_by_week():
    """Weeks from Monday: Feb 5-11 holds d (Feb 7, 8) and e (Feb 10) -> 3 orders, 2 buyers."""
    out = _run(orders_per_customer(_orders(), period="week"))
    row = out[out.period.astype(str).str.startswith("2024-02-05")].iloc[0]
    assert (row.orders, row.customers, row.orders_per_customer) == (3, 2, 1.5)
    assert len(out) == 8  # weeks of Jan 1, 8, 15, Jan 29, Feb 5, Feb 12, Feb 26, Mar 18


def test_recency_by_hand():
    """As of 2024-03-10 (f's order on Mar 20 is later: f is not a customer yet).
    a Mar 1 -> 9; b Feb 14 -> 25; c Jan 20 -> 50; d Feb 28 -> 11; e Feb 12 -> 27.
    Sorted 9, 11, 25, 27, 50: mean 122 / 5 = 24.4, median 25, quartiles 11 and 27,
    p90 = 27 + 0.6 * (50 - 27) = 40.8 (interpolated), max 50."""
    as_of = dt.date(2024, 3, 10)
    per = _run(recency(_orders(), as_of=as_of)).sort_values("customer_id")
    assert per.customer_id.tolist() == ["a", "b", "c", "d", "e"]
    assert per.recency_days.tolist() == [9, 25, 50, 11, 27]
    summary = _run(recency_summary(_orders(), as_of=as_of)).iloc[0]
    assert summary.customers == 5 and summary.max_days == 50
    assert summary.mean_days == pytest.approx(24.4)
    assert (summary.p25_days, summary.median_days, summary.p75_days) == (11.0, 25.0, 27.0)
    assert summary.p90_days == pytest.approx(40.8)


def test_order_gaps_by_hand():
    gaps = _run(order_gaps(_orders())).sort_values(["customer_id", "gap_no"])
    assert [(r.customer_id, r.gap_no, r.gap_days) for r in gaps.itertuples()] == [
        ("a", 1, 10), ("a", 2, 50), ("b", 1, 30), ("d", 1, 4), ("d", 2, 1), ("d", 3, 20),
        ("e", 1, 2)]


def test_purchase_gaps_by_cohort():
    """January cohort {a, b, c}: repeaters a, b; first gaps 10, 30 -> mean = median = 20;
    all gaps 10, 50, 30 -> mean = median = 30. February {d, e}: first gaps 4, 2 -> 3; all gaps
    4, 1, 20, 2 -> mean 6.75, median (2 + 4) / 2 = 3. March {f}: no gap yet. The first gap
    shrinks from 20 days to 3 from January to February."""
    out = _run(purchase_gaps(_orders()))
    got = [(str(r.cohort)[:7], r.customers, r.repeat_customers, r.gaps) for r in out.itertuples()]
    assert got == [("2024-01", 3, 2, 3), ("2024-02", 2, 2, 4), ("2024-03", 1, 0, 0)]
    assert out.mean_first_gap_days.tolist()[:2] == [20.0, 3.0]
    assert out.median_first_gap_days.tolist()[:2] == [20.0, 3.0]
    assert out.mean_gap_days.tolist()[:2] == [30.0, 6.75]
    assert out.median_gap_days.tolist()[:2] == [30.0, 3.0]
    assert out.mean_first_gap_days.isna().tolist() == [False, False, True]
