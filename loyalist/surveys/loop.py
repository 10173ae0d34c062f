"""Closing the loop: follow-ups for detractors, referral asks for promoters who use the product.

Every NPS answer of 0-6 creates a ``detractor_followup`` and every 9-10 a
``referral_ask_candidate`` (once per answer, in the answering transaction). A candidate becomes a
referral ask only with healthy usage: an order or a product event in the ``active_days`` before
the day. The churn-risk playbooks turn both into tasks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from loyalist.data.views import tables
from loyalist.segments.dates import end_of_day
from loyalist.store.workspace import Workspace
from loyalist.surveys.tables import followups


def referral_asks(engine: sa.Engine, workspace: Workspace, day: dt.date, *,
                  active_days: int = 90) -> list[dict[str, Any]]:
    """Promoter candidates who ordered or used the product in the ``active_days`` to ``day``."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(followups.c.customer_id, followups.c.score,
                                      followups.c.created_at)
                            .where(followups.c.kind == "referral_ask_candidate")).all()
    if not rows:
        return []
    start = dt.datetime.combine(day - dt.timedelta(days=active_days - 1), dt.time())
    with workspace.ibis() as backend:
        t = tables(backend)
        o, e = t["orders"], t["events"]
        end = end_of_day(day)
        active = o.filter(o.ordered_at >= start, o.ordered_at < end).select("customer_id").union(
            e.filter(e.occurred_at >= start, e.occurred_at < end).select("customer_id"))
        ids = set(backend.execute(active.distinct()).customer_id.dropna().astype(str))
    return [{"customer_id": r.customer_id, "score": r.score, "answered_at": r.created_at}
            for r in rows if r.customer_id in ids]
