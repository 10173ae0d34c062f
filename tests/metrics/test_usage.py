"""Usage metrics over events, on a hand-computed fixture."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from loyalist.metrics.usage import (
    active_days,
    dau_mau,
    feature_breadth,
    session_depth,
    sessions,
    time_to_value,
    time_to_value_by_cohort,
)

EVENTS = [  # customer, occurred_at, event_type, feature
    ("a", "2024-01-01 09:00", "login", None),
    ("a", "2024-01-01 09:10", "feature_use", "export"),
    ("a", "2024-01-01 09:50", "key_action", None),  # 40 min idle: a new session
    ("a", "2024-01-03 10:00", "feature_use", "share"),
    ("a", "2024-01-31 08:00", "feature_use", "export"),
    ("b", "2024-01-12 12:00", "login", None),
    ("b", "2024-01-12 12:20", "key_action", None),
    ("b", "2024-01-12 12:45", "feature_use", "report"),  # 25 min: same session
    ("c", "2024-02-05 07:00", "login", None),
    ("d", "2024-01-20 15:00", "login", None),
    ("d", "2024-01-25 15:00", "key_action", None),
    ("d", "2024-01-29 15:00", "feature_use", "export"),
    ("e", "2023-12-30 10:00", "key_action", None),  # before e's sign-up
]
CUSTOMERS = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e", "z"],
    "signup_at": pd.to_datetime(["2024-01-01", "2024-01-10", "2024-02-01", None, "2024-01-05",
                                 "2024-02-15"]),
})


def _events():
    return ibis.memtable(pd.DataFrame({
        "event_id": [f"e{i}" for i in range(len(EVENTS))],
        "customer_id": [r[0] for r in EVENTS],
        "occurred_at": pd.to_datetime([r[1] for r in EVENTS]),
        "event_type": [r[2] for r in EVENTS],
        "feature": [r[3] for r in EVENTS],
        "duration_seconds": [None] * len(EVENTS)}))


def _run(expr):
    return ibis.duckdb.connect().execute(expr)


def test_time_to_value_by_hand():
    """a signs up Jan 1, key action Jan 1 -> 0. b Jan 10 -> Jan 12: 2. c: never.
    d has no sign-up date: first seen Jan 20, key action Jan 25 -> 5. e signs up Jan 5 but its
    key action is recorded Dec 30 -> 0. z: no events, never.
    January cohort {a, b, d, e}: all reached it, days 0, 2, 5, 0 -> median 1, mean 7/4.
    February cohort {c, z}: none."""
    per = _run(time_to_value(ibis.memtable(CUSTOMERS), _events())).sort_values("customer_id")
    assert per.days_to_value.astype("Int64").tolist() == [0, 2, pd.NA, 5, 0, pd.NA]
    out = _run(time_to_value_by_cohort(ibis.memtable(CUSTOMERS), _events()))
    got = [(str(r.cohort)[:7], r.customers, r.reached, r.share_reached) for r in out.itertuples()]
    assert got == [("2024-01", 4, 4, 1.0), ("2024-02", 2, 0, 0.0)]
    assert out.median_days.tolist()[0] == 1.0
    assert out.mean_days.tolist()[0] == pytest.approx(7 / 4)
    assert out.median_days.isna().tolist() == [False, True]


def test_time_to_value_from_first_seen():
    """Without customers, sign-up = first event: e Dec 30 (0 days), a (0), b Jan 12 (0),
    d Jan 20 (5), c Feb 5 (never)."""
    out = _run(time_to_value_by_cohort(None, _events()))
    got = [(str(r.cohort)[:7], r.customers, r.reached) for r in out.itertuples()]
    assert got == [("2023-12", 1, 1), ("2024-01", 3, 3), ("2024-02", 1, 0)]
    assert out.median_days.tolist()[:2] == [0.0, 0.0]
    assert out.mean_days.tolist()[1] == pytest.approx(5 / 3)


def test_active_days_by_month():
    """Dec: e 1 day. Jan: a Jan 1, 3, 31 (two events on Jan 1 are one day) -> 3; b 1; d 3
    -> mean 7/3, median 3, max 3. Feb: c 1."""
    out = _run(active_days(_events(), period="month"))
    got = [(str(r.period)[:7], r.active_customers, r.median_active_days, r.max_active_days)
           for r in out.itertuples()]
    assert got == [("2023-12", 1, 1.0, 1), ("2024-01", 3, 3.0, 3), ("2024-02", 1, 1.0, 1)]
    assert out.mean_active_days.tolist() == pytest.approx([1.0, 7 / 3, 1.0])


def test_feature_breadth_by_hand():
    """As of Jan 31, 30 days = Jan 2 - Jan 31: a share + export -> 2 (its Jan 1 events are
    out); b report -> 1 (3 events); d export -> 1 (3 events). 7 days = Jan 25 - 31: a export,
    d export (2 events)."""
    out = _run(feature_breadth(_events(), as_of=dt.date(2024, 1, 31)))
    assert [(r.customer_id, r.features, r.events) for r in out.itertuples()] == [
        ("a", 2, 2), ("b", 1, 3), ("d", 1, 3)]
    out = _run(feature_breadth(_events(), as_of=dt.date(2024, 1, 31), window_days=7))
    assert [(r.customer_id, r.features, r.events) for r in out.itertuples()] == [
        ("a", 1, 1), ("d", 1, 2)]


def test_sessions_and_depth_by_hand():
    """30 minutes idle starts a session. a: {09:00, 09:10}, {09:50}, {Jan 3}, {Jan 31};
    b: one session of 3; c: 1; d: three of 1; e: 1 (December).
    January: 4 + 1 + 3 = 8 sessions, 5 + 3 + 3 = 11 events: mean 1.375, median 1."""
    s = _run(sessions(_events())).sort_values(["customer_id", "session_no"])
    assert [(r.customer_id, r.session_no, r.events) for r in s.itertuples()] == [
        ("a", 1, 2), ("a", 2, 1), ("a", 3, 1), ("a", 4, 1), ("b", 1, 3), ("c", 1, 1),
        ("d", 1, 1), ("d", 2, 1), ("d", 3, 1), ("e", 1, 1)]
    out = _run(session_depth(_events()))
    got = [(str(r.period)[:7], r.sessions, r.events, r.mean_events_per_session,
            r.median_events_per_session) for r in out.itertuples()]
    assert got == [("2023-12", 1, 1, 1.0, 1.0), ("2024-01", 8, 11, 1.375, 1.0),
                   ("2024-02", 1, 1, 1.0, 1.0)]


def test_dau_mau_by_hand():
    """As of Feb 5: one row a day from Dec 30 (first event) = 2 + 31 + 5 = 38 days.
    Dec 30: e / {e}. Jan 1: a / {e, a}. Jan 12: b / {e, a, b}. Jan 29 (window Dec 31 -
    Jan 29, e is out): d / {a, b, d}. Feb 2: nobody / {a, b, d}. Feb 5 (Jan 7 - Feb 5): c /
    {a, b, d, c}."""
    out = _run(dau_mau(_events(), as_of=dt.date(2024, 2, 5)))
    assert len(out) == 38
    rows = {str(r.day)[:10]: (r.dau, r.mau, r.ratio) for r in out.itertuples()}
    assert rows["2023-12-30"] == (1, 1, 1.0)
    assert rows["2024-01-01"] == (1, 2, 0.5)
    assert rows["2024-01-12"] == (1, 3, pytest.approx(1 / 3))
    assert rows["2024-01-29"] == (1, 3, pytest.approx(1 / 3))
    assert rows["2024-02-02"] == (0, 3, 0.0)
    assert rows["2024-02-05"] == (1, 4, 0.25)


def test_registry_entries_default_to_the_last_event_day():
    """Without ``as_of`` DAU/MAU runs to the last event (Feb 5): the 38 days above."""
    from loyalist.metrics.registry import METRICS

    tables = {"events": _events(), "customers": ibis.memtable(CUSTOMERS)}
    out = _run(METRICS["dau_mau"].build(tables, {"as_of": None}))
    assert len(out) == 38 and out.mau.tolist()[-1] == 4
    out = _run(METRICS["time_to_value"].build(tables, {"key_event": "login"}))
    assert out.reached.tolist() == [3, 1]  # a, b, d logged in (not e); c did, z did not
