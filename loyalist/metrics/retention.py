"""Cohort retention by first-purchase month, with named variants.

A customer's cohort is the month of their first order (full history; guest orders excluded).
Period ``n`` of a cohort is the calendar month ``n`` months after the cohort month (month index =
``year * 12 + month``, the same on every engine). Variants:

- ``"on"``: customers of the cohort with an order *in* period ``n``;
- ``"on_or_after"``: customers with an order in period ``n`` *or any later period* (up to the last
  month with data), i.e. not yet lost by period ``n``.

``rate = customers / cohort size`` (period 0 is always 1).
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

Variant = Literal["on", "on_or_after"]


def _month_index(ts: ir.TimestampValue) -> ir.IntegerValue:
    return ts.year().cast("int64") * 12 + ts.month().cast("int64")


def cohort_retention(orders: ir.Table, *, variant: Variant = "on") -> ir.Table:
    """Per cohort month and period: ``cohort_size``, ``customers``, ``rate``.

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "b", "c"],
    ...     "ordered_at": ["2024-01-05", "2024-03-01", "2024-01-20", "2024-02-02"]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(cohort_retention(o, variant="on"))
    >>> out[["cohort", "period", "customers", "rate"]].astype(str).values.tolist()[:3]
    [['2024-01-01', '0', '2', '1.0'], ['2024-01-01', '2', '1', '0.5'], ['2024-02-01', '0', '1', '1.0']]
    """  # noqa: E501
    if variant not in ("on", "on_or_after"):
        raise ValueError(f"variant must be 'on' or 'on_or_after', got {variant!r}")
    known = orders.filter(orders.customer_id.notnull())
    active = known.select("customer_id", m=_month_index(known.ordered_at)).distinct()
    first = active.group_by("customer_id").aggregate(cohort_m=active.m.min())
    joined = active.join(first, "customer_id").select("customer_id", "m", "cohort_m")
    if variant == "on_or_after":
        last = joined.group_by(["customer_id", "cohort_m"]).aggregate(last_m=joined.m.max())
        months = joined.select(m=joined.m).distinct()
        joined = last.cross_join(months).filter(
            lambda t: (t.m >= t.cohort_m) & (t.m <= t.last_m)).select("customer_id", "m",
                                                                        "cohort_m")
    periods = joined.mutate(period=joined.m - joined.cohort_m)
    counts = periods.group_by(["cohort_m", "period"]).aggregate(
        customers=periods.customer_id.nunique())
    sizes = first.group_by("cohort_m").aggregate(cohort_size=first.customer_id.count())
    out = counts.join(sizes, "cohort_m")
    year = ((out.cohort_m - 1) // 12).cast("int32")
    month = ((out.cohort_m - 1) % 12 + 1).cast("int32")
    return out.select(
        cohort=ibis.date(year, month, 1), period=out.period.cast("int64"),
        cohort_size=out.cohort_size, customers=out.customers,
        rate=out.customers.cast("float64") / out.cohort_size.cast("float64"),
    ).order_by(["cohort", "period"])
