"""Revenue concentration: the share of revenue from the top customers, the curve, the Gini.

Revenue per identified customer is the sum of their order amounts (guest orders excluded), net of
refunds when ``refunds`` is given. Customers are ranked by revenue, highest first. "Top k %" is
the ``ceil(k n)`` highest customers. Customers with equal revenue may be ranked either way: they
bring the same amount, so no figure below depends on their order (and no tiebreaker is sorted).

Gini over customers sorted ascending (``x_1 <= ... <= x_n``, 1-based ``i``):
``G = 2 sum(i x_i) / (n sum(x_i)) - (n + 1) / n``: 0 when everyone spends the same, close to 1
when one customer brings everything.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import stored_order_days
from loyalist.errors import InputError


def customer_revenue(orders: ir.Table, refunds: ir.Table | None = None) -> ir.Table:
    """Revenue per identified customer (net of refunds when given)."""
    days = stored_order_days(orders)
    if days is not None:  # a workspace: each customer's last order day has the running total
        last = days.filter(days.next_day.isnull())
        per = last.select("customer_id", revenue=last.revenue_to_date)
    else:
        known = orders.filter(orders.customer_id.notnull())
        per = known.group_by("customer_id").aggregate(
            revenue=known.amount.cast("float64").sum())
    if refunds is not None:
        r = refunds.filter(refunds.customer_id.notnull())
        back = r.group_by("customer_id").aggregate(refunded=r.amount.cast("float64").sum())
        per = per.left_join(back, "customer_id").drop("customer_id_right")
        per = per.select("customer_id", revenue=per.revenue - per.refunded.fill_null(0.0))
    return per


def _ranked(revenue: ir.Table) -> ir.Table:
    order = ibis.desc(revenue.revenue)
    return revenue.mutate(rank=ibis.row_number().over(order_by=order) + 1,
                          n=revenue.customer_id.count().over(),
                          total=revenue.revenue.sum().over())


def top_share(revenue: ir.Table, share: float = 0.2) -> ir.FloatingScalar:
    """Share of revenue from the top ``share`` of customers (e.g. 0.2 = the "80/20" number).

    Examples
    --------
    >>> import ibis
    >>> r = ibis.memtable({"customer_id": list("abcde"), "revenue": [50.0, 20, 10, 10, 10]})
    >>> ibis.duckdb.connect().execute(top_share(r, 0.2))
    0.5
    """
    if not 0 < share <= 1:
        raise InputError(f"share must be in (0, 1], got {share}")
    t = _ranked(revenue)
    cutoff = (t.n.cast("float64") * share).ceil()
    return ibis.ifelse(t.rank <= cutoff, t.revenue, 0.0).sum() / t.total.max()


def lorenz_curve(revenue: ir.Table, points: int = 100) -> ir.Table:
    """``customer_share`` (top first) vs cumulative ``revenue_share`` at about ``points`` steps."""
    t = _ranked(revenue)
    cumulative = t.revenue.sum().over(ibis.window(order_by=ibis.desc(t.revenue),
                                                  preceding=None, following=0))
    t = t.mutate(cum=cumulative)
    step = (t.n.cast("float64") / points).ceil().cast("int64")
    keep = t.filter((t.rank % ibis.greatest(step, 1) == 0) | (t.rank == t.n))
    return keep.select(customer_share=keep.rank.cast("float64") / keep.n.cast("float64"),
                       revenue_share=keep.cum / keep.total).order_by("customer_share")


def gini(revenue: ir.Table) -> ir.FloatingScalar:
    """Gini coefficient of revenue over customers."""
    t = revenue.mutate(i=ibis.row_number().over(order_by=revenue.revenue) + 1)
    n = t.count().cast("float64")
    weighted = (t.i.cast("float64") * t.revenue).sum()
    return 2.0 * weighted / (n * t.revenue.sum()) - (n + 1.0) / n


__all__ = ["customer_revenue", "gini", "lorenz_curve", "top_share"]
