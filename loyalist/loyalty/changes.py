"""What one write changes besides its entries, collected and written in a few statements.

A write inserts its entries one by one (their ids are lot ids); every derived row it changes
(lots' remaining points, debts, tier items, the member's running totals), its allocations and
its outbox events are collected here and written by :meth:`Changes.flush_rows` and
:meth:`Changes.flush_events`, one statement per table, in the write's transaction. The balance
after the write comes from the lots read before it plus these changes: nothing is read again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from loyalist.loyalty import outbox
from loyalist.loyalty.derived import Summary
from loyalist.loyalty.prepared import Prepared
from loyalist.loyalty.state import Allocation, EntryRow, Lot, MemberState
from loyalist.loyalty.tables import allocations, balances, entries, lots, tier_items

_P = sa.bindparam
_SET_LOT = Prepared(entries.update().where(entries.c.id == _P("entry_id")).values(lot_id=_P("lot")))
_TAKE = Prepared(lots.update().where(lots.c.lot_id == _P("b_lot")).values(
    remaining=lots.c.remaining - _P("b_taken")))
_TOTALS = Prepared(balances.update().where(balances.c.member_id == _P("b_member")).values(
    total=balances.c.total + _P("b_total"), earned=balances.c.earned + _P("b_earned"),
    spend_minor=balances.c.spend_minor + _P("b_spend"), orders=balances.c.orders + _P("b_orders")))
_REDATE = Prepared(tier_items.update().where(
    tier_items.c.member_id == _P("b_member"), tier_items.c.reference == _P("b_reference"),
    sa.or_(tier_items.c.basis == "spend", tier_items.c.clawback.is_(True))).values(
    at=_P("b_at")))
_LOT_KEYS = ("lot_id", "member_id", "debt", "created_at", "available_at", "expires_at",
             "reference", "remaining")
_NEW_LOTS = Prepared(lots.insert(), _LOT_KEYS)
_NEW_ITEMS = Prepared(tier_items.insert(), ("entry_id", "basis", "member_id", "at", "value",
                                            "reference", "clawback"))
_ALLOCATE = Prepared(allocations.insert(), ("entry_id", "lot_id", "member_id", "points"))


class Changes:
    """The derived rows, allocations and events of one write (see the module docstring)."""

    def __init__(self, member_id: str, at: dt.datetime) -> None:
        self.member_id, self.at = member_id, at
        self.taken: dict[int, int] = {}  # lot or debt read before -> points taken off it
        self.new_lots: dict[int, dict[str, Any]] = {}  # lots and debts of this write
        self.lot_ids_unset: list[int] = []  # new lots whose entry has no lot_id yet
        self.uncovered: dict[int, tuple[EntryRow, int]] = {}  # new negative entries
        self.allocations: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.redated: list[str] = []
        self.totals = Summary()
        self.events: list[tuple[str, dict[str, Any], str]] = []
        self.rule_earns: dict[str, int] = {}  # earns of this write per rule (badge counts)

    def entry(self, row: EntryRow, *, order_time: dt.datetime | None = None,
              new_order: bool = False, lot_set: bool = False) -> None:
        """Record an inserted entry (``order_time``: a clawback's order's time).

        ``lot_set``: a lot inserted with its ``lot_id`` already (else it is set on flush).
        """
        spend = row.amount_minor if row.amount_minor is not None else None
        earned, spend_delta = 0, 0
        if row.is_lot:
            if not lot_set:
                self.lot_ids_unset.append(row.id)
            self.new_lots[row.id] = {
                "lot_id": row.id, "member_id": self.member_id, "debt": False,
                "created_at": row.created_at, "available_at": row.available_at or row.created_at,
                "expires_at": row.expires_at, "reference": row.reference, "remaining": row.points}
        elif row.points < 0:
            self.uncovered[row.id] = (row, -row.points)
        if row.kind == "earn":
            earned = row.points
            if row.rule_id is not None:
                self.rule_earns[row.rule_id] = self.rule_earns.get(row.rule_id, 0) + 1
            self._item(row, "points_earned", row.created_at, row.points)
            if spend is not None:
                spend_delta = spend
                self._item(row, "spend", row.created_at, spend)
        elif row.kind == "clawback":
            when = order_time or row.created_at
            earned = row.points - row.written_off
            self._item(row, "points_earned", when, earned)
            if spend is not None:
                spend_delta = -spend
                self._item(row, "spend", when, -spend)
        old = self.totals
        self.totals = Summary(old.total + row.points, old.earned + earned,
                              old.spend_minor + spend_delta, old.orders + int(new_order))

    def _item(self, row: EntryRow, basis: str, at: dt.datetime, value: int) -> None:
        self.items.append({"entry_id": row.id, "basis": basis, "member_id": self.member_id,
                           "at": at, "value": value, "reference": row.reference,
                           "clawback": row.kind == "clawback"})

    def redate(self, reference: str) -> None:
        """A new earn of ``reference``: its order's spend and clawbacks now date from it."""
        self.redated.append(reference)

    def allocate(self, plan: list[Allocation]) -> None:
        """Record allocations: each takes points off its lot and covers its entry."""
        for entry_id, lot_id, points in plan:
            if points <= 0:
                continue
            self.allocations.append({"entry_id": entry_id, "lot_id": lot_id,
                                     "member_id": self.member_id, "points": points})
            if lot_id in self.new_lots:
                self.new_lots[lot_id]["remaining"] -= points
            else:
                self.taken[lot_id] = self.taken.get(lot_id, 0) + points
            if entry_id in self.uncovered:
                row, owed = self.uncovered[entry_id]
                self.uncovered[entry_id] = (row, owed - points)
            else:  # a debt read before, repaid by a new lot
                self.taken[entry_id] = self.taken.get(entry_id, 0) + points

    def summary_after(self, before: Summary) -> Summary:
        """The running totals after this write."""
        d = self.totals
        return Summary(before.total + d.total, before.earned + d.earned,
                       before.spend_minor + d.spend_minor, before.orders + d.orders)

    def added_items(self, basis: str) -> list[tuple[dt.datetime, int]]:
        """The tier items of ``basis`` added by the write, as ``(time, value)``."""
        return [(i["at"], i["value"]) for i in self.items if i["basis"] == basis]

    def _debts(self) -> list[dict[str, Any]]:
        return [{"lot_id": row.id, "member_id": self.member_id, "debt": True,
                 "created_at": row.created_at, "available_at": row.created_at,
                 "expires_at": None, "reference": row.reference, "remaining": owed}
                for row, owed in self.uncovered.values() if owed > 0]

    def flush_rows(self, conn: sa.Connection) -> None:
        """Write the derived rows and allocations (one statement per table at most)."""
        _SET_LOT.many(conn, [{"entry_id": i, "lot": i} for i in self.lot_ids_unset])
        _ALLOCATE.many(conn, self.allocations)
        _TAKE.many(conn, [{"b_lot": k, "b_taken": v} for k, v in self.taken.items()])
        _NEW_LOTS.many(conn, list(self.new_lots.values()) + self._debts())
        _REDATE.many(conn, [{"b_member": self.member_id, "b_reference": reference,
                             "b_at": self.at} for reference in self.redated])
        _NEW_ITEMS.many(conn, self.items)
        t = self.totals
        if t != Summary():
            _TOTALS.run(conn, b_member=self.member_id, b_total=t.total, b_earned=t.earned,
                        b_spend=t.spend_minor, b_orders=t.orders)

    def flush_events(self, conn: sa.Connection) -> None:
        """Write the outbox events (one statement)."""
        outbox.emit_many(conn, self.events, checked=True)  # built by the ledger: JSON

    def after(self, before: MemberState) -> MemberState:
        """The lots and debts after this write, from those read before it."""
        taken = self.taken
        debts = [(i, owed - taken.get(i, 0)) for i, owed in before.debts()]
        debts += [(r["lot_id"], r["remaining"]) for r in self._debts()]
        if before.sums is not None:  # an earn: new lots, debts repaid, no lot read taken from
            at, available, pending = before.sums
            if set(taken) - {i for i, _ in before.debts()}:
                raise LookupError("points taken from lots read as sums")
            for r in self.new_lots.values():
                if r["expires_at"] is None or r["expires_at"] > at:
                    if r["available_at"] > at:
                        pending += r["remaining"]
                    else:
                        available += r["remaining"]
            return MemberState.of_sums(before.member_id, at, available, pending, debts,
                                       before.expiry)
        open_lots = [replace(lot, remaining=lot.remaining - taken[lot.id]) if lot.id in taken
                     else lot for lot in before.lots()]
        open_lots += [Lot(r["lot_id"], r["created_at"], r["available_at"], r["expires_at"],
                     r["remaining"], r["reference"]) for r in self.new_lots.values()]
        return MemberState.of_lots(before.member_id, open_lots, debts, before.expiry)
