"""Order frequency, recency and the time between purchases.

All three leave out guest orders (no ``customer_id``). Medians and quartiles are continuous
percentiles (interpolated between the two middle values), the same on every engine.

- :func:`orders_per_customer`: per period, ``orders_per_customer = orders / buying customers``
  (distinct orders; a customer buying twice in the period counts once below the line);
- :func:`recency` and :func:`recency_summary`: ``recency_days = as_of - day of the last order on
  or before as_of``, per customer and as a distribution;
- :func:`order_gaps` and :func:`purchase_gaps`: days between consecutive order *days* of a customer
  (several orders on one day are one purchase occasion, so no gap is 0), summarised per
  first-order cohort so a shrinking gap from cohort to cohort shows.
"""

from __future__ import annotations

import ibis.expr.types as ir

from loyalist.data.derived import order_days
from loyalist.metrics.activity import customer_periods
from loyalist.metrics.periods import (
    PERIODS,
    AsOf,
    Period,
    check_choice,
    day_of,
    period_index,
    period_start,
)


def orders_per_customer(orders: ir.Table, *, period: Period = "month") -> ir.Table:
    """Per period (``"day"``, ``"week"`` from Monday, ``"month"``): orders per buying customer.

    Columns ``period`` (first day), ``orders`` (order rows: ``order_id`` is the key of
    ``orders``), ``customers`` (distinct buying customers) and
    ``orders_per_customer = orders / customers``.

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "ordered_at": ["2024-01-05", "2024-01-09", "2024-01-20"]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> ibis.duckdb.connect().execute(orders_per_customer(o)).orders_per_customer.tolist()
    [1.5]
    """
    check_choice("period", period, PERIODS)
    active = customer_periods(orders, period)
    agg = active.group_by("p").aggregate(customers=active.count(),
                                         orders=active.orders.sum().cast("int64"))
    return agg.select(period=period_start(agg.p, period), orders=agg.orders,
                      customers=agg.customers,
                      orders_per_customer=agg.orders.cast("float64")
                      / agg.customers.cast("float64")).order_by("period")


def recency(orders: ir.Table, *, as_of: AsOf) -> ir.Table:
    """Per customer with an order on or before ``as_of``: ``last_order`` (day), ``recency_days``.

    ``recency_days = as_of - last_order`` in days (0 when they ordered on ``as_of``).
    """
    d = order_days(orders)
    day = day_of(as_of)
    # each customer's last order day on or before as_of: the row whose next day is after it
    last = d.filter((d.day <= day) & (d.next_day.isnull() | (d.next_day > day)))
    return last.select("customer_id", last_order=last.day,
                       recency_days=day.delta(last.day, unit="day").cast("int64"))


def recency_summary(orders: ir.Table, *, as_of: AsOf) -> ir.Table:
    """The distribution of :func:`recency` in one row.

    ``customers``, ``mean_days``, quartiles ``p25_days``, ``median_days``, ``p75_days``,
    ``p90_days``, and ``max_days``.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> o = ibis.memtable({"order_id": ["1", "2"], "customer_id": ["a", "b"],
    ...     "ordered_at": ["2024-01-01", "2024-01-21"]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> out = recency_summary(o, as_of=dt.date(2024, 1, 31))
    >>> ibis.duckdb.connect().execute(out)[["customers", "median_days", "max_days"]].to_dict(
    ...     "records")
    [{'customers': 2, 'median_days': 20.0, 'max_days': 30}]
    """
    r = recency(orders, as_of=as_of)
    days = r.recency_days.cast("float64")
    return r.aggregate(customers=r.count(), mean_days=days.mean(),
                       p25_days=days.quantile(0.25), median_days=days.median(),
                       p75_days=days.quantile(0.75), p90_days=days.quantile(0.9),
                       max_days=r.recency_days.max())


def _order_days(orders: ir.Table) -> ir.Table:
    """``(customer_id, day, next_day, gap_no, first_order)``, one row per order day."""
    d = order_days(orders)
    return d.select("customer_id", "day", "next_day", gap_no=d.day_no,
                    first_order=d.first_day)


def order_gaps(orders: ir.Table) -> ir.Table:
    """Every gap between consecutive order days of a customer.

    Columns ``customer_id``, ``first_order`` (day of the customer's first order), ``gap_no``
    (1 = first to second purchase day), ``from_day``, ``to_day`` and ``gap_days``.
    """
    return _gaps(_order_days(orders))


def _gaps(d: ir.Table) -> ir.Table:
    g = d.filter(d.next_day.notnull())
    return g.select("customer_id", "first_order", gap_no=g.gap_no.cast("int64"),
                    from_day=g.day, to_day=g.next_day,
                    gap_days=g.next_day.delta(g.day, unit="day").cast("int64"))


def purchase_gaps(orders: ir.Table, *, period: Period = "month") -> ir.Table:
    """Per first-order cohort: how long customers take to come back, first gap and all gaps.

    Columns ``cohort`` (first day of the cohort's ``period``), ``customers`` (cohort size),
    ``repeat_customers`` (with a second order day), ``mean_first_gap_days`` and
    ``median_first_gap_days`` (first to second order day), ``gaps`` (number of gaps of the
    cohort's customers, whenever they happened), ``mean_gap_days`` and ``median_gap_days`` over
    all of them. Recent cohorts have had less time to come back: compare like with like.

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "a"],
    ...     "ordered_at": ["2024-01-01", "2024-01-11", "2024-01-31"]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(purchase_gaps(o))
    >>> out[["mean_first_gap_days", "mean_gap_days"]].to_dict("records")
    [{'mean_first_gap_days': 10.0, 'mean_gap_days': 15.0}]
    """
    check_choice("period", period, PERIODS)
    d = _order_days(orders)
    first = d.filter(d.gap_no == 1)  # every customer has a first order day
    first = first.select(cohort_p=period_index(first.first_order, period))
    sizes = first.group_by("cohort_p").aggregate(customers=first.count())
    g = _gaps(d)
    g = g.mutate(cohort_p=period_index(g.first_order, period), days=g.gap_days.cast("float64"))
    # a filtered table, not median(where=...): Spark's percentile wants a constant percentage
    f = g.filter(g.gap_no == 1)
    firsts = f.group_by("cohort_p").aggregate(
        repeat_customers=f.count(), mean_first_gap_days=f.days.mean(),
        median_first_gap_days=f.days.median())
    every = g.group_by("cohort_p").aggregate(gaps=g.count(), mean_gap_days=g.days.mean(),
                                             median_gap_days=g.days.median())
    out = sizes.left_join(firsts, "cohort_p").drop("cohort_p_right")
    out = out.left_join(every, "cohort_p").drop("cohort_p_right")
    return out.select(
        cohort=period_start(out.cohort_p, period), customers=out.customers,
        repeat_customers=out.repeat_customers.fill_null(0),
        mean_first_gap_days=out.mean_first_gap_days,
        median_first_gap_days=out.median_first_gap_days, gaps=out.gaps.fill_null(0),
        mean_gap_days=out.mean_gap_days, median_gap_days=out.median_gap_days,
    ).order_by("cohort")
