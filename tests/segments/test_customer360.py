from __future__ import annotations

import pytest

from loyalist.errors import NotFoundError
from loyalist.segments.customer360 import customer_360


def test_one_view_of_a_customer(rfm_tables):
    backend, t = rfm_tables
    view = customer_360(backend, t, "c", as_of="2024-03-31", history_months=2)
    assert view["profile"]["customer_id"] == "c"
    assert str(view["profile"]["signup_at"]).startswith("2024-01-10")
    money = view["money"]
    assert (money["orders"], money["revenue"], money["refunded"]) == (2, 1000.0, 100.0)
    assert [o["order_id"] for o in money["recent_orders"]] == ["c2", "c1"]
    # 2024-02-29: a, c and d had bought; with 3 customers ranks 0, 1, 2 score 1, 2, 4, so c
    # (recency 40 of 28/40/244 days; 2 orders of 1/1/2) is (r2, f4): At risk already.
    assert [(h["as_of"], h["segment"]) for h in view["segments"]] == [
        ("2024-01-31", "Need attention"), ("2024-02-29", "At risk"), ("2024-03-31", "At risk")]
    assert view["value"]["revenue"] == 900.0
    assert view["signals"]["customer_id"] == "c"
    assert view["satisfaction"]["tickets"] == 0 and view["satisfaction"]["last_nps"] is None


def test_unknown_customer(rfm_tables):
    backend, t = rfm_tables
    with pytest.raises(NotFoundError, match="no customer 'zz'"):
        customer_360(backend, t, "zz", as_of="2024-03-31")
