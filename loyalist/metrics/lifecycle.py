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

from loyalist.metrics.activity import customer_periods
from loyalist.metrics.periods import period_start


def lifecycle(orders: ir.Table) -> ir.Table:
    """Per month: ``active``, ``new``, ``returning``, ``resurrected``, ``dormant``.

    Each customer's active months in order (:func:`~loyalist.metrics.activity.customer_periods`):
    the previous active month decides new (none), returning (the month before) or resurrected
    (earlier); the next one decides dormant.
    """
    a = customer_periods(orders, "month")
    per = a.group_by("p").aggregate(
        active=a.count(), new=ibis.ifelse(a.prev_p.isnull(), 1, 0).sum(),
        returning=ibis.ifelse(a.prev_p == a.p - 1, 1, 0).sum(),
        resurrected=ibis.ifelse(a.prev_p < a.p - 1, 1, 0).sum())
    gone = a.filter((a.next_p.isnull() | (a.next_p > a.p + 1))
                    & (a.p < a.p.max().as_scalar()))  # the last month has no next
    dormant = gone.group_by(dm=gone.p + 1).aggregate(dormant=gone.count())
    out = per.left_join(dormant, per.p == dormant.dm)
    return out.select(month=period_start(out.p, "month"), active=out.active, new=out.new,
                      returning=out.returning, resurrected=out.resurrected,
                      dormant=out.dormant.fill_null(0)).order_by("month")
