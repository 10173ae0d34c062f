"""Lifecycle counts per month: new, returning, resurrected and dormant customers.

A customer is *active* in a calendar month with an order in it (guest orders excluded). In month
``m``: *new* = first order ever in ``m`` (full history); *returning* = active in ``m`` and in
``m - 1``; *resurrected* = active in ``m``, not in ``m - 1``, active some time before; *dormant* =
active in ``m - 1`` but not in ``m``. Identity checked by the tests:
``active = new + returning + resurrected``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.metrics.periods import period_index, period_start


def lifecycle(orders: ir.Table) -> ir.Table:
    """Per month: ``active``, ``new``, ``returning``, ``resurrected``, ``dormant``.

    One pass over the customer's active months: the previous active month decides new (none),
    returning (the month before) or resurrected (earlier); the next one decides dormant.
    """
    known = orders.filter(orders.customer_id.notnull())
    o = known.select("customer_id", "ordered_at", m=period_index(known.ordered_at, "month"))
    # a customer's orders in time order (ties share their month, so they need no tiebreaker):
    # the first order of a month sees the previous active month, the last one the next
    w = ibis.window(group_by=o.customer_id, order_by=o.ordered_at)
    o = o.mutate(prev=o.m.lag().over(w), nxt=o.m.lead().over(w))
    a = o.filter(o.prev.isnull() | (o.prev != o.m))
    gone = o.filter(o.nxt.isnull() | (o.nxt != o.m))
    per = a.group_by("m").aggregate(
        active=a.count(), new=ibis.ifelse(a.prev.isnull(), 1, 0).sum(),
        returning=ibis.ifelse(a.prev == a.m - 1, 1, 0).sum(),
        resurrected=ibis.ifelse(a.prev < a.m - 1, 1, 0).sum())
    gone = gone.filter((gone.nxt.isnull() | (gone.nxt > gone.m + 1))
                       & (gone.m < o.m.max().as_scalar()))  # the last month has no next
    dormant = gone.group_by(dm=gone.m + 1).aggregate(dormant=gone.count())
    out = per.left_join(dormant, per.m == dormant.dm)
    return out.select(month=period_start(out.m, "month"), active=out.active, new=out.new,
                      returning=out.returning, resurrected=out.resurrected,
                      dormant=out.dormant.fill_null(0)).order_by("month")
