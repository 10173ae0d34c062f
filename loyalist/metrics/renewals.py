"""Renewal calendar: which subscriptions renew in which month ahead, and the expected revenue.

A subscription is *active as of* a day when it started on or before it, neither ``canceled_at``
nor ``ended_at`` is on or before it (a cancellation, even one effective at period end, means no
renewal), its ``status`` is not a closed one (canceled, cancelled, ended, expired) unless a
cancel or end date after the day says it was still running, and its ``current_period_end`` is
after the day (periods that already ended, e.g. past due, are not in the calendar).

Periods: the schema has no billing interval, so the length of a paid period (the *term*) comes
from ``terms``, a map from ``plan`` to months (e.g. ``{"annual": 12}``); plans not in it use
``default_term_months`` (1: monthly). An active subscription renews at the end of its current
period, in month ``m(current_period_end)`` (``m`` = year * 12 + month), and then every term
after it, in months ``m(current_period_end) + j * term``: a monthly subscription renews in every
month ahead, an annual one once a year. Each renewal is expected to bring ``mrr * term`` (the
recurring revenue of the whole period it pays for; missing ``mrr`` counts as 0).

Months ahead: ``month_ahead = 0`` is the calendar month holding ``as_of`` (renewals after it), up
to ``months_ahead - 1``. Every month is a row, months without renewals with 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from loyalist.errors import InputError
from loyalist.metrics.buckets import month_from_number, month_number, month_number_of
from loyalist.segments.dates import as_date, end_of_day

CLOSED_STATUSES: tuple[str, ...] = ("canceled", "cancelled", "ended", "expired")


def active_subscriptions(subscriptions: ir.Table, *, as_of: dt.date | str) -> ir.Table:
    """Subscriptions active as of the day whose current period ends after it (see module)."""
    after = end_of_day(as_date(as_of))
    s = subscriptions
    closed = (s.status.lower().isin(CLOSED_STATUSES).fill_null(False)
              & s.canceled_at.isnull() & s.ended_at.isnull())
    return s.filter(s.started_at < after,
                    s.canceled_at.isnull() | (s.canceled_at >= after),
                    s.ended_at.isnull() | (s.ended_at >= after),
                    ~closed, s.current_period_end >= after)


def _term(plan: ir.StringValue, terms: Mapping[str, int], default: int) -> ir.IntegerValue:
    if not terms:
        return ibis.literal(default, type="int64")
    return ibis.cases(*[(plan == name, months) for name, months in terms.items()],
                      else_=default).cast("int64")


def renewal_calendar(subscriptions: ir.Table, *, as_of: dt.date | str, months_ahead: int = 12,
                     terms: Mapping[str, int] | None = None,
                     default_term_months: int = 1) -> ir.Table:
    """Per month ahead: renewals due and expected renewal revenue.

    Parameters
    ----------
    subscriptions
        Canonical subscriptions.
    as_of
        Day the calendar starts from.
    months_ahead
        Number of calendar months shown, the month of ``as_of`` first.
    terms
        Months in a paid period by plan (e.g. ``{"annual": 12}``).
    default_term_months
        Months in a paid period for plans not in ``terms`` (1: monthly).

    Returns
    -------
    ir.Table
        ``month`` (first day), ``month_ahead``, ``renewals``, ``expected_revenue``.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> ts = lambda *d: pd.to_datetime(list(d))
    >>> s = ibis.memtable(pd.DataFrame({"subscription_id": ["m", "y"], "plan": ["pro", "annual"],
    ...     "started_at": ts("2024-01-10", "2023-05-01"), "mrr": [10.0, 8.0],
    ...     "current_period_end": ts("2024-04-10", "2024-05-01"),
    ...     "canceled_at": ts(None, None), "ended_at": ts(None, None), "status": ["active"] * 2}))
    >>> out = ibis.duckdb.connect().execute(renewal_calendar(
    ...     s, as_of="2024-03-31", months_ahead=3, terms={"annual": 12}))
    >>> out[["month_ahead", "renewals", "expected_revenue"]].values.tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 10.0], [2.0, 2.0, 106.0]]
    """
    day = as_date(as_of)
    if months_ahead < 1 or default_term_months < 1 or any(v < 1 for v in (terms or {}).values()):
        raise InputError("months_ahead and every term must be 1 or more")
    s = active_subscriptions(subscriptions, as_of=day)
    s = s.select(end=month_number(s.current_period_end),
                 term=_term(s.plan, terms or {}, default_term_months),
                 mrr=s.mrr.cast("float64").fill_null(0.0))
    start = month_number_of(day)
    months = ibis.memtable({"month_ahead": list(range(months_ahead))})
    months = months.mutate(m=months.month_ahead.cast("int64") + start)
    due = s.cross_join(months).filter(lambda t: (t.m >= t.end) & ((t.m - t.end) % t.term == 0))
    per = due.group_by("m").aggregate(renewals=due.count(),
                                      expected_revenue=(due.mrr * due.term.cast("float64")).sum())
    out = months.left_join(per, "m").drop("m_right")
    return out.select(month=month_from_number(out.m),
                      month_ahead=out.month_ahead.cast("int64"),
                      renewals=out.renewals.fill_null(0).cast("int64"),
                      expected_revenue=out.expected_revenue.fill_null(0.0)).order_by("month")


__all__ = ["CLOSED_STATUSES", "active_subscriptions", "renewal_calendar"]
