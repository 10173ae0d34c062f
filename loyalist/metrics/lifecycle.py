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


def lifecycle(orders: ir.Table) -> ir.Table:
    """Per month: ``active``, ``new``, ``returning``, ``resurrected``, ``dormant``."""
    known = orders.filter(orders.customer_id.notnull())
    m = known.ordered_at.year().cast("int64") * 12 + known.ordered_at.month().cast("int64")
    active = known.select("customer_id", m=m).distinct()
    first = active.group_by("customer_id").aggregate(first_m=active.m.min())
    prev = active.select(customer_id="customer_id", pm=active.m + 1, was=ibis.literal(1))
    a = active.join(first, "customer_id").left_join(
        prev, [active.customer_id == prev.customer_id, active.m == prev.pm])
    a = a.select(m="m", new=ibis.ifelse(a.m == a.first_m, 1, 0),
                 returning=ibis.ifelse(a.was.notnull(), 1, 0),
                 resurrected=ibis.ifelse((a.m != a.first_m) & a.was.isnull(), 1, 0))
    per = a.group_by("m").aggregate(active=a.count(), new=a.new.sum(),
                                    returning=a.returning.sum(),
                                    resurrected=a.resurrected.sum())
    now = active.select(customer_id="customer_id", nm="m")
    gone = active.anti_join(now, [active.customer_id == now.customer_id,
                                  active.m + 1 == now.nm])
    gone = gone.filter(gone.m < active.m.max().as_scalar())  # the last month has no next
    dormant = gone.group_by(dm=gone.m + 1).aggregate(dormant=gone.count())
    out = per.left_join(dormant, per.m == dormant.dm)
    year = ((out.m - 1) // 12).cast("int32")
    month = ((out.m - 1) % 12 + 1).cast("int32")
    return out.select(month=ibis.date(year, month, 1), active=out.active, new=out.new,
                      returning=out.returning, resurrected=out.resurrected,
                      dormant=out.dormant.fill_null(0)).order_by("month")
