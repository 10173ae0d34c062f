"""Reading a member's ledger: entries with their allocations, badges, statements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from loyalist.loyalty.program_schema import Expiry
from loyalist.loyalty.state import EntryRow, MemberState
from loyalist.loyalty.tables import allocations, badges, entries

_COLUMNS = (entries.c.id, entries.c.kind, entries.c.points, entries.c.created_at,
            entries.c.available_at, entries.c.expires_at, entries.c.reference,
            entries.c.rule_id, entries.c.amount_minor, entries.c.written_off)


# Built once: building a statement costs more than running it on SQLite.
_ENTRIES = sa.select(*_COLUMNS).where(entries.c.member_id == sa.bindparam("member_id"))
_ALLOCATIONS = sa.select(allocations.c.entry_id, allocations.c.lot_id, allocations.c.points
                         ).where(allocations.c.member_id == sa.bindparam("member_id"))
_BADGES = sa.select(badges.c.badge_id, badges.c.won_at).where(
    badges.c.member_id == sa.bindparam("member_id"))


def load_state(conn: sa.Connection, member_id: str, expiry: Expiry) -> MemberState:
    """All entries of ``member_id`` with what was taken from or covered by each."""
    rows = conn.execute(_ENTRIES, {"member_id": member_id}).all()
    used: dict[int, int] = {}
    covered: dict[int, int] = {}
    for entry_id, lot_id, points in conn.execute(_ALLOCATIONS, {"member_id": member_id}):
        used[lot_id] = used.get(lot_id, 0) + int(points)
        covered[entry_id] = covered.get(entry_id, 0) + int(points)
    return MemberState(member_id, [
        EntryRow(r.id, r.kind, int(r.points), r.created_at, r.available_at, r.expires_at,
                 r.reference, r.rule_id, None if r.amount_minor is None else int(r.amount_minor),
                 int(r.written_off or 0), used.get(r.id, 0), covered.get(r.id, 0))
        for r in rows], expiry)


def won_badges(conn: sa.Connection, member_id: str) -> dict[str, dt.datetime]:
    """Badges the member has won, with when."""
    return {r.badge_id: r.won_at for r in conn.execute(_BADGES, {"member_id": member_id})}


@dataclass(frozen=True)
class StatementLine:
    """One entry of a member's statement, with the running total of entries."""

    entry_id: int
    created_at: dt.datetime
    kind: str
    points: int
    running_total: int
    reference: str | None
    reason: str | None
    available_at: dt.datetime | None
    expires_at: dt.datetime | None
    written_off: int


def statement(conn: sa.Connection, member_id: str) -> list[StatementLine]:
    """Every entry of the member, oldest first, with a running total."""
    rows = conn.execute(sa.select(entries).where(entries.c.member_id == member_id)
                        .order_by(entries.c.id)).all()
    out, total = [], 0
    for r in rows:
        total += int(r.points)
        out.append(StatementLine(r.id, r.created_at, r.kind, int(r.points), total, r.reference,
                                 r.reason, r.available_at, r.expires_at, int(r.written_off or 0)))
    return out
