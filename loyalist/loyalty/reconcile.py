"""Derived rows recomputed from entries: the check that they agree, and their rebuild.

The entries (with their allocations) are the books; ``loyalty_lots``, ``loyalty_balances`` and
``loyalty_tier_items`` are kept beside them so that writes need not read a member's history.
:func:`reconcile` recomputes every derived value from the entries and lists each difference;
:func:`rebuild` replaces a member's derived rows with the recomputed ones (used for members
written before the derived tables existed).

Examples
--------
>>> from loyalist.loyalty.ledger import Ledger
>>> from loyalist.loyalty.program import parse_program
>>> ledger = Ledger(sa.create_engine("sqlite://"), parse_program({"id": "p"}))
>>> ledger.ensure_schema()
>>> ledger.earn("m1", 50, key="e1").points, ledger.spend("m1", 20, key="s1").points
(50, -20)
>>> ledger.reconcile()
[]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from loyalist.loyalty.program_schema import Expiry
from loyalist.loyalty.state import EntryRow, MemberState
from loyalist.loyalty.tables import allocations, balances, entries, lots, members, tier_items
from loyalist.loyalty.tiers import contribution_rows


@dataclass(frozen=True)
class Mismatch:
    """A derived value of ``member_id`` (``what``) that differs from the entries' value."""

    member_id: str
    what: str
    stored: Any
    expected: Any


@dataclass(frozen=True)
class Derived:
    """A member's derived values, stored or recomputed, in comparable form."""

    lots: dict[int, tuple[Any, ...]]  # lot id -> (created, available, expires, reference, left)
    debts: dict[int, int]  # negative entry id -> points still owed (> 0 only)
    totals: tuple[int, int, int, int]  # total, earned, spend_minor, orders
    items: dict[tuple[int, str], tuple[dt.datetime, int]]  # (entry id, basis) -> (time, value)


def expected(state: MemberState) -> Derived:
    """The derived values of a member, recomputed from all its entries."""
    rows = state.rows
    lot_rows = {r.id: (r.created_at, r.available_at or r.created_at, r.expires_at, r.reference,
                       r.points - r.used) for r in rows if r.is_lot}
    debts = {r.id: -r.points - r.covered for r in rows
             if r.points < 0 and -r.points > r.covered}
    items = {(i, basis): (t, v) for basis in ("points_earned", "spend")
             for i, t, v in contribution_rows(rows, basis)}
    orders = {r.reference for r in rows if r.kind == "earn" and r.amount_minor is not None}
    earned = sum(v for (_, basis), (_, v) in items.items() if basis == "points_earned")
    spend = sum(v for (_, basis), (_, v) in items.items() if basis == "spend")
    return Derived(lot_rows, debts, (sum(r.points for r in rows), earned, spend, len(orders)),
                   items)


def _states(conn: sa.Connection, member_id: str | None) -> dict[str, MemberState]:
    """Every member's (or one member's) entries with their allocations: two queries."""
    where = [] if member_id is None else [entries.c.member_id == member_id]
    used: dict[int, int] = {}
    covered: dict[int, int] = {}
    alloc_where = [] if member_id is None else [allocations.c.member_id == member_id]
    for entry_id, lot_id, points in conn.execute(sa.select(
            allocations.c.entry_id, allocations.c.lot_id, allocations.c.points).where(
            *alloc_where)):
        used[lot_id] = used.get(lot_id, 0) + int(points)
        covered[entry_id] = covered.get(entry_id, 0) + int(points)
    rows: dict[str, list[EntryRow]] = {}
    for r in conn.execute(sa.select(entries).where(*where).order_by(entries.c.id)):
        rows.setdefault(r.member_id, []).append(EntryRow(
            r.id, r.kind, int(r.points), r.created_at, r.available_at, r.expires_at, r.reference,
            r.rule_id, None if r.amount_minor is None else int(r.amount_minor),
            int(r.written_off or 0), used.get(r.id, 0), covered.get(r.id, 0)))
    return {m: MemberState(m, r, Expiry()) for m, r in rows.items()}


def _stored(conn: sa.Connection, member_id: str | None) -> dict[str, Derived]:
    """Every member's (or one member's) stored derived rows: three queries."""
    def only(table: sa.Table) -> list[Any]:
        return [] if member_id is None else [table.c.member_id == member_id]

    found: dict[str, Derived] = {}

    def of(member: str) -> Derived:
        return found.setdefault(member, Derived({}, {}, (0, 0, 0, 0), {}))

    for r in conn.execute(sa.select(lots).where(*only(lots))):
        if r.debt:
            if r.remaining > 0:
                of(r.member_id).debts[r.lot_id] = int(r.remaining)
        else:
            of(r.member_id).lots[r.lot_id] = (r.created_at, r.available_at, r.expires_at,
                                              r.reference, int(r.remaining))
    for r in conn.execute(sa.select(tier_items).where(*only(tier_items))):
        of(r.member_id).items[(r.entry_id, r.basis)] = (r.at, int(r.value))
    for r in conn.execute(sa.select(balances).where(*only(balances))):
        d = of(r.member_id)
        found[r.member_id] = Derived(d.lots, d.debts, (
            int(r.total), int(r.earned), int(r.spend_minor), int(r.orders)), d.items)
    return found


def reconcile(conn: sa.Connection, member_id: str | None = None) -> list[Mismatch]:
    """Every derived value that differs from its value recomputed from entries (``[]``: none).

    Compares each lot's points left (and its dates), each debt, the running totals and each
    tier item, for ``member_id`` or every member.
    """
    states = _states(conn, member_id)
    stored = _stored(conn, member_id)
    out = []
    for member in sorted(set(states) | set(stored)):
        want = expected(states.get(member, MemberState(member, [], Expiry())))
        have = stored.get(member, Derived({}, {}, (0, 0, 0, 0), {}))
        for what in ("lots", "debts", "totals", "items"):
            a, b = getattr(have, what), getattr(want, what)
            if isinstance(a, dict):
                for k in sorted(set(a) | set(b), key=str):
                    if a.get(k) != b.get(k):
                        out.append(Mismatch(member, f"{what}[{k}]", a.get(k), b.get(k)))
            elif a != b:
                out.append(Mismatch(member, what, a, b))
    return out


def rebuild(conn: sa.Connection, member_id: str) -> None:
    """Replace the member's derived rows with the values recomputed from its entries."""
    for table in (lots, tier_items, balances):
        conn.execute(table.delete().where(table.c.member_id == member_id))
    state = _states(conn, member_id).get(member_id, MemberState(member_id, [], Expiry()))
    want = expected(state)
    total, earned, spend, orders = want.totals
    conn.execute(balances.insert(), {"member_id": member_id, "total": total, "earned": earned,
                                     "spend_minor": spend, "orders": orders})
    by_id = {r.id: r for r in state.rows}
    new = [{"lot_id": i, "member_id": member_id, "debt": False, "created_at": c,
            "available_at": a, "expires_at": x, "reference": ref, "remaining": left}
           for i, (c, a, x, ref, left) in want.lots.items()]
    new += [{"lot_id": i, "member_id": member_id, "debt": True,
             "created_at": by_id[i].created_at, "available_at": by_id[i].created_at,
             "expires_at": None, "reference": by_id[i].reference, "remaining": owed}
            for i, owed in want.debts.items()]
    if new:
        conn.execute(lots.insert(), new)
    items = [{"entry_id": i, "basis": basis, "member_id": member_id, "at": t, "value": v,
              "reference": by_id[i].reference, "clawback": by_id[i].kind == "clawback"}
             for (i, basis), (t, v) in want.items.items()]
    if items:
        conn.execute(tier_items.insert(), items)


def upgrade(conn: sa.Connection) -> None:
    """Add what an older schema lacks: entry indexes, and derived rows of existing members."""
    for index in entries.indexes:
        index.create(conn, checkfirst=True)
    missing = conn.execute(sa.select(members.c.member_id).where(~sa.exists().where(
        balances.c.member_id == members.c.member_id))).scalars().all()
    for member_id in missing:
        rebuild(conn, member_id)
