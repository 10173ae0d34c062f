"""Churn for businesses without subscriptions: the N-days-inactive rule (variant ``inactivity``).

A customer is *lost* on day ``d + N`` after an order on day ``d`` that no order followed within
``N`` days (guest orders excluded; several orders a day count once). A customer is *at the start*
of a month when they ordered in the ``N`` days before its first day. Per calendar month:

- ``customers_at_start``, ``lost`` (lost on a day of the month, not after ``as_of``),
  ``churn_rate = lost / customers_at_start`` and ``implied_lifetime_months = 1 / churn_rate``.

With ``N`` of 31 days or more, everyone lost in a month was at its start, so the rate is a share.
The small-business six-month variant is :func:`six_month_churn`.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir


def _days(orders: ir.Table) -> ir.Table:
    known = orders.filter(orders.customer_id.notnull())
    return known.select("customer_id", day=known.ordered_at.date()).distinct()


def loss_events(orders: ir.Table, *, inactive_days: int = 90) -> ir.Table:
    """``(customer_id, last_order, lost_on)`` for every order not followed within N days."""
    d = _days(orders)
    nxt = d.day.lead().over(group_by=d.customer_id, order_by=d.day)
    d = d.mutate(next_day=nxt)
    gap = d.next_day.delta(d.day, unit="day")
    lost = d.filter(d.next_day.isnull() | (gap > inactive_days))
    return lost.select("customer_id", last_order=lost.day,
                       lost_on=lost.day + ibis.interval(days=inactive_days))


def monthly_churn(orders: ir.Table, *, as_of: dt.date, inactive_days: int = 90) -> ir.Table:
    """Per month up to ``as_of``: customers at start, lost, churn rate, implied lifetime."""
    if inactive_days < 31:
        raise ValueError("inactive_days must be 31 or more (a month's churners must be at its "
                         "start)")
    d = _days(orders)
    last = ibis.literal(as_of)
    # every calendar month after the first order's, up to as_of (months without orders too)
    first_index = d.aggregate(i=(d.day.year() * 12 + d.day.month() - 1).min())
    span = first_index.select(i=ibis.range(first_index.i + 1,
                                           as_of.year * 12 + as_of.month).unnest())
    months = span.select(m=ibis.date((span.i // 12).cast("int32"),
                                     (span.i % 12 + 1).cast("int32"), 1))
    at_start = d.cross_join(months).filter(
        lambda t: (t.day >= t.m - ibis.interval(days=inactive_days)) & (t.day < t.m))
    starts = at_start.group_by("m").aggregate(customers_at_start=at_start.customer_id.nunique())
    ev = loss_events(orders, inactive_days=inactive_days)
    ev = ev.filter(ev.lost_on <= last).mutate(
        m=ibis.date(ev.lost_on.year(), ev.lost_on.month(), 1))
    losses = ev.group_by("m").aggregate(lost=ev.count())
    out = starts.left_join(losses, "m").drop("m_right")
    rate = out.lost.fill_null(0).cast("float64") / out.customers_at_start.cast("float64")
    return out.select(month=out.m, customers_at_start=out.customers_at_start,
                      lost=out.lost.fill_null(0), churn_rate=rate,
                      implied_lifetime_months=ibis.ifelse(rate > 0, 1.0 / rate,
                                                          ibis.null("float64"))
                      ).order_by("month")
