"""Monthly churn with the N-days-inactive rule: by hand, and CDNOW against pandas."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from loyalist.metrics.churn import loss_events, monthly_churn, six_month_churn


def _frame(rows):
    return pd.DataFrame({"order_id": [str(i) for i in range(len(rows))],
                         "customer_id": [r[0] for r in rows],
                         "ordered_at": pd.to_datetime([r[1] for r in rows])})


def test_by_hand():
    """N = 40. a: Jan 5 and Jan 30 (gap 25, kept), then nothing: lost Mar 10.
    b: Jan 10, then Mar 15 (gap 65 > 40): lost Feb 19, back, lost again Apr 24.
    Start of February: a, b (ordered Dec 22 - Jan 31). Start of March: a (Jan 30 within 40 days
    of Mar 1). Start of April: b (Mar 15). As of Apr 30."""
    rows = [("a", "2024-01-05"), ("a", "2024-01-30"), ("b", "2024-01-10"), ("b", "2024-03-15"),
            (None, "2024-02-01")]
    con = ibis.duckdb.connect()
    events = con.execute(loss_events(ibis.memtable(_frame(rows)), inactive_days=40))
    assert sorted((r.customer_id, str(r.lost_on)[:10]) for r in events.itertuples()) == [
        ("a", "2024-03-10"), ("b", "2024-02-19"), ("b", "2024-04-24")]
    out = con.execute(monthly_churn(ibis.memtable(_frame(rows)), as_of=dt.date(2024, 4, 30),
                                    inactive_days=40))
    got = [(str(r.month)[:7], r.customers_at_start, r.lost) for r in out.itertuples()]
    assert got == [("2024-02", 2, 1), ("2024-03", 1, 1), ("2024-04", 1, 1)]
    assert out.churn_rate.tolist() == [0.5, 1.0, 1.0]


def _monthly(customer, first, last):
    return [(customer, f"2024-{m:02d}-01") for m in range(first, last + 1)]


def test_six_month_inactivity_by_hand():
    """N = 40, as of 2024-12-31: windows Jul-Dec and Jan-Jun 2024 (Jul-Dec 2023 would start
    before the first order's month, Dec 2023).
    a: Dec 1, Feb 15 (gap 76): lost Jan 10, back, lost Mar 26.
    b: Dec 25, Jan 20, Jun 25 (gap 157: lost Feb 29), Aug 10 (gap 46: lost Aug 4), lost Sep 19.
    c: Jun 1, Jul 5, then the 1st of every month to Dec: next loss in 2025.
    d: Dec 30, Jan 30, then the 1st of every month Mar-Dec: never lost by as_of.
    e: Jul 15 only: lost Aug 24, but not active at the start of July, so not counted.
    Jan 1 (orders Nov 22 - Dec 31): a, b, d -> 3; lost in Jan-Jun: a, b -> 2.
    Jul 1 (orders May 22 - Jun 30): b, c, d -> 3; lost in Jul-Dec: b -> 1."""
    rows = [("a", "2023-12-01"), ("a", "2024-02-15"),
            ("b", "2023-12-25"), ("b", "2024-01-20"), ("b", "2024-06-25"), ("b", "2024-08-10"),
            ("c", "2024-07-05"), *_monthly("c", 6, 6), *_monthly("c", 8, 12),
            ("d", "2023-12-30"), ("d", "2024-01-30"), *_monthly("d", 3, 12),
            ("e", "2024-07-15")]
    out = ibis.duckdb.connect().execute(six_month_churn(
        ibis.memtable(_frame(rows)), as_of=dt.date(2024, 12, 31), inactive_days=40))
    got = [(str(r.window_start)[:10], str(r.window_end)[:10], r.customers_at_start, r.lost)
           for r in out.itertuples()]
    assert got == [("2024-07-01", "2024-12-31", 3, 1), ("2024-01-01", "2024-06-30", 3, 2)]
    assert out.six_month_rate.tolist() == pytest.approx([1 / 3, 2 / 3])
    assert out.churn_rate.tolist() == pytest.approx([1 / 18, 1 / 9])  # divided by six
    assert out.implied_lifetime_months.tolist() == pytest.approx([18.0, 9.0])


def test_short_windows_are_refused():
    with pytest.raises(ValueError, match="31 or more"):
        monthly_churn(ibis.memtable(_frame([("a", "2024-01-01")])), as_of=dt.date(2024, 2, 1),
                      inactive_days=30)


def test_cdnow_90_days_matches_pandas(shared_data):
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    orders = pd.DataFrame({"order_id": raw.index.astype(str),
                           "customer_id": raw["customer_id"].astype(str),
                           "ordered_at": pd.to_datetime(raw["date"].astype(str),
                                                        format="%Y%m%d")})
    as_of = dt.date(1998, 6, 30)
    got = ibis.duckdb.connect().execute(monthly_churn(ibis.memtable(orders), as_of=as_of))
    # independent pandas computation
    days = orders[["customer_id", "ordered_at"]].drop_duplicates().sort_values(
        ["customer_id", "ordered_at"])
    nxt = days.groupby("customer_id").ordered_at.shift(-1)
    lost = days[nxt.isna() | ((nxt - days.ordered_at).dt.days > 90)]
    lost_on = lost.ordered_at + pd.Timedelta(days=90)
    lost_on = lost_on[lost_on <= pd.Timestamp(as_of)]
    lost_by_month = lost_on.dt.to_period("M").value_counts()
    rows = []
    for month in pd.period_range("1997-02", "1998-06", freq="M"):
        start = month.start_time
        window = days[(days.ordered_at >= start - pd.Timedelta(days=90))
                      & (days.ordered_at < start)]
        rows.append((start.date(), window.customer_id.nunique(),
                     int(lost_by_month.get(month, 0))))
    expected = pd.DataFrame(rows, columns=["month", "customers_at_start", "lost"])
    assert [d.date() if hasattr(d, "date") else d for d in got.month] == expected.month.tolist()
    assert got.customers_at_start.tolist() == expected.customers_at_start.tolist()
    assert got.lost.tolist() == expected.lost.tolist()
    assert np.allclose(got.churn_rate, expected.lost / expected.customers_at_start)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("months", [1, 6])
def test_inactivity_windows_equal_the_definition_on_random_orders(seed, months):
    """Random order days (some on month starts): who is at each window's first day and lost
    before its end, checked spell by spell against the month arithmetic of the windows."""
    import numpy as np

    from loyalist.metrics.churn import _inactivity_windows, _spells
    from loyalist.metrics.churn_subscriptions import windows

    rng = np.random.default_rng(seed)
    n = 400
    days = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")
    on_month = rng.random(n) < 0.2
    days = days.where(~on_month, days.to_period("M").to_timestamp())
    frame = pd.DataFrame({"order_id": [str(i) for i in range(n)],
                          "customer_id": [f"c{i}" for i in rng.integers(0, 40, n)],
                          "ordered_at": days, "amount": 1.0})
    orders = ibis.memtable(frame)
    con = ibis.duckdb.connect()
    as_of = dt.date(2024, 9, 20)
    got = con.execute(_inactivity_windows(orders, as_of=as_of, inactive_days=60, months=months))
    sp = _spells(orders, 60)
    spells = con.execute(sp)
    w = windows(sp.since.min().cast("timestamp"), as_of=as_of, months=months)
    wins = con.execute(w.select(start=w.start.date(), end=w.end.date()))
    expected = []
    for win in wins.itertuples():
        start, end = pd.Timestamp(win.start), pd.Timestamp(win.end)
        since, lost_on = pd.to_datetime(spells.since), pd.to_datetime(spells.lost_on)
        at = spells[(since < start) & (lost_on >= start)]
        expected.append((start, at.customer_id.nunique(),
                         int((pd.to_datetime(at.lost_on) < end).sum())))
    got = sorted((pd.Timestamp(r.start), r.customers_at_start, r.lost)
                 for r in got.itertuples())
    assert len(got) > 0 and got == sorted(expected)
