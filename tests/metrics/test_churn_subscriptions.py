"""Subscription churn (cancellation and period-end rules), revenue churn, six-month variant."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from loyalist.metrics.churn import six_month_churn
from loyalist.metrics.churn_subscriptions import revenue_churn, subscription_churn

COLUMNS = ["subscription_id", "customer_id", "started_at", "canceled_at", "current_period_end",
           "ended_at", "mrr"]
ROWS = [
    ("s1", "a", "2024-01-05", "2024-02-10", "2024-03-05", None, 10.0),
    ("s2", "b", "2024-01-20", None, "2024-04-20", None, 20.0),
    ("s3", "c", "2024-01-25", "2024-01-28", "2024-02-25", "2024-01-28", 30.0),  # immediate
    ("s4", "d", "2023-12-15", None, "2024-03-15", "2024-03-15", 40.0),  # ended, no cancel
    ("s5", "b", "2024-02-01", "2024-03-10", "2024-04-01", None, 5.0),  # b keeps s2
    ("s6", "e", "2024-02-15", "2024-04-05", "2024-04-15", None, 50.0),  # cancels after as_of
]
AS_OF = dt.date(2024, 3, 31)


def _subs(rows=ROWS):
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for c in COLUMNS[2:6]:
        frame[c] = pd.to_datetime(frame[c])
    return ibis.memtable(frame)


def _run(expr):
    return ibis.duckdb.connect().execute(expr)


def test_cancellation_rule_by_hand():
    """Months after the first start (Dec 2023): Jan, Feb, Mar 2024.
    Jan 1: only d (s4) is active; still active Feb 1 -> 0 lost; MRR 40.
    Feb 1: a (s1), b (s2, s5 starts Feb 1 00:00), d -> 3; MRR 10+20+40+5 = 75. c started and
    cancelled in January (never at a month start). Mar 1: a cancelled Feb 10 -> lost 1, MRR 10.
    Mar 1: b (s2, s5), d, e -> 3; MRR 20+40+5+50 = 115. End (Apr 1 = end of as_of): d ended
    Mar 15 (no cancellation: lost at ended_at); b cancelled s5 but keeps s2 (not lost, but its
    MRR 5 is lost); e cancels Apr 5, after as_of -> lost 1, MRR lost 40+5 = 45."""
    out = _run(subscription_churn(_subs(), as_of=AS_OF, lost_at="cancellation"))
    got = [(str(r.month)[:7], r.customers_at_start, r.lost, r.mrr_at_start, r.mrr_lost)
           for r in out.itertuples()]
    assert got == [("2024-01", 1, 0, 40.0, 0.0), ("2024-02", 3, 1, 75.0, 10.0),
                   ("2024-03", 3, 1, 115.0, 45.0)]
    assert out.churn_rate.tolist() == pytest.approx([0.0, 1 / 3, 1 / 3])
    assert out.revenue_churn_rate.tolist() == pytest.approx([0.0, 10 / 75, 45 / 115])
    assert out.implied_lifetime_months.isna().tolist() == [True, False, False]
    assert out.implied_lifetime_months.tolist()[1:] == pytest.approx([3.0, 3.0])


def test_period_end_rule_by_hand():
    """a is lost when its paid period ends (Mar 5), so a is at the start of March. s5's paid
    period ends Apr 1 00:00, not before the end of as_of: b keeps it. Jan: d, 0 lost.
    Feb: a, b, d -> 3, none lost. Mar: a, b, d, e -> 4, MRR 10+20+40+5+50 = 125; a and d lost
    -> 2 (rate 0.5, lifetime 2), MRR lost 10+40 = 50 (0.4)."""
    out = _run(subscription_churn(_subs(), as_of=AS_OF, lost_at="period_end"))
    got = [(r.customers_at_start, r.lost, r.mrr_at_start, r.mrr_lost) for r in out.itertuples()]
    assert got == [(1, 0, 40.0, 0.0), (3, 0, 75.0, 0.0), (4, 2, 125.0, 50.0)]
    assert out.churn_rate.tolist() == [0.0, 0.0, 0.5]
    assert out.implied_lifetime_months.tolist()[2] == 2.0
    assert out.revenue_churn_rate.tolist() == pytest.approx([0.0, 0.0, 0.4])


def test_revenue_churn_columns():
    out = _run(revenue_churn(_subs(), as_of=AS_OF, lost_at="cancellation"))
    assert list(out.columns) == ["month", "mrr_at_start", "mrr_lost", "revenue_churn_rate"]
    assert out.mrr_lost.tolist() == [0.0, 10.0, 45.0]


def test_six_month_subscription_variant_by_hand():
    """As of 2024-06-30 one window, Jan 1 - Jun 30 (the one before would start in Jul 2023,
    before the first subscription's month, Nov 2023). At Jan 1: d (s4) and f (s0, never
    cancelled) -> 2. Lost by Jul 1: d (ended Mar 15) -> 1. Six-month rate 1/2, monthly 1/12,
    lifetime 12 months."""
    rows = [*ROWS, ("s0", "f", "2023-11-01", None, "2024-07-01", None, 1.0)]
    out = _run(six_month_churn(_subs(rows), as_of=dt.date(2024, 6, 30), lost_at="cancellation"))
    assert [(str(r.window_start)[:10], str(r.window_end)[:10], r.customers_at_start, r.lost)
            for r in out.itertuples()] == [("2024-01-01", "2024-06-30", 2, 1)]
    assert out.six_month_rate.tolist() == [0.5]
    assert out.churn_rate.tolist() == pytest.approx([1 / 12])
    assert out.implied_lifetime_months.tolist() == pytest.approx([12.0])


def test_bad_rule():
    with pytest.raises(ValueError, match="lost_at"):
        subscription_churn(_subs(), as_of=AS_OF, lost_at="rolling")  # type: ignore[arg-type]


def test_registry_entries():
    """``churn`` with the period_end rule gives the numbers above; without ``as_of`` the last
    date of the subscriptions is used: Apr 5 (s6 cancelled), so April (Apr 1-5) is a row: b and e
    at its start, e lost on Apr 5."""
    from loyalist.errors import InputError
    from loyalist.metrics.registry import METRICS

    tables = {"subscriptions": _subs()}
    out = _run(METRICS["churn"].build(tables, {"variant": "period_end", "as_of": "2024-03-31"}))
    assert out.lost.tolist() == [0, 0, 2]
    out = _run(METRICS["churn"].build(tables, {"variant": "cancellation", "as_of": None}))
    assert [(str(r.month)[:7], r.customers_at_start, r.lost) for r in out.itertuples()][-1] == (
        "2024-04", 2, 1)
    out = _run(METRICS["revenue_churn"].build(tables, {"as_of": dt.date(2024, 3, 31)}))
    assert out.mrr_lost.tolist() == [0.0, 10.0, 45.0]
    with pytest.raises(InputError, match="variant"):
        METRICS["revenue_churn"].build(tables, {"variant": "inactivity"})


def _direct(subs: pd.DataFrame, wins: pd.DataFrame) -> pd.DataFrame:
    """The definition, instant by instant: who and what is active at each window's start and end."""
    def active(t):
        return (subs.started_at <= t) & (subs.stop.isna() | (subs.stop > t))

    rows = []
    for w in wins.itertuples():
        at_start, at_end = active(w.start), active(w.end)
        people_start = set(subs.customer_id[at_start])
        people_end = set(subs.customer_id[at_end])
        rows.append({"start": w.start, "customers_at_start": len(people_start),
                     "lost": len(people_start - people_end),
                     "mrr_at_start": float(subs.mrr[at_start].sum()),
                     "mrr_lost": float(subs.mrr[at_start & ~at_end].sum())})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("months", [1, 6])
@pytest.mark.parametrize("rule", ["cancellation", "period_end"])
def test_window_counts_equal_the_definition_on_random_subscriptions(seed, months, rule):
    """Random subscriptions (several per customer, starts and stops on month starts too, still
    running, stopping after as_of): the boundary arithmetic of ``window_churn`` gives exactly
    what checking every subscription at every window's start and end gives."""
    import numpy as np

    from loyalist.metrics.churn_subscriptions import spans, window_churn, windows

    rng = np.random.default_rng(seed)
    n = 80
    day0 = pd.Timestamp("2022-01-01")
    starts = day0 + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    # a quarter of the instants fall exactly on a month start
    on_month = rng.random(n) < 0.25
    starts = starts.where(~on_month, starts.to_period("M").to_timestamp())
    length = pd.to_timedelta(rng.integers(1, 400, n), unit="D")
    canceled = (starts + length).where(rng.random(n) < 0.6)
    period_end = (starts + length + pd.to_timedelta(rng.integers(0, 60, n), unit="D"))
    ended = (starts + length).where(rng.random(n) < 0.3)
    frame = pd.DataFrame({
        "subscription_id": [f"s{i}" for i in range(n)],
        "customer_id": [f"c{i}" for i in rng.integers(0, 25, n)],
        "started_at": starts, "canceled_at": canceled, "current_period_end": period_end,
        "ended_at": ended, "mrr": rng.integers(1, 100, n).astype(float)})
    subs = ibis.memtable(frame)
    as_of = dt.date(2024, 8, 13)
    con = ibis.duckdb.connect()
    got = con.execute(window_churn(subs, as_of=as_of, lost_at=rule, months=months))
    sp = spans(subs, as_of=as_of, lost_at=rule)
    wins = con.execute(windows(sp.started_at.min(), as_of=as_of, months=months))
    expected = _direct(con.execute(sp), wins)
    got = got.sort_values("start").reset_index(drop=True)
    expected = expected.sort_values("start").reset_index(drop=True)
    assert len(got) == len(expected) > 0
    for col in ("customers_at_start", "lost"):
        assert got[col].tolist() == expected[col].tolist(), col
    for col in ("mrr_at_start", "mrr_lost"):
        assert np.allclose(got[col], expected[col], rtol=1e-12, atol=1e-9), col
