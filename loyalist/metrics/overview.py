"""Headline numbers of a business: customers, orders, revenue, repeat purchase rate."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def repeat_purchase_rate(orders: ir.Table) -> ir.FloatingScalar:
    """Share of identified customers with two or more orders.

    ``repeat_purchase_rate = #customers with orders >= 2 / #customers with orders >= 1``, counting
    distinct orders (two orders on one day are two orders) and leaving out guest orders (no
    ``customer_id``).

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"]})
    >>> ibis.duckdb.connect().execute(repeat_purchase_rate(t))
    0.5
    """
    known = orders.filter(orders.customer_id.notnull())
    per = known.group_by("customer_id").aggregate(n=known.order_id.nunique())
    return ibis.ifelse(per.n >= 2, 1, 0).cast("float64").mean()


def headline(orders: ir.Table, customers: ir.Table) -> ir.Table:
    """One row: ``customers``, ``orders``, ``guest_orders``, ``revenue``, ``repeat_purchase_rate``,
    ``first_order`` and ``last_order``.

    ``revenue`` is the sum of order amounts before refunds; ``customers`` counts rows of the
    customers table (including customers derived from orders).
    """  # noqa: D205
    return orders.aggregate(
        orders=orders.order_id.nunique(),
        guest_orders=ibis.ifelse(orders.customer_id.isnull(), 1, 0).sum(),
        revenue=orders.amount.cast("float64").sum(),
        first_order=orders.ordered_at.min(),
        last_order=orders.ordered_at.max(),
    ).cross_join(
        customers.aggregate(customers=customers.customer_id.nunique())
    ).mutate(repeat_purchase_rate=repeat_purchase_rate(orders).as_scalar())


def orders_by_month(orders: ir.Table) -> ir.Table:
    """Orders, revenue and distinct buying customers per calendar month (``month`` = first day)."""
    month = ibis.date(orders.ordered_at.year(), orders.ordered_at.month(), 1)
    return (
        orders.mutate(month=month)
        .group_by("month")
        .aggregate(
            orders=orders.order_id.nunique(),
            revenue=orders.amount.cast("float64").sum(),
            customers=orders.customer_id.nunique(),
        )
        .order_by("month")
    )
