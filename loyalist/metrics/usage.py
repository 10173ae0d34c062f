"""Product usage from the ``events`` table: time to value, active days, breadth, depth, DAU/MAU.

``events`` has ``customer_id``, ``occurred_at``, ``event_type`` (login, session, feature_use,
key_action or another name), ``feature`` and ``duration_seconds``. Days are calendar days of
``occurred_at``; medians are continuous percentiles (the same on every engine).

- :func:`time_to_value`: ``days_to_value = day of the first key event - sign-up day``;
- :func:`active_days`: distinct days with at least one event, per customer and period;
- :func:`feature_breadth`: distinct ``feature`` values used in the last ``window_days`` days;
- :func:`session_depth`: events per session. The table has no session id, so sessions are
  rebuilt with the 30-minute inactivity rule (:func:`sessions`);
- :func:`dau_mau`: stickiness, ``ratio = DAU / MAU`` with MAU over the trailing 30 days.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import event_days
from loyalist.data.derived import sessions as stored_sessions
from loyalist.metrics.periods import (
    PERIODS,
    AsOf,
    Period,
    check_choice,
    check_positive,
    day_of,
    end_of,
    period_index,
    period_start,
)


def _median(x: ir.NumericColumn) -> ir.FloatingScalar:
    return x.cast("float64").median()


def time_to_value(customers: ir.Table | None, events: ir.Table, *,
                  key_event: str = "key_action") -> ir.Table:
    """Per customer: ``signup_day``, ``first_key_day`` and ``days_to_value`` (empty if never).

    A key event is an event whose ``event_type`` is ``key_event``. The sign-up day is
    ``customers.signup_at``; without a ``customers`` table, or when ``signup_at`` is empty, it is
    the day the customer was first seen in ``events``. A key event recorded before the sign-up
    day counts as day 0.
    """
    # one pass over events: first event and first key event together
    seen = events.group_by("customer_id").aggregate(
        first_seen=events.occurred_at.min(),
        first_key=events.occurred_at.min(where=events.event_type == key_event))
    if customers is None:
        people = seen.select("customer_id", signup=seen.first_seen, first_key=seen.first_key)
    else:
        c = customers.left_join(seen, "customer_id").drop("customer_id_right")
        people = c.select("customer_id", signup=ibis.coalesce(c.signup_at, c.first_seen),
                          first_key=c.first_key)
    x = people.filter(people.signup.notnull())
    signup_day, key_day = x.signup.date(), x.first_key.date()
    days = key_day.delta(signup_day, unit="day").cast("int64")
    # not ibis.greatest(days, 0): GREATEST skips NULLs, and "never" must stay empty
    return x.select("customer_id", signup_day=signup_day, first_key_day=key_day,
                    days_to_value=ibis.ifelse(days < 0, 0, days))


def time_to_value_by_cohort(customers: ir.Table | None, events: ir.Table, *,
                            key_event: str = "key_action", period: Period = "month") -> ir.Table:
    """Per sign-up cohort: ``customers``, ``reached`` (with a key event), ``share_reached``,
    ``median_days`` and ``mean_days`` to value (over those who reached it).

    Examples
    --------
    >>> import ibis
    >>> e = ibis.memtable({"customer_id": ["a", "a", "b"], "event_type": ["login",
    ...     "key_action", "login"], "occurred_at": ["2024-01-01", "2024-01-04", "2024-01-02"]})
    >>> e = e.mutate(occurred_at=e.occurred_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(time_to_value_by_cohort(None, e))
    >>> out[["customers", "reached", "share_reached", "median_days"]].to_dict("records")
    [{'customers': 2, 'reached': 1, 'share_reached': 0.5, 'median_days': 3.0}]
    """  # noqa: D205
    check_choice("period", period, PERIODS)
    t = time_to_value(customers, events, key_event=key_event)
    t = t.mutate(p=period_index(t.signup_day, period), days=t.days_to_value.cast("float64"))
    agg = t.group_by("p").aggregate(customers=t.count(), reached=t.days.count(),
                                    median_days=t.days.median(), mean_days=t.days.mean())
    return agg.select(cohort=period_start(agg.p, period), customers=agg.customers,
                      reached=agg.reached,
                      share_reached=agg.reached.cast("float64") / agg.customers.cast("float64"),
                      median_days=agg.median_days, mean_days=agg.mean_days).order_by("cohort")


def customer_active_days(events: ir.Table, *, period: Period = "month") -> ir.Table:
    """Per customer and period with any event: ``active_days`` (distinct days with an event)."""
    check_choice("period", period, PERIODS)
    d = event_days(events)
    d = d.select("customer_id", p=period_index(d.day, period))
    return d.group_by(["customer_id", "p"]).aggregate(active_days=d.count())


def active_days(events: ir.Table, *, period: Period = "month") -> ir.Table:
    """Per period: ``active_customers`` (an event in it), ``mean_active_days``,
    ``median_active_days`` and ``max_active_days`` over those customers.

    Examples
    --------
    >>> import ibis
    >>> e = ibis.memtable({"customer_id": ["a", "a", "a", "b"], "occurred_at": ["2024-01-01",
    ...     "2024-01-01 20:00", "2024-01-03", "2024-01-02"]})
    >>> e = e.mutate(occurred_at=e.occurred_at.cast("timestamp"))
    >>> ibis.duckdb.connect().execute(active_days(e)).mean_active_days.tolist()
    [1.5]
    """  # noqa: D205
    a = customer_active_days(events, period=period)
    agg = a.group_by("p").aggregate(active_customers=a.count(),
                                    mean_active_days=a.active_days.cast("float64").mean(),
                                    median_active_days=_median(a.active_days),
                                    max_active_days=a.active_days.max())
    return agg.mutate(period=period_start(agg.p, period)).select(
        "period", "active_customers", "mean_active_days", "median_active_days",
        "max_active_days").order_by("period")


def feature_breadth(events: ir.Table, *, as_of: AsOf, window_days: int = 30) -> ir.Table:
    """Per customer active in the ``window_days`` days ending with ``as_of`` (inclusive):
    ``features`` (distinct non-empty ``feature`` values used, 0 if none) and ``events``.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> e = ibis.memtable({"customer_id": ["a", "a", "a", "b"],
    ...     "feature": ["export", "export", "share", None],
    ...     "occurred_at": ["2024-01-30", "2024-01-31", "2024-01-31", "2024-01-31"]})
    >>> e = e.mutate(occurred_at=e.occurred_at.cast("timestamp"))
    >>> out = feature_breadth(e, as_of=dt.date(2024, 1, 31))
    >>> ibis.duckdb.connect().execute(out)[["customer_id", "features"]].to_dict("records")
    [{'customer_id': 'a', 'features': 2}, {'customer_id': 'b', 'features': 0}]
    """  # noqa: D205
    check_positive("window_days", window_days)
    end = end_of(as_of)
    w = events.filter((events.occurred_at >= end - ibis.interval(days=window_days))
                      & (events.occurred_at < end))
    return w.group_by("customer_id").aggregate(
        features=w.feature.nunique(), events=w.count()
    ).order_by([ibis.desc("features"), "customer_id"])


def sessions(events: ir.Table, *, idle_minutes: int = 30) -> ir.Table:
    """Sessions rebuilt from events: a new session starts after ``idle_minutes`` without events.

    One row per session: ``customer_id``, ``session_no`` (1, 2, ... per customer),
    ``started_at``, ``ended_at`` (its last event) and ``events``. With the default 30 minutes a
    workspace's stored sessions are read (:mod:`loyalist.data.derived`).
    """
    check_positive("idle_minutes", idle_minutes)
    return stored_sessions(events, idle_minutes=idle_minutes)


def session_depth(events: ir.Table, *, period: Period = "month",
                  idle_minutes: int = 30) -> ir.Table:
    """Events per session, per period of the session's start.

    Columns ``period``, ``sessions``, ``events``, ``mean_events_per_session`` and
    ``median_events_per_session``; sessions as in :func:`sessions`.

    Examples
    --------
    >>> import ibis
    >>> e = ibis.memtable({"event_id": ["1", "2", "3"], "customer_id": ["a", "a", "a"],
    ...     "occurred_at": ["2024-01-01 09:00", "2024-01-01 09:20", "2024-01-01 11:00"]})
    >>> e = e.mutate(occurred_at=e.occurred_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(session_depth(e))
    >>> out[["sessions", "events", "mean_events_per_session"]].to_dict("records")
    [{'sessions': 2, 'events': 3, 'mean_events_per_session': 1.5}]
    """
    check_choice("period", period, PERIODS)
    s = sessions(events, idle_minutes=idle_minutes)
    s = s.mutate(p=period_index(s.started_at, period))
    agg = s.group_by("p").aggregate(sessions=s.count(), events=s.events.sum(),
                                    mean_events_per_session=s.events.cast("float64").mean(),
                                    median_events_per_session=_median(s.events))
    return agg.mutate(period=period_start(agg.p, period)).select(
        "period", "sessions", "events", "mean_events_per_session",
        "median_events_per_session").order_by("period")


def dau_mau(events: ir.Table, *, as_of: AsOf, window_days: int = 30) -> ir.Table:
    """Per day from the first event to ``as_of``: ``dau``, ``mau`` and ``ratio = dau / mau``.

    ``dau``: distinct customers with an event that day; ``mau``: distinct customers with an
    event in the ``window_days`` days ending that day (that day included; a trailing window,
    not the calendar month). Days without events are rows too.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> e = ibis.memtable({"customer_id": ["a", "b"], "occurred_at": ["2024-01-01", "2024-01-03"]})
    >>> e = e.mutate(occurred_at=e.occurred_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(dau_mau(e, as_of=dt.date(2024, 1, 3)))
    >>> out[["dau", "mau", "ratio"]].to_dict("records")
    [{'dau': 1, 'mau': 1, 'ratio': 1.0}, {'dau': 0, 'mau': 1, 'ratio': 0.0}, {'dau': 1, 'mau': 2, 'ratio': 0.5}]
    """  # noqa: E501
    check_positive("window_days", window_days)
    d = event_days(events)
    d = d.filter(d.day <= day_of(as_of))
    active = d.select(i=period_index(d.day, "day"), nxt=period_index(d.next_day, "day"))
    # an active day i puts its customer in the MAU of days i .. i + W - 1; counted only up to
    # the next active day, the pieces of one customer are disjoint: +1 on i, -1 on the day after
    # (a next day after as_of stops the piece after the last day shown, like no next day)
    stop = ibis.least(active.i + window_days, ibis.coalesce(active.nxt, active.i + window_days))
    a = active.mutate(stop=stop)
    dau = a.group_by("i").aggregate(dau=a.count())
    gone = a.group_by(i=a.stop).aggregate(gone=a.count())
    bounds = a.aggregate(lo=a.i.min(), hi=period_index(day_of(as_of), "day"))
    days = bounds.select(i=ibis.range(bounds.lo, bounds.hi + 1).unnest())
    out = days.left_join(dau, "i").drop("i_right").left_join(gone, "i").drop("i_right")
    d = out.dau.fill_null(0)
    running = ibis.window(order_by=out.i, preceding=None, following=0)
    m = (d - out.gone.fill_null(0)).sum().over(running).cast("int64")
    return out.select(day=period_start(out.i, "day"), dau=d, mau=m,
                      ratio=ibis.ifelse(m > 0, d.cast("float64") / m.cast("float64"),
                                        ibis.null("float64"))).order_by("day")
