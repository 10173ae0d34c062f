"""Headline numbers of a business: customers, orders, revenue, repeat purchase rate."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.metrics.periods import period_index, period_start


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
    # two or more distinct order ids exactly when the smallest and largest differ: plain
    # min/max instead of a distinct count per customer
    per = known.group_by("customer_id").aggregate(lo=known.order_id.min(),
                                                  hi=known.order_id.max())
    return ibis.ifelse(per.lo != per.hi, 1, 0).cast("float64").mean()


def _distinct_count(column: ir.Column) -> ir.IntegerScalar:
    """Distinct non-empty values of a column, as distinct rows counted (cheaper than nunique)."""
    t = column.as_table()
    t = t.filter(t[0].notnull()).distinct()
    return t.count()


def headline(orders: ir.Table, customers: ir.Table) -> ir.Table:
    """One row: ``customers``, ``orders``, ``guest_orders``, ``revenue``, ``repeat_purchase_rate``,
    ``first_order`` and ``last_order``.

    ``revenue`` is the sum of order amounts before refunds; ``customers`` counts rows of the
    customers table (including customers derived from orders).
    """  # noqa: D205
    out = orders.aggregate(
        guest_orders=ibis.ifelse(orders.customer_id.isnull(), 1, 0).sum(),
        revenue=orders.amount.cast("float64").sum(),
        first_order=orders.ordered_at.min(),
        last_order=orders.ordered_at.max(),
    )
    out = out.mutate(orders=_distinct_count(orders.order_id).as_scalar(),
                     customers=_distinct_count(customers.customer_id).as_scalar(),
                     repeat_purchase_rate=repeat_purchase_rate(orders).as_scalar())
    return out.select("orders", "guest_orders", "revenue", "first_order", "last_order",
                      "customers", "repeat_purchase_rate")


def distinct_per(table: ir.Table, key: str, column: str, name: str) -> ir.Table:
    """``(key, name)``: distinct non-empty ``column`` values per ``key``.

    Distinct pairs counted: on DuckDB several times faster than ``nunique`` per group, and
    exact, unlike assuming the values are unique.
    """
    pairs = table.filter(table[column].notnull()).select(key, column).distinct()
    return pairs.group_by(key).aggregate(**{name: pairs.count()})


def orders_by_month(orders: ir.Table) -> ir.Table:
    """Orders, revenue and distinct buying customers per calendar month (``month`` = first day).

    ``orders`` counts distinct order ids (guest orders included), ``customers`` distinct
    identified customers.
    """
    o = orders.mutate(m=period_index(orders.ordered_at, "month"))
    out = o.group_by("m").aggregate(revenue=o.amount.cast("float64").sum())
    out = out.left_join(distinct_per(o, "m", "order_id", "orders"), "m").drop("m_right")
    out = out.left_join(distinct_per(o, "m", "customer_id", "customers"), "m").drop("m_right")
    return out.select(month=period_start(out.m, "month"), orders=out.orders.fill_null(0),
                      revenue=out.revenue, customers=out.customers.fill_null(0)
                      ).order_by("month")
