"""Each customer's active periods in time order: the first step of the order metrics.

:func:`customer_periods` gives one row per identified customer and period (day, ISO week or
calendar month, as integer indexes of :mod:`loyalist.metrics.periods`) with an order:
``customer_id``, ``p``, ``orders``, ``revenue``, ``prev_p`` / ``next_p`` (the customer's previous
and next active periods, empty at the ends), ``first_p`` (the cohort period) and
``first_revenue`` (revenue of the first period). Months come straight from the stored customer
months of :mod:`loyalist.data.derived`; days and weeks are regrouped from the order days.
"""

from __future__ import annotations

import ibis.expr.types as ir

from loyalist.data.derived import build_customer_periods, customer_months, order_days
from loyalist.metrics.periods import PERIODS, Period, check_choice, period_index


def customer_periods(orders: ir.Table, period: Period | str = "month") -> ir.Table:
    """Active periods per customer with their neighbours (see the module docstring)."""
    check_choice("period", period, PERIODS)
    if period == "month":
        return customer_months(orders)
    days = order_days(orders)
    return build_customer_periods(days, period_index(days.day, period))
