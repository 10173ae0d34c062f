"""Segments at two dates on the fixture of tests/segments/conftest.py.

Now (2024-03-31, rf-grid): a (r5, f4) Champions, b (r3, f1) About to sleep, c (r2, f3) At risk,
d (r1, f2) Lost, e (r4, f5) Loyal. Before (2024-01-31) only c and d had bought; with 2 customers
rank i gets floor(5 i / 2) + 1, i.e. 1 or 3: c (recency 11, 2 orders) = (r3, f3) Need attention,
d (recency 215, 1 order) = (r1, f1) Lost.
"""

from __future__ import annotations

from loyalist.segments.movement import (
    best_customers,
    falling_off,
    migration_matrix,
    movement,
    segment_summary,
    segments_at,
)
from tests.segments.conftest import execute


def _both(t, threshold=90):
    now = segments_at(t["orders"], as_of="2024-03-31", refunds=t["refunds"])
    before = segments_at(t["orders"], as_of="2024-01-31", refunds=t["refunds"])
    return now, before, movement(before, now, recency_threshold_days=threshold)


def test_segments_now_and_before(rfm_tables):
    backend, t = rfm_tables
    now, before, _ = _both(t)
    assert execute(backend, now).segment.tolist() == [
        "Champions", "About to sleep", "At risk", "Lost", "Loyal"]
    assert execute(backend, before).segment.tolist() == ["Need attention", "Lost"]


def test_movement_and_reasons(rfm_tables):
    backend, t = rfm_tables
    _, _, moves = _both(t)
    out = execute(backend, moves)
    assert out.direction.tolist() == ["new", "new", "down", "same", "new"]
    assert out.falling_off.tolist() == [False, False, True, False, False]
    assert out.reason[2] == "moved from Need attention to At risk"
    falling = execute(backend, falling_off(moves))
    assert falling.customer_id.tolist() == ["c"]


def test_recency_threshold_crossing(rfm_tables):
    """With a 60-day threshold c (11 days before, 71 now) also crossed it."""
    backend, t = rfm_tables
    _, _, moves = _both(t, threshold=60)
    c = execute(backend, moves).set_index("customer_id").loc["c"]
    assert c.reason == "moved from Need attention to At risk; no order for 71 days (threshold 60)"


def test_migration_matrix(rfm_tables):
    backend, t = rfm_tables
    _, _, moves = _both(t)
    out = execute(backend, migration_matrix(moves), key=None)
    pairs = {(r.segment_before if isinstance(r.segment_before, str) else None, r.segment):
             r.customers for r in out.itertuples()}
    assert pairs == {(None, "Champions"): 1, (None, "About to sleep"): 1, (None, "Loyal"): 1,
                     ("Need attention", "At risk"): 1, ("Lost", "Lost"): 1}


def test_best_customers_and_summary(rfm_tables):
    backend, t = rfm_tables
    now, _, _ = _both(t)
    best = backend.execute(best_customers(now))
    assert best.customer_id.tolist() == ["a", "e", "b", "c", "d"]
    summary = backend.execute(segment_summary(now))
    assert summary.customers.sum() == 5
    assert abs(summary.revenue_share.sum() - 1.0) < 1e-12
    champions = summary.set_index("segment").loc["Champions"]
    assert champions.revenue == 200.0 and abs(champions.revenue_share - 200 / 1190) < 1e-12
