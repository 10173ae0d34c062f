"""Cohort retention: hand-computed fixtures for variants, periods, segments, brackets and
revenue retention (NRR/GRR); CDNOW against pandas."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from loyalist.metrics.retention import cohort_retention, revenue_retention
from tests.metrics.test_churn_subscriptions import AS_OF, _subs

ORDERS = pd.DataFrame({
    "order_id": [str(i) for i in range(8)],
    "customer_id": ["a", "a", "a", "b", "b", "c", "d", None],
    "ordered_at": pd.to_datetime(["2024-01-03", "2024-01-20", "2024-03-05", "2024-01-10",
                                  "2024-02-11", "2024-02-01", "2024-02-20", "2024-01-01"]),
})


def _run(variant, **options):
    out = ibis.duckdb.connect().execute(cohort_retention(ibis.memtable(ORDERS), variant=variant,
                                                         **options))
    return {(str(r.cohort)[:10], r.period): (r.customers, r.cohort_size, r.rate)
            for r in out.itertuples()}


def test_on_variant_by_hand():
    """January cohort {a, b}: month 0 both; February (1) b; March (2) a.
    February cohort {c, d}: only month 0. The guest order is not a customer."""
    assert _run("on") == {
        ("2024-01-01", 0): (2, 2, 1.0), ("2024-01-01", 1): (1, 2, 0.5),
        ("2024-01-01", 2): (1, 2, 0.5), ("2024-02-01", 0): (2, 2, 1.0),
    }


def test_on_or_after_variant_by_hand():
    """Active in month n or later: January period 1 counts a (back in March) and b (February)."""
    assert _run("on_or_after") == {
        ("2024-01-01", 0): (2, 2, 1.0), ("2024-01-01", 1): (2, 2, 1.0),
        ("2024-01-01", 2): (1, 2, 0.5), ("2024-02-01", 0): (2, 2, 1.0),
    }


def test_weekly_cohorts_by_hand():
    """ISO weeks (Monday first); 2024-01-01 is a Monday. a: Jan 3 (week of Jan 1), Jan 20 (week
    of Jan 15: period 2), Mar 5 (week of Mar 4: 63 days = 9 weeks later). b: Jan 10 (week of
    Jan 8), Feb 11, a Sunday (week of Feb 5: 28 days = period 4). c: Feb 1 (week of Jan 29).
    d: Feb 20 (week of Feb 19). Every weekly cohort has one customer."""
    assert _run("on", period="week") == {
        ("2024-01-01", 0): (1, 1, 1.0), ("2024-01-01", 2): (1, 1, 1.0),
        ("2024-01-01", 9): (1, 1, 1.0), ("2024-01-08", 0): (1, 1, 1.0),
        ("2024-01-08", 4): (1, 1, 1.0), ("2024-01-29", 0): (1, 1, 1.0),
        ("2024-02-19", 0): (1, 1, 1.0),
    }


def test_daily_cohorts_by_hand():
    """a: Jan 3 -> Jan 20 is day 17, Mar 5 is day 62 (28 + 29 + 5). b: Jan 10 -> Feb 11 = 32."""
    got = _run("on", period="day")
    assert {k: v for k, v in got.items() if k[1] > 0} == {
        ("2024-01-03", 17): (1, 1, 1.0), ("2024-01-03", 62): (1, 1, 1.0),
        ("2024-01-10", 32): (1, 1, 1.0)}
    assert len(got) == 7  # 4 cohorts at day 0 + 3 returns


def test_by_channel_by_hand():
    """Adds e (ads, Jan 25 only). January cohort: ads {a, e}, referral {b}; February: ads {c},
    d has no channel (its own, empty segment). Month 2 of January/ads: a only -> 1/2."""
    orders = pd.concat([ORDERS, pd.DataFrame({"order_id": ["9"], "customer_id": ["e"],
                                              "ordered_at": pd.to_datetime(["2024-01-25"])})])
    customers = ibis.memtable(pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e"],
        "acquisition_channel": ["ads", "referral", "ads", None, "ads"]}))
    out = ibis.duckdb.connect().execute(cohort_retention(
        ibis.memtable(orders), customers=customers, by="acquisition_channel"))
    got = {(str(r.cohort)[:7], r.segment, r.period): (r.customers, r.cohort_size, r.rate)
           for r in out.itertuples()}
    assert got == {
        ("2024-01", "ads", 0): (2, 2, 1.0), ("2024-01", "ads", 2): (1, 2, 0.5),
        ("2024-01", "referral", 0): (1, 1, 1.0), ("2024-01", "referral", 1): (1, 1, 1.0),
        ("2024-02", "ads", 0): (1, 1, 1.0), ("2024-02", None, 0): (1, 1, 1.0),
    }
    assert list(out.columns) == ["cohort", "segment", "period", "cohort_size", "customers",
                                 "rate"]
    with pytest.raises(ValueError, match="column of customers"):
        cohort_retention(ibis.memtable(orders), customers=customers, by="favourite_colour")


def test_brackets_by_hand():
    """January cohort {a, b}: active in period 0 both; in 1-2 a (period 2) and b (period 1),
    each counted once -> 2/2; in 2-3 only a -> 1/2. February {c, d}: only period 0 (no row for
    the empty brackets)."""
    out = ibis.duckdb.connect().execute(cohort_retention(
        ibis.memtable(ORDERS), brackets=[(0, 0), (1, 2), (2, 3)]))
    got = [(str(r.cohort)[:7], r.period, r.period_to, r.customers, r.rate)
           for r in out.itertuples()]
    assert got == [("2024-01", 0, 0, 2, 1.0), ("2024-01", 1, 2, 2, 1.0),
                   ("2024-01", 2, 3, 1, 0.5), ("2024-02", 0, 0, 2, 1.0)]
    with pytest.raises(ValueError, match="brackets"):
        cohort_retention(ibis.memtable(ORDERS), brackets=[(3, 1)])


def test_revenue_retention_orders_by_hand():
    """January cohort {a, b}: period 0 a 100, b 200 -> 300.
    Period 1: a 150, b 100 -> NRR 250/300; GRR min(150,100) + min(100,200) = 200 -> 200/300.
    Period 2: a 50 -> NRR = GRR = 50/300. Period 3: b 300 -> NRR 300/300, GRR 200/300.
    February cohort {c}: 80 then 80 -> 1, 1. The guest order counts nowhere."""
    rows = [("a", "2024-01-10", 100.0), ("a", "2024-02-10", 150.0), ("a", "2024-03-10", 50.0),
            ("b", "2024-01-20", 200.0), ("b", "2024-02-05", 100.0), ("b", "2024-04-01", 300.0),
            ("c", "2024-02-03", 80.0), ("c", "2024-03-03", 80.0), (None, "2024-01-05", 999.0)]
    orders = pd.DataFrame({"order_id": [str(i) for i in range(len(rows))],
                           "customer_id": [r[0] for r in rows],
                           "ordered_at": pd.to_datetime([r[1] for r in rows]),
                           "amount": [r[2] for r in rows]})
    out = ibis.duckdb.connect().execute(revenue_retention(ibis.memtable(orders)))
    got = [(str(r.cohort)[:7], r.period, r.customers, r.revenue, r.cohort_revenue)
           for r in out.itertuples()]
    assert got == [("2024-01", 0, 2, 300.0, 300.0), ("2024-01", 1, 2, 250.0, 300.0),
                   ("2024-01", 2, 1, 50.0, 300.0), ("2024-01", 3, 1, 300.0, 300.0),
                   ("2024-02", 0, 1, 80.0, 80.0), ("2024-02", 1, 1, 80.0, 80.0)]
    assert out.nrr.tolist() == pytest.approx([1, 250 / 300, 50 / 300, 1, 1, 1])
    assert out.grr.tolist() == pytest.approx([1, 200 / 300, 50 / 300, 200 / 300, 1, 1])


def test_revenue_retention_subscriptions_by_hand():
    """The subscriptions of test_churn_subscriptions, as of 2024-03-31; a month counts a
    subscription's MRR when it is in service at some time in it (to the end of the paid period).
    a: s1 Jan-Mar 10. b: s2 Jan-Mar 20 + s5 Feb-Mar 5. c: s3 Jan 30. d: s4 Dec-Mar 40.
    e: s6 Feb-Mar 50. December cohort {d}: 40 every month -> 1.
    January cohort {a, b, c}: base 10 + 20 + 30 = 60; Feb and Mar a 10, b 25 -> NRR 35/60,
    GRR min(10,10) + min(25,20) = 30 -> 0.5. February cohort {e}: 50, 50 -> 1."""
    out = ibis.duckdb.connect().execute(revenue_retention(_subs(), as_of=AS_OF))
    got = {(str(r.cohort)[:7], r.period): (r.customers, r.revenue, r.nrr, r.grr)
           for r in out.itertuples()}
    assert got == {
        ("2023-12", 0): (1, 40.0, 1.0, 1.0), ("2023-12", 1): (1, 40.0, 1.0, 1.0),
        ("2023-12", 2): (1, 40.0, 1.0, 1.0), ("2023-12", 3): (1, 40.0, 1.0, 1.0),
        ("2024-01", 0): (3, 60.0, 1.0, 1.0), ("2024-01", 1): (2, 35.0, 35 / 60, 0.5),
        ("2024-01", 2): (2, 35.0, 35 / 60, 0.5),
        ("2024-02", 0): (1, 50.0, 1.0, 1.0), ("2024-02", 1): (1, 50.0, 1.0, 1.0),
    }
    with pytest.raises(ValueError, match="as_of"):
        revenue_retention(_subs())


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


def test_cdnow_weekly_cohorts_start_at_one(shared_data):
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    orders = pd.DataFrame({"order_id": raw.index.astype(str),
                           "customer_id": raw["customer_id"].astype(str),
                           "ordered_at": pd.to_datetime(raw["date"].astype(str),
                                                        format="%Y%m%d")})
    got = ibis.duckdb.connect().execute(cohort_retention(ibis.memtable(orders), period="week",
                                                         variant="on"))
    first = got[got.period == 0]
    # first orders Jan 1 (a Wednesday) - Mar 31 1997: weeks from Mon Dec 30 1996 to Mar 24 1997
    assert first.cohort.nunique() == got.cohort.nunique() == 13
    assert (first.rate == 1.0).all()
    assert (first.customers == first.cohort_size).all()
    # cohort sizes against pandas' weeks ending on Sunday
    weeks = orders.groupby("customer_id").ordered_at.min().dt.to_period("W-SUN").dt.start_time
    expected = weeks.value_counts().sort_index()
    assert pd.to_datetime(first.cohort).tolist() == expected.index.tolist()
    assert first.cohort_size.tolist() == expected.tolist()


def test_registry_cohort_retention_options():
    """Weekly cohorts with brackets given as text: the week of Jan 1 (a) is back in weeks 2 and
    9 -> bracket 1-9 counts a once."""
    from loyalist.metrics.registry import METRICS

    customers = ibis.memtable(pd.DataFrame({"customer_id": list("abcd"),
                                            "plan": ["pro", "pro", "free", "free"]}))
    tables = {"orders": ibis.memtable(ORDERS), "customers": customers}
    out = ibis.duckdb.connect().execute(METRICS["cohort_retention"].build(
        tables, {"period": "week", "brackets": "0-0,1-9", "variant": None}))
    first = out[out.cohort.astype(str).str.startswith("2024-01-01")]
    assert [(r.period, r.period_to, r.customers) for r in first.itertuples()] == [(0, 0, 1),
                                                                                 (1, 9, 1)]
    out = ibis.duckdb.connect().execute(METRICS["cohort_retention"].build(tables, {"by": "plan"}))
    assert sorted(set(out.segment)) == ["free", "pro"]
