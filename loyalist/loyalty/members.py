"""Members as the API and the CLI show them: profile, balance, tier, badges, statement."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from loyalist.errors import NotFoundError
from loyalist.loyalty.ledger import Ledger
from loyalist.loyalty.tables import members
from loyalist.loyalty.tiers import badge_progress, tier_status


def list_members(ledger: Ledger, *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of member profiles (by id) and the number of members."""
    with ledger.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(members)).scalar() or 0
        rows = conn.execute(sa.select(members.c.member_id, members.c.joined_at,
                                      members.c.segment).order_by(members.c.member_id)
                            .offset(offset).limit(limit))
        return [dict(r._mapping) for r in rows], int(total)


def profile(ledger: Ledger, member_id: str) -> dict[str, Any]:
    """A member's profile; :class:`NotFoundError` for an id the program has never seen."""
    with ledger.engine.connect() as conn:
        row = conn.execute(sa.select(members.c.member_id, members.c.joined_at,
                                     members.c.segment).where(
            members.c.member_id == member_id)).first()
    if row is None:
        raise NotFoundError(f"no member {member_id!r}", member_id=member_id)
    return dict(row._mapping)


def member_view(ledger: Ledger, member_id: str, at: dt.datetime) -> dict[str, Any]:
    """Profile, balance, tier and badges (won, and progress towards each) at ``at``."""
    found = profile(ledger, member_id)
    state = ledger.state(member_id)
    tier = tier_status(state.rows, ledger.program, at)
    won = ledger.badges(member_id)
    progress = badge_progress(state.rows, ledger.program, tier.tier)
    return {**found, "balance": dataclasses.asdict(state.balance(at)),
            "tier": dataclasses.asdict(tier),
            "badges": [{"id": b.id, "metric": b.metric, "at_least": b.at_least,
                        "progress": progress.get(b.id, 0), "won_at": won.get(b.id)}
                       for b in ledger.program.badges]}


def statement_page(ledger: Ledger, member_id: str, *, offset: int,
                   limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of a member's statement (oldest first, running totals) and its length."""
    profile(ledger, member_id)
    lines = ledger.statement(member_id)
    return [dataclasses.asdict(line) for line in lines[offset:offset + limit]], len(lines)
