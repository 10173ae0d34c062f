"""Cohort retention: a hand-computed fixture for both variants; CDNOW against pandas."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from loyalist.metrics.retention import cohort_retention

ORDERS = pd.DataFrame({
    "order_id": [str(i) for i in range(8)],
    "customer_id": ["a", "a", "a", "b", "b", "c", "d", None],
    "ordered_at": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-03-05", "2024-01-10",
                                  "2024-02-11", "2024-02-01", "2024-02-20", "2024-01-01"]),
})


def _run(variant):
    out = ibis.duckdb.connect().execute(cohort_retention(ibis.memtable(ORDERS), variant=variant))
    return {(str(r.cohort)[:7], r.period): (r.customers, r.cohort_size, r.rate)
            for r in out.itertuples()}


def test_on_variant_by_hand():
    """January cohort {a, b}: month 0 both; February (1) b; March (2) a.
    February cohort {c, d}: only month 0. The guest order is not a customer."""
    assert _run("on") == {
        ("2024-01", 0): (2, 2, 1.0), ("2024-01", 1): (1, 2, 0.5), ("2024-01", 2): (1, 2, 0.5),
        ("2024-02", 0): (2, 2, 1.0),
    }


def test_on_or_after_variant_by_hand():
    """Active in month n or later: January period 1 counts a (back in March) and b (February)."""
    assert _run("on_or_after") == {
        ("2024-01", 0): (2, 2, 1.0), ("2024-01", 1): (2, 2, 1.0), ("2024-01", 2): (1, 2, 0.5),
        ("2024-02", 0): (2, 2, 1.0),
    }


def test_bad_variant():
    with pytest.raises(ValueError, match="variant"):
        cohort_retention(ibis.memtable(ORDERS), variant="rolling")


def test_cdnow_monthly_cohorts_match_pandas(shared_data):
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    raw["ordered_at"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    orders = pd.DataFrame({"order_id": raw.index.astype(str),
                           "customer_id": raw["customer_id"].astype(str),
                           "ordered_at": raw["ordered_at"]})
    got = ibis.duckdb.connect().execute(cohort_retention(ibis.memtable(orders)))
    # independent pandas computation: month index difference per customer and month
    m = orders.assign(m=orders.ordered_at.dt.year * 12 + orders.ordered_at.dt.month)
    first = m.groupby("customer_id").m.transform("min")
    m = m.assign(cohort=first, period=m.m - first).drop_duplicates(["customer_id", "m"])
    expected = m.groupby(["cohort", "period"]).customer_id.nunique()
    sizes = m[m.period == 0].groupby("cohort").customer_id.nunique()
    got_idx = got.assign(cohort=pd.to_datetime(got.cohort).dt.year * 12
                         + pd.to_datetime(got.cohort).dt.month).set_index(["cohort", "period"])
    assert len(got_idx) == len(expected) == 3 * 18 - 3  # Jan-Mar 1997 cohorts to June 1998
    assert (got_idx.customers.sort_index() == expected.sort_index()).all()
    rate = expected / expected.index.get_level_values(0).map(sizes).to_numpy()
    assert (got_idx.rate.sort_index() - rate.sort_index()).abs().max() < 1e-12
