"""Headline numbers of a business: customers, orders, revenue, repeat purchase rate."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import stored_order_days
from loyalist.metrics.activity import customer_periods
from loyalist.metrics.periods import period_index, period_start


def repeat_purchase_rate(orders: ir.Table) -> ir.FloatingScalar:
    """Share of identified customers with two or more orders.

    ``repeat_purchase_rate = #customers with orders >= 2 / #customers with orders >= 1``, counting
    orders (two orders on one day are two orders; ``order_id`` is the key of ``orders``) and
    leaving out guest orders (no ``customer_id``).

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...                    "ordered_at": ["2024-01-01", "2024-01-01", "2024-02-01"]})
    >>> t = t.mutate(ordered_at=t.ordered_at.cast("timestamp"))
    >>> ibis.duckdb.connect().execute(repeat_purchase_rate(t))
    0.5
    """
    days = stored_order_days(orders)
    if days is not None:  # a workspace: each customer's first order day
        first = days.filter(days.day_no == 1)
        repeat = first.next_day.notnull() | (first.orders >= 2)
        return ibis.ifelse(repeat, 1, 0).cast("float64").mean()
    known = orders.filter(orders.customer_id.notnull())
    per = known.group_by("customer_id").aggregate(orders=known.count())
    return ibis.ifelse(per.orders >= 2, 1, 0).cast("float64").mean()


def headline(orders: ir.Table, customers: ir.Table) -> ir.Table:
    """One row: ``customers``, ``orders``, ``guest_orders``, ``revenue``, ``repeat_purchase_rate``,
    ``first_order`` and ``last_order``.

    ``orders`` counts order rows (``order_id`` is the table's key), ``revenue`` is the sum of
    order amounts before refunds; ``customers`` counts rows of the
    customers table (including customers derived from orders).
    """  # noqa: D205
    out = orders.aggregate(
        guest_orders=ibis.ifelse(orders.customer_id.isnull(), 1, 0).sum(),
        revenue=orders.amount.cast("float64").sum(),
        first_order=orders.ordered_at.min(),
        last_order=orders.ordered_at.max(),
    )
    out = out.mutate(orders=orders.count().as_scalar(),
                     customers=customers.count().as_scalar(),
                     repeat_purchase_rate=repeat_purchase_rate(orders).as_scalar())
    return out.select("orders", "guest_orders", "revenue", "first_order", "last_order",
                      "customers", "repeat_purchase_rate")


def orders_by_month(orders: ir.Table) -> ir.Table:
    """Orders, revenue and distinct buying customers per calendar month (``month`` = first day).

    ``orders`` counts order rows (``order_id`` is the table's key; guest orders included),
    ``customers`` distinct identified customers.
    """
    o = orders.mutate(m=period_index(orders.ordered_at, "month"))
    out = o.group_by("m").aggregate(orders=o.count(), revenue=o.amount.cast("float64").sum())
    active = customer_periods(orders, "month")
    buyers = active.group_by(m=active.p).aggregate(customers=active.count())
    out = out.left_join(buyers, "m").drop("m_right")
    return out.select(month=period_start(out.m, "month"), orders=out.orders,
                      revenue=out.revenue, customers=out.customers.fill_null(0)
                      ).order_by("month")
