"""RFM values and scores on a hand-computed fixture (tests/segments/conftest.py).

As of 2024-03-31 (a's order of 2024-04-02 and the guest order are left out):

| customer | last order | recency | orders | gross | refunds | net |
|---|---|---|---|---|---|---|
| a | 03-30 | 1 | 3 | 200 | 0 | 200 |
| b | 03-20 | 11 | 1 | 30 | 0 | 30 |
| c | 01-20 | 71 | 2 | 1000 | 100 | 900 |
| d | 2023-06-30 | 275 | 1 | 20 | 0 | 20 |
| e | 03-27 | 4 | 4 | 40 | 0 | 40 |

Quintiles with 5 customers: rank i (0-based) -> i + 1. Recency ranks oldest first: d, c, b, e, a.
Frequency ranks b (1, id b < d), d (1), c, a, e. Monetary (net) ranks d, b, e, a, c.
"""

from __future__ import annotations

import pytest

from loyalist.errors import InputError
from loyalist.segments.rfm import Thresholds, rfm_scores, rfm_values
from tests.segments.conftest import execute


def test_values(rfm_tables):
    backend, t = rfm_tables
    out = execute(backend, rfm_values(t["orders"], as_of="2024-03-31", refunds=t["refunds"]))
    assert out.customer_id.tolist() == ["a", "b", "c", "d", "e"]
    assert out.recency_days.tolist() == [1, 11, 71, 275, 4]
    assert out.frequency.tolist() == [3, 1, 2, 1, 4]
    assert out.monetary.tolist() == [200.0, 30.0, 900.0, 20.0, 40.0]


def test_gross_monetary_without_refunds(rfm_tables):
    backend, t = rfm_tables
    out = execute(backend, rfm_values(t["orders"], as_of="2024-03-31"))
    assert out.monetary.tolist() == [200.0, 30.0, 1000.0, 20.0, 40.0]


def test_orders_on_the_as_of_day_count(rfm_tables):
    backend, t = rfm_tables
    out = execute(backend, rfm_values(t["orders"], as_of="2024-03-27"))
    e = out[out.customer_id == "e"].iloc[0]
    assert (e.recency_days, e.frequency) == (0, 4)


def test_quintile_scores(rfm_tables):
    backend, t = rfm_tables
    out = execute(backend, rfm_scores(t["orders"], as_of="2024-03-31", refunds=t["refunds"]))
    assert out.r.tolist() == [5, 3, 2, 1, 4]
    assert out.f.tolist() == [4, 1, 3, 2, 5]
    assert out.m.tolist() == [4, 2, 5, 1, 3]
    assert out.fm.tolist() == [4, 2, 4, 2, 4]  # ceil((f + m) / 2)


def test_threshold_scores(rfm_tables):
    """Cuts: recency (30, 90, 180, 365) -> 5 within 30 days; frequency (1, 2, 4, 8);
    monetary (50, 200, 500, 2000): a score is 1 + the cuts the value is above."""
    backend, t = rfm_tables
    out = execute(backend, rfm_scores(t["orders"], as_of="2024-03-31", method="thresholds",
                                      refunds=t["refunds"]))
    assert out.r.tolist() == [5, 5, 4, 2, 5]
    assert out.f.tolist() == [3, 1, 2, 1, 3]
    assert out.m.tolist() == [2, 1, 4, 1, 1]


def test_quintiles_split_large_groups_evenly(rfm_tables):
    backend, t = rfm_tables
    import ibis

    n = 1003
    orders = ibis.memtable({"order_id": [str(i) for i in range(n)],
                            "customer_id": [f"c{i:04d}" for i in range(n)],
                            "ordered_at": ["2024-01-01"] * n, "amount": [1.0] * n})
    orders = orders.mutate(ordered_at=orders.ordered_at.cast("timestamp"))
    out = backend.execute(rfm_scores(orders, as_of="2024-02-01"))
    sizes = out.r.value_counts().sort_index().tolist()
    # score k holds ranks floor(5 i / n) = k - 1: boundaries at 200.6, 401.2, 601.8, 802.4
    assert sizes == [201, 201, 200, 201, 200] and sum(sizes) == n


@pytest.mark.parametrize("cuts", [(1, 2, 3), (3, 2, 1, 0), (1, 1, 2, 3)])
def test_bad_thresholds(cuts):
    with pytest.raises(InputError, match="4 increasing numbers"):
        Thresholds(frequency=cuts)


def test_bad_method_and_date(rfm_tables):
    _, t = rfm_tables
    with pytest.raises(InputError, match="method"):
        rfm_scores(t["orders"], as_of="2024-03-31", method="deciles")
    with pytest.raises(InputError, match="as_of"):
        rfm_values(t["orders"], as_of="last tuesday")
