"""What a write reads instead of the member's history.

That is: the locked member with its running totals, the lots with points left, the tier items
in the window, one order's entries. An earn reads them in one statement, with the lock: the
lots and the tier items summed by the database (the items themselves only when a tier status
needs them). Each read is indexed and its size depends on the member's *open* lots, the tier
window or one order, never on the whole history. The rows read are derived from entries and
kept in the same transaction (see :mod:`loyalist.loyalty.changes`);
:mod:`loyalist.loyalty.reconcile` recomputes them from entries. Hot statements are compiled
once (:mod:`loyalist.loyalty.prepared`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from loyalist.loyalty.earning import Usage
from loyalist.loyalty.prepared import Prepared
from loyalist.loyalty.program_schema import Program, TierPolicy
from loyalist.loyalty.reads import load_state
from loyalist.loyalty.reconcile import rebuild
from loyalist.loyalty.state import EntryRow, Lot, MemberState
from loyalist.loyalty.tables import badges, balances, entries, lots, members, requests, tier_items
from loyalist.loyalty.tiers import (
    TierStatus,
    held_since,
    needed_from,
    status_of,
    tier_from_items,
    window_bounds,
    window_parts,
    window_start,
)
from loyalist.loyalty.txn import serialised

_P = sa.bindparam
# The next entry's id comes with the lock (SQLite: no other writer until commit, so a write
# numbers its entries itself, and an earn's lot id is in its insert: no RETURNING, no update).
_LOCK_SQL = sa.select(members.c.joined_at, members.c.segment, balances.c.total,
                     balances.c.earned, balances.c.spend_minor, balances.c.orders,
                     requests.c.fingerprint, requests.c.response,
                     sa.select(sa.func.max(entries.c.id)).scalar_subquery()).select_from(
    members.outerjoin(balances, balances.c.member_id == members.c.member_id)
    .outerjoin(requests, requests.c.key == _P("key"))).where(
    members.c.member_id == _P("member_id"))
_LOCK = Prepared(_LOCK_SQL)
_ROW_LOCK = Prepared(sa.select(members.c.member_id).where(
    members.c.member_id == _P("member_id")).with_for_update())
_LOCKS: dict[LockReads, Prepared] = {}
_NEW_MEMBER = {"postgresql": postgresql.insert(members).on_conflict_do_nothing()}
_NEW_BALANCE = {"postgresql": postgresql.insert(balances).on_conflict_do_nothing()}
_LOT_COLUMNS = (lots.c.lot_id, lots.c.debt, lots.c.created_at, lots.c.available_at,
                lots.c.expires_at, lots.c.reference, lots.c.remaining)
_OPEN_SQL = sa.select(*_LOT_COLUMNS).where(lots.c.member_id == _P("member_id"),
                                          lots.c.remaining > 0)
_OPEN = Prepared(_OPEN_SQL)
_LIVE = Prepared(_OPEN_SQL.where(sa.or_(lots.c.expires_at.is_(None),
                                        lots.c.expires_at > _P("at"))))
# Items of one time summed: tiers only add values up, and a busy day is then one row.
_LIVE_LOT = sa.and_(lots.c.member_id == _P("member_id"), lots.c.remaining > 0,
                    sa.or_(lots.c.expires_at.is_(None), lots.c.expires_at > _P("at")))
_PENDING = lots.c.available_at > _P("at")


def _sum_unless(*when: Any, value: Any = lots.c.remaining) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case(*((w, 0) for w in when), else_=value)), 0)


# available, pending, number of debts
_SUMS_SQL = sa.select(_sum_unless(lots.c.debt, _PENDING), _sum_unless(lots.c.debt, ~_PENDING),
                      _sum_unless(~lots.c.debt, value=1)).where(_LIVE_LOT)
_DEBTS = Prepared(sa.select(lots.c.lot_id, lots.c.remaining).where(
    lots.c.member_id == _P("member_id"), lots.c.remaining > 0, lots.c.debt))
_ITEMS = Prepared(sa.select(tier_items.c.at, sa.func.sum(tier_items.c.value)).where(
    tier_items.c.member_id == _P("member_id"), tier_items.c.basis == _P("basis"),
    tier_items.c.at >= _P("since"), tier_items.c.entry_id <= _P("upto")).group_by(
    tier_items.c.at))
_ALL = 2 ** 62  # every entry id
# What :func:`~loyalist.loyalty.tiers.window_bounds` computes, summed by the database: all the
# items read, those in the window at ``at``, the positive ones a held tier may still count.


def _tier_sum(*when: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*when), tier_items.c.value),
                                                else_=0) if when else tier_items.c.value), 0)


_TIER_SUMS_SQL = sa.select(
    _tier_sum(),
    _tier_sum(tier_items.c.at <= _P("at"), tier_items.c.at >= _P("t_start", type_=sa.DateTime)),
    _tier_sum(tier_items.c.value > 0, tier_items.c.at < _P("at"),
              tier_items.c.at >= _P("t_oldest", type_=sa.DateTime)),
).where(tier_items.c.member_id == _P("member_id"),
        tier_items.c.basis == _P("t_basis", type_=sa.String),
        tier_items.c.at >= _P("t_since", type_=sa.DateTime))
_ENTRY_COLUMNS = (entries.c.id, entries.c.kind, entries.c.points, entries.c.created_at,
                  entries.c.available_at, entries.c.expires_at, entries.c.reference,
                  entries.c.rule_id, entries.c.amount_minor, entries.c.written_off)
_BY_REFERENCE = Prepared(sa.select(*_ENTRY_COLUMNS).where(
    entries.c.member_id == _P("member_id"), entries.c.reference == _P("reference")))
_USAGE = Prepared(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(entries.c.points), 0))
                  .where(entries.c.member_id == _P("member_id"),
                         entries.c.rule_id == _P("rule_id"), entries.c.kind == "earn",
                         entries.c.points > 0, entries.c.created_at >= _P("since")))
_EVER = dt.datetime(1, 1, 1)


@dataclass(frozen=True)
class Summary:
    """A member's running totals (the ``loyalty_balances`` row)."""

    total: int = 0
    earned: int = 0
    spend_minor: int = 0
    orders: int = 0


@dataclass(frozen=True)
class LockReads:
    """What a write reads with the member's lock, besides its totals and stored request.

    ``badge_ids``: whether each is won; ``rule_ids``: the earns of each (the rules of the
    events badges count); ``reference``: the earns of the reference (an order) and how many of
    them have an amount; ``sums``: the member's unexpired lots summed (available, pending,
    number of debts), what earns read instead of each lot (one scan, joined as a subquery).
    """

    badge_ids: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    sums: bool = False
    reference: bool = False
    tiers: TierPolicy | None = None

    @classmethod
    def of(cls, program: Program, *, badges: bool, sums: bool, reference: bool) -> LockReads:
        """The reads of ``program``'s badges (if ``badges``), ``sums`` and ``reference``.

        Tiers with levels are read as sums (see :meth:`TierView.of_sums`), unless a tier is
        never lost: then a write reads the items themselves.
        """
        events = {b.event for b in program.badges if b.metric == "events"} if badges else set()
        policy = program.tiers
        return cls(tuple(b.id for b in program.badges) if badges else (),
                   tuple(r.id for r in program.earning if r.kind == "event" and r.event in events),
                   sums, reference,
                   policy if policy.levels and policy.downgrade != "never" else None)

    def statement(self) -> Prepared:
        """The lock statement with a column per read."""
        found = _LOCKS.get(self)
        if found is None:
            stmt = _LOCK_SQL.add_columns(*self._columns())
            for wanted, sql in ((self.sums, _SUMS_SQL), (self.tiers, _TIER_SUMS_SQL)):
                if wanted:  # one row of sums: joined, read once
                    summed = sql.subquery()
                    stmt = stmt.add_columns(*summed.c).join(summed, sa.true())
            found = _LOCKS[self] = Prepared(stmt)
        return found

    def _columns(self) -> list[Any]:
        of_member = members.c.member_id
        columns: list[Any] = [sa.exists().where(badges.c.member_id == of_member,
                                                badges.c.badge_id == b) for b in self.badge_ids]
        columns += [sa.select(sa.func.count()).where(
            entries.c.member_id == of_member, entries.c.rule_id == rule_id,
            entries.c.kind == "earn").scalar_subquery() for rule_id in self.rule_ids]
        if self.reference:
            columns += [sa.select(c).where(
                entries.c.member_id == of_member, entries.c.reference == _P("reference"),
                entries.c.kind == "earn").scalar_subquery()
                for c in (sa.func.count(), sa.func.count(entries.c.amount_minor))]
        return columns


@dataclass(frozen=True)
class Locked:
    """The locked member: profile, running totals and the key's stored request, if any.

    With :class:`BadgeReads`, also the badges won and the earns of each event rule so far.
    """

    joined_at: dt.datetime
    segment: str | None
    summary: Summary
    stored: tuple[str, dict[str, Any]] | None
    won: frozenset[str] = frozenset()
    rule_earns: dict[str, int] = field(default_factory=dict)
    sums: tuple[int, int, int] | None = None  # LockReads.sums: available, pending, debts
    reference_earns: tuple[int, int] | None = None  # earns, earns with an amount
    last_entry: int = 0  # the highest entry id (of every member)
    tier_sums: tuple[int, int, int] | None = None  # LockReads.tiers (see TierView.of_sums)


def lock(conn: sa.Connection, member_id: str, key: str, at: dt.datetime,
         reads: LockReads | None = None, reference: str | None = None) -> Locked:
    """Lock the member (creating it), read its totals, ``reads`` and look ``key`` up.

    Where the transaction excludes other writers (SQLite) that is one statement; elsewhere the
    member's row is locked first, so that the reads see the writes the lock waited for. A
    member written before the derived tables existed gets them rebuilt from its entries.
    """
    statement = _LOCK if reads is None else reads.statement()
    values = {"member_id": member_id, "key": key, "at": at, "reference": reference}
    if reads is not None and reads.tiers is not None:
        values.update(_tier_params(reads.tiers, at))
    if not serialised(conn) and _ROW_LOCK.first(conn, member_id=member_id) is None:
        _create(conn, member_id, at)
        _ROW_LOCK.first(conn, member_id=member_id)
    row = statement.first(conn, **values)
    if row is None:
        _create(conn, member_id, at)
    elif row[2] is None:
        rebuild(conn, member_id)
    else:
        return _locked(row, reads)
    row = statement.first(conn, **values)
    assert row is not None
    return _locked(row, reads)


def _create(conn: sa.Connection, member_id: str, at: dt.datetime) -> None:
    dialect = conn.dialect.name  # a concurrent creation of the member is no error
    conn.execute(_NEW_MEMBER.get(dialect, members.insert()), {
        "member_id": member_id, "joined_at": at, "segment": None, "created_at": at})
    conn.execute(_NEW_BALANCE.get(dialect, balances.insert()), {
        "member_id": member_id, "total": 0, "earned": 0, "spend_minor": 0, "orders": 0})


def _locked(row: tuple[Any, ...], reads: LockReads | None) -> Locked:
    joined_at, segment, total, earned, spend_minor, orders, fingerprint, response, last = row[:9]
    stored = None if fingerprint is None else (fingerprint, dict(response))
    summary = Summary(int(total), int(earned), int(spend_minor), int(orders))
    if reads is None:
        return Locked(joined_at, segment, summary, stored, last_entry=int(last or 0))
    rest = iter(row[9:])
    won = frozenset(b for b in reads.badge_ids if next(rest))
    earns = {r: int(next(rest)) for r in reads.rule_ids}
    reference = (int(next(rest)), int(next(rest))) if reads.reference else None
    sums = (int(next(rest)), int(next(rest)), int(next(rest))) if reads.sums else None
    tier_sums = (int(next(rest)), int(next(rest)), int(next(rest))) \
        if reads.tiers is not None else None
    return Locked(joined_at, segment, summary, stored, won, earns, sums, reference,
                  int(last or 0), tier_sums)


def open_state(conn: sa.Connection, member_id: str, program: Program, at: dt.datetime, *,
               expired: bool = False, sums: tuple[int, int, int] | None = None) -> MemberState:
    """The member's lots with points left (unexpired at ``at`` unless ``expired``) and debts.

    ``sums``: the unexpired lots summed at ``at`` (available, pending, number of debts) as the
    lock read them, what earns need. Under inactivity expiry a lot's expiry depends on every
    later activity, so that mode reads all entries.
    """
    if program.expiry.mode == "inactivity":
        return load_state(conn, member_id, program.expiry)
    if sums is not None:
        available, pending, owing = sums
        debts = [(i, int(owed)) for i, owed in _DEBTS.all(conn, member_id=member_id)] \
            if owing else []
        return MemberState.of_sums(member_id, at, available, pending, debts, program.expiry)
    lots_, debts = [], []
    for lot_id, debt, created, available, expires, reference, left in \
            (_OPEN if expired else _LIVE).all(conn, member_id=member_id, at=at):
        if debt:
            debts.append((lot_id, int(left)))
        else:
            lots_.append(Lot(lot_id, created, available, expires, int(left), reference))
    return MemberState.of_lots(member_id, lots_, debts, program.expiry)


def _tier_params(policy: TierPolicy, at: dt.datetime) -> dict[str, Any]:
    """The bounds :data:`_TIER_SUMS_SQL` sums within (see :func:`~tiers.window_bounds`)."""
    since, _ = needed_from(policy, at)
    held = held_since(policy, at)
    return {"t_basis": policy.basis, "t_since": since or _EVER,
            "t_start": window_start(policy.window, at) or _EVER,
            "t_oldest": window_start(policy.window, held) or _EVER}


class TierView:
    """The tier items a write needs (see :func:`~loyalist.loyalty.tiers.needed_from`).

    Made from the items (:func:`tier_view`) or from their sums read with the lock
    (:meth:`of_sums`): then the items are read only if a status needs them.
    """

    def __init__(self, program: Program, items: list[tuple[dt.datetime, int]] | None,
                 since: dt.datetime, base: int | None,
                 load: Callable[[], list[tuple[dt.datetime, int]]] | None = None) -> None:
        self.program, self.since, self.base = program, since, base
        self._items, self._load = items, load
        self.parts: dict[dt.datetime, tuple[int, int | None]] = {}
        self.bounds: dict[dt.datetime, tuple[int, int | None]] = {}

    @classmethod
    def of_sums(cls, conn: sa.Connection, member_id: str, program: Program, at: dt.datetime,
                summary: Summary, sums: tuple[int, int, int], upto: int) -> TierView:
        """A view from the sums the lock read at ``at`` (all read, in the window, bound).

        ``upto``: the highest entry id when the lock read them (the items, if read, are
        those of entries up to it).

        They equal :func:`~loyalist.loyalty.tiers.window_bounds` at ``at`` of the items
        :func:`tier_view` reads, except that the bound adds positive *rows*, not positive
        sums per time: a bound no lower, so still a bound (it only decides when the exact
        value must be computed from the items).
        """
        policy = program.tiers
        since, lifetime = needed_from(policy, at)
        read, in_window, positive = sums
        base = _basis_total(policy, summary) - read if lifetime else None
        # read later, after this write's own items are flushed: only those the lock saw
        view = cls(program, None, since or _EVER, base, lambda: _read_items(
            conn, member_id, policy.basis, since or _EVER, upto))
        b = base or 0
        view.bounds[at] = (b + in_window, None if held_since(policy, at) >= at else b + positive)
        return view

    @property
    def items(self) -> list[tuple[dt.datetime, int]]:
        """The items (read now if the view was made from sums)."""
        if self._items is None:
            assert self._load is not None
            self._items = self._load()
        return self._items

    def status(self, at: dt.datetime,
               added: list[tuple[dt.datetime, int]] | None = None) -> TierStatus:
        """The tier status at ``at`` with ``added`` items (this write's) counted too."""
        added = added or []
        policy = self.program.tiers
        if all(t == at for t, _ in added) and (
                policy.downgrade != "never" or any(t <= at for t, _ in self.items)):
            # items at ``at`` only add to the value at ``at``: the rest is computed once, and
            # the highest earlier value only when its bound reaches another tier
            bounds = self.bounds.get(at)
            if bounds is None:
                bounds = self.bounds[at] = window_bounds(self.items, policy, at, self.base or 0)
            value = bounds[0] + sum(v for _, v in added)
            if bounds[1] is None or policy.level_for(max(value, bounds[1])) is \
                    policy.level_for(value):
                return status_of(policy, value, value)
            parts = self.parts.get(at)
            if parts is None:
                parts = self.parts[at] = window_parts(self.items, policy, at, self.base or 0)
            return status_of(policy, value, value if parts[1] is None else max(value, parts[1]))
        items = self.items + [(t, v) for t, v in added if t >= self.since]
        base = 0 if self.base is None else self.base + sum(
            v for t, v in added if t < self.since)
        return tier_from_items(items, self.program, at, base)


def _basis_total(policy: TierPolicy, summary: Summary) -> int:
    """The member's lifetime total of what tiers count (points earned or spend)."""
    return summary.earned if policy.basis == "points_earned" else summary.spend_minor


def _read_items(conn: sa.Connection, member_id: str, basis: str, since: dt.datetime,
                upto: int = _ALL) -> list[tuple[dt.datetime, int]]:
    return [(t, int(v)) for t, v in _ITEMS.all(conn, member_id=member_id, basis=basis,
                                                 since=since, upto=upto)]


def tier_view(conn: sa.Connection, member_id: str, program: Program, at: dt.datetime,
              summary: Summary, locked: Locked | None = None) -> TierView:
    """Read the tier items dated from the oldest one a tier at ``at`` can count.

    With the ``locked`` member's tier sums (:attr:`Locked.tier_sums`) nothing is read.
    """
    if locked is not None and locked.tier_sums is not None:
        return TierView.of_sums(conn, member_id, program, at, summary, locked.tier_sums,
                                locked.last_entry)
    policy = program.tiers
    since, lifetime = needed_from(policy, at)
    since = since or _EVER
    items = _read_items(conn, member_id, policy.basis, since)
    base = _basis_total(policy, summary) - sum(v for _, v in items) if lifetime else None
    return TierView(program, items, since, base)


def by_reference(conn: sa.Connection, member_id: str, reference: str) -> list[EntryRow]:
    """The member's entries with ``reference`` (an order's earns and clawbacks)."""
    return [EntryRow(i, kind, int(points), created, available, expires, ref, rule,
                     None if amount is None else int(amount), int(written_off or 0))
            for i, kind, points, created, available, expires, ref, rule, amount, written_off
            in _BY_REFERENCE.all(conn, member_id=member_id, reference=reference)]


def usage(conn: sa.Connection, member_id: str) -> Usage:
    """A :data:`~loyalist.loyalty.earning.Usage` that counts a rule's earns with one query."""

    def count(rule_id: str, since: dt.datetime | None) -> tuple[int, int]:
        times, points = _USAGE.all(conn, member_id=member_id, rule_id=rule_id,
                                   since=since or _EVER)[0]
        return int(times), int(points)

    return count
