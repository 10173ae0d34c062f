"""Survey results from the operational store: NPS with n and the rewarded share of answers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from loyalist.surveys.tables import responses


def nps_summary(engine: sa.Engine, survey_id: str | None = None) -> dict[str, Any]:
    """NPS over answered NPS questions (skips excluded), with counts and the rewarded share.

    ``nps = 100 * (promoters - detractors) / n`` where promoters answered 9-10, detractors 0-6
    and n counts answered questions only. ``rewarded_share`` is the share of those answers that
    earned a reward (rewards are for completing, whatever the score, so it should not differ
    between promoters and detractors).
    """
    r = responses.c
    query = sa.select(r.score, r.rewarded).where(r.question_type == "nps", r.score.is_not(None))
    if survey_id:
        query = query.where(r.survey_id == survey_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    n = len(rows)
    promoters = sum(1 for s, _ in rows if s >= 9)
    detractors = sum(1 for s, _ in rows if s <= 6)
    rewarded = sum(1 for _, w in rows if w)
    return {"n": n, "promoters": promoters, "passives": n - promoters - detractors,
            "detractors": detractors,
            "nps": None if n == 0 else 100.0 * (promoters - detractors) / n,
            "rewarded_share": None if n == 0 else rewarded / n}
