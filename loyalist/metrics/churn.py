"""Churn for businesses without subscriptions: the N-days-inactive rule (variant ``inactivity``).

A customer is *lost* on day ``d + N`` after an order on day ``d`` that no order followed within
``N`` days (guest orders excluded; several orders a day count once). A customer is *at the start*
of a month when they ordered in the ``N`` days before its first day. Per calendar month:

- ``customers_at_start``, ``lost`` (lost on a day of the month, not after ``as_of``),
  ``churn_rate = lost / customers_at_start`` and ``implied_lifetime_months = 1 / churn_rate``.

With ``N`` of 31 days or more, everyone lost in a month was at its start, so the rate is a share.
The small-business six-month variant is :func:`six_month_churn`; subscription businesses (a loss
at the cancellation or at the end of the paid period) are in
:mod:`loyalist.metrics.churn_subscriptions`.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import order_days
from loyalist.errors import InputError
from loyalist.metrics.churn_subscriptions import (
    boundary_changes,
    window_bounds,
    window_churn,
    window_levels,
    windows,
)
from loyalist.metrics.periods import (
    AsOf,
    check_choice,
    check_positive,
    day_of,
    period_index,
    period_start,
)

SixMonthRule = Literal["inactivity", "cancellation", "period_end"]


def _runs(orders: ir.Table, inactive_days: int, *, first: bool = False) -> ir.Table:
    """Order days with the next one: ``(customer_id, day, next_day, lost[, first])``.

    One row per customer and order day (several orders a day count once); ``lost`` marks the
    last order day of a spell (no order within N days after it); ``first`` (on request) is
    the customer's first order day.
    """
    d = order_days(orders)
    d = d.select("customer_id", "day", "next_day", **({"first": d.first_day} if first else {}))
    gap = d.next_day.delta(d.day, unit="day")
    return d.mutate(lost=d.next_day.isnull() | (gap > inactive_days))


def _lost_on(runs: ir.Table, inactive_days: int) -> ir.DateValue:
    return (runs.day + ibis.interval(days=inactive_days)).cast("date")


def loss_events(orders: ir.Table, *, inactive_days: int = 90) -> ir.Table:
    """``(customer_id, last_order, lost_on)`` for every order not followed within N days."""
    r = _runs(orders, inactive_days)
    lost = r.filter(r.lost)
    return lost.select("customer_id", last_order=lost.day,
                       lost_on=_lost_on(lost, inactive_days))


def _at_start_changes(runs: ir.Table, inactive_days: int) -> ir.Table:
    """``(m, change)``: customers at the start of month ``m`` = running sum of ``change``.

    Order day ``d`` puts its customer at the start of every day in ``(d, d + N]``; counted up to
    the next order day only (``(d, min(d + N, next)]``), the pieces of one customer are disjoint,
    so nobody counts twice. A piece ``(a, b]`` holds the first day of month ``m`` exactly when
    ``month(a) < m <= month(b)``: +1 from ``month(a) + 1``, -1 from ``month(b) + 1``.
    """
    end = ibis.ifelse(runs.lost, _lost_on(runs, inactive_days), runs.next_day)
    plus = runs.group_by(m=period_index(runs.day, "month") + 1).aggregate(n=runs.count())
    minus = runs.group_by(m=period_index(end, "month") + 1).aggregate(n=-runs.count())
    both = plus.union(minus)  # union all: the same (m, n) may come from both sides
    return both.group_by("m").aggregate(change=both.n.sum())


def monthly_churn(orders: ir.Table, *, as_of: AsOf, inactive_days: int = 90) -> ir.Table:
    """Per month up to ``as_of``: customers at start, lost, churn rate, implied lifetime.

    ``as_of`` is a date or an Ibis date expression (e.g. the last order day). Months with
    nobody at their start are left out.
    """
    if inactive_days < 31:
        raise InputError("inactive_days must be 31 or more (a month's churners must be at its "
                         "start)")
    r = _runs(orders, inactive_days)
    last = day_of(as_of)
    # every calendar month after the first order's, up to as_of (months without orders too)
    first = r.aggregate(i=period_index(r.day.min(), "month"))
    months = first.select(m=ibis.range(first.i + 1, period_index(last, "month") + 1).unnest())
    changes = _at_start_changes(r, inactive_days)
    ev = r.filter(r.lost).select(lost_on=_lost_on(r, inactive_days))
    ev = ev.filter(ev.lost_on <= last)
    losses = ev.group_by(m=period_index(ev.lost_on, "month")).aggregate(lost=ev.count())
    out = months.left_join(changes, "m").drop("m_right")
    out = out.left_join(losses, "m").drop("m_right")
    running = ibis.window(order_by=out.m, preceding=None, following=0)
    out = out.mutate(customers_at_start=out.change.fill_null(0).sum().over(running).cast("int64"),
                     lost=out.lost.fill_null(0))
    out = out.filter(out.customers_at_start > 0)
    rate = out.lost.cast("float64") / out.customers_at_start.cast("float64")
    return out.select(month=period_start(out.m, "month"),
                      customers_at_start=out.customers_at_start, lost=out.lost, churn_rate=rate,
                      implied_lifetime_months=ibis.ifelse(rate > 0, 1.0 / rate,
                                                          ibis.null("float64"))
                      ).order_by("month")


def _spells(orders: ir.Table, inactive_days: int) -> ir.Table:
    """``(customer_id, since, lost_on)``: a customer is at the start of day ``x`` in
    ``(since, lost_on]`` (``since`` = first order day of the spell, ``lost_on`` = last + N).

    The spell after a loss starts on the next order day of the lost row.
    """  # noqa: D205
    r = _runs(orders, inactive_days, first=True)
    lost = r.filter(r.lost)
    since = lost.next_day.lag().over(group_by=lost.customer_id, order_by=lost.day)
    return lost.select("customer_id", since=ibis.coalesce(since, lost.first),
                       lost_on=_lost_on(lost, inactive_days))


def _inactivity_windows(orders: ir.Table, *, as_of: AsOf, inactive_days: int,
                        months: int) -> ir.Table:
    """Customers at the start of each window (their spell covers its first day) and lost in it.

    A spell ``(since, lost_on]`` covers the first day ``S`` of a window when
    ``since < S <= lost_on``: by month arithmetic, window starts ``lo .. hi``; spells of a
    customer do not overlap, so counting spells counts customers. The spell is lost in window
    ``hi`` when ``lost_on`` comes before that window's end.
    """
    sp = _spells(orders, inactive_days)
    w = windows(sp.since.min().cast("timestamp"), as_of=as_of, months=months)
    w = w.select(start=w.start.date(), end=w.end.date())
    bounds = window_bounds(w).mutate(last_end=w.end.max().as_scalar())
    x = sp.cross_join(bounds)  # one row of bounds
    lo = (ibis.greatest(period_index(x.since, "month") + 1 - x.base, 0) + months - 1) // months
    last = period_index(x.lost_on, "month") - x.base  # month number of lost_on from the base
    hi = ibis.ifelse(last < 0, -1, ibis.least(x.n - 1, last // months))
    x = x.select("n", lo=lo.cast("int64"), hi=hi.cast("int64"),
                 gone=(last >= 0) & ((last // months < x.n - 1)
                                     | ((last // months == x.n - 1) & (x.lost_on < x.last_end))))
    x = x.filter(x.lo <= x.hi)
    counts = boundary_changes(x, ibis.literal(1), "customers_at_start", "lost", gone=x.gone)
    out = window_levels(w, months, [counts], ["customers_at_start"])
    return out.select("start", "end", customers_at_start=out.customers_at_start.cast("int64"),
                      lost=out.lost.cast("int64"))


def six_month_churn(table: ir.Table, *, as_of: AsOf, lost_at: SixMonthRule = "inactivity",
                    inactive_days: int = 90) -> ir.Table:
    """The small-business variant: customers lost over six months, divided by six.

    Windows are blocks of six calendar months ending with the month of ``as_of`` (that month
    counts up to ``as_of``), newest first, back to the first block that starts after the first
    order (or subscription). Per window:

    - ``customers_at_start``: customers active on its first day, ``lost``: how many of them are
      lost within it (customers won during the window are not in the denominator, so are not
      counted when lost either);
    - ``six_month_rate = lost / customers_at_start``;
    - ``churn_rate = six_month_rate / 6`` (the monthly equivalent) and
      ``implied_lifetime_months = 1 / churn_rate``.

    ``lost_at`` names the loss rule: ``"inactivity"`` reads ``table`` as orders (active at the
    start = an order in the ``inactive_days`` before it; lost = a loss event of
    :func:`loss_events` within the window); ``"cancellation"`` and ``"period_end"`` read it as
    subscriptions (active = an active subscription; lost = none left at the window's end, see
    :mod:`loyalist.metrics.churn_subscriptions`).
    ``window_start`` is the first day and ``window_end`` the last day counted.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> o = ibis.memtable({"order_id": ["1", "2", "3"], "customer_id": ["a", "b", "b"],
    ...     "ordered_at": ["2023-12-20", "2023-12-28", "2024-05-01"]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> out = six_month_churn(o, as_of=dt.date(2024, 6, 30), inactive_days=60)
    >>> ibis.duckdb.connect().execute(out)[["lost", "churn_rate"]].to_dict("records")
    [{'lost': 2, 'churn_rate': 0.1666...}]
    """
    check_choice("lost_at", lost_at, ("inactivity", "cancellation", "period_end"))
    check_positive("inactive_days", inactive_days)
    if lost_at == "inactivity":
        w = _inactivity_windows(table, as_of=as_of, inactive_days=inactive_days, months=6)
    else:
        w = window_churn(table, as_of=as_of, lost_at=lost_at, months=6)
        w = w.select("customers_at_start", "lost", start=w.start.date(), end=w.end.date())
    six = ibis.ifelse(w.customers_at_start > 0,
                      w.lost.cast("float64") / w.customers_at_start.cast("float64"),
                      ibis.null("float64"))
    monthly = six / 6.0
    return w.select(
        window_start=w.start, window_end=(w.end - ibis.interval(days=1)).cast("date"),
        customers_at_start=w.customers_at_start, lost=w.lost, six_month_rate=six,
        churn_rate=monthly,
        implied_lifetime_months=ibis.ifelse(monthly > 0, 1.0 / monthly, ibis.null("float64")),
    ).order_by(ibis.desc("window_start"))
