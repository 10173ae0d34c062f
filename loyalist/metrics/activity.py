"""Each customer's active periods in time order: the first step of the order metrics.

:func:`customer_periods` gives one row per identified customer and period (day, ISO week or
calendar month, as integer indexes of :mod:`loyalist.metrics.periods`) with an order:
``customer_id``, ``p``, ``orders``, ``revenue``, ``prev_p`` / ``next_p`` (the customer's previous
and next active periods, empty at the ends), ``first_p`` (the cohort period) and
``first_revenue`` (revenue of the first period). Months come straight from the stored customer
months of :mod:`loyalist.data.derived`; days and weeks are regrouped from the order days.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import customer_months, order_days
from loyalist.metrics.periods import PERIODS, Period, check_choice, period_index


def customer_periods(orders: ir.Table, period: Period | str = "month") -> ir.Table:
    """Active periods per customer with their neighbours (see the module docstring)."""
    check_choice("period", period, PERIODS)
    if period == "month":
        m = customer_months(orders)
        return m.select("customer_id", "orders", "revenue", "first_revenue", p=m.m,
                        prev_p=m.prev_m, next_p=m.next_m, first_p=m.first_m)
    d = order_days(orders)
    d = d.select("customer_id", "orders", "revenue", p=period_index(d.day, period))
    g = d.group_by(["customer_id", "p"]).aggregate(orders=d.orders.sum().cast("int64"),
                                                   revenue=d.revenue.sum())
    w = ibis.window(group_by=g.customer_id, order_by=g.p)
    return g.mutate(prev_p=g.p.lag().over(w), next_p=g.p.lead().over(w),
                    first_p=g.p.first().over(w), first_revenue=g.revenue.first().over(w))
