"""A member's ledger as lots, debts and balances, computed from entries at read time.

Every earn (and positive adjustment) is a *lot*. Negative entries are paid from lots through
allocations; whatever a negative entry could not take from lots is *debt* (only under the
``allow_negative`` clawback policy or a negative adjustment), repaid by later earns.
Whether a lot is pending, available or expired depends only on its absolute timestamps and the
time asked about, so nothing has to run on a schedule. The identity, for any ``at``::

    sum of entries == available + pending + (expired - expired_recorded)
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from loyalist.loyalty.program_schema import Expiry

Allocation = tuple[int, int, int]
"""``(entry_id, lot_id, points)``: the entry took ``points`` from the lot."""


@dataclass(frozen=True)
class EntryRow:
    """An entry with what was taken from it (``used``, a lot) or covered (a negative entry)."""

    id: int
    kind: str
    points: int
    created_at: dt.datetime
    available_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    reference: str | None = None
    rule_id: str | None = None
    amount_minor: int | None = None
    written_off: int = 0
    used: int = 0
    covered: int = 0

    @classmethod
    def from_row(cls, row: Any) -> EntryRow:
        """From a row with the columns of :class:`EntryRow`."""
        return cls(row.id, row.kind, int(row.points), row.created_at, row.available_at,
                   row.expires_at, row.reference, row.rule_id,
                   None if row.amount_minor is None else int(row.amount_minor),
                   int(row.written_off or 0), int(row.used), int(row.covered))

    @property
    def is_lot(self) -> bool:
        """Earns and positive adjustments are lots."""
        return is_lot(self.kind, self.points)


def is_lot(kind: str, points: int) -> bool:
    """Whether an entry of ``kind`` and ``points`` is a lot (earns, positive adjustments)."""
    return kind == "earn" or (kind == "adjust" and points > 0)


@dataclass(frozen=True)
class Lot:
    """Points from one earn, with what is left of them."""

    id: int
    created_at: dt.datetime
    available_at: dt.datetime
    expires_at: dt.datetime | None
    remaining: int
    reference: str | None

    def state(self, at: dt.datetime) -> str:
        """``expired``, ``pending`` or ``available`` at ``at``."""
        if self.expires_at is not None and at >= self.expires_at:
            return "expired"
        return "pending" if at < self.available_at else "available"


@dataclass(frozen=True)
class Balance:
    """A member's points at ``at``.

    ``available`` can be spent (negative only under ``allow_negative`` clawback);
    ``pending`` waits for the return window; ``expired`` were lost to expiry (``expired_recorded``
    of them by :meth:`Ledger.expire`); ``debt`` is owed from clawbacks; ``total`` is the sum of
    all entries.
    """

    member_id: str
    at: dt.datetime
    available: int
    pending: int
    expired: int
    expired_recorded: int
    debt: int
    total: int
    earned: int
    spent: int
    clawed_back: int
    written_off: int


class MemberState:
    """The entries of one member, with lots, debts and balances derived from them."""

    def __init__(self, member_id: str, rows: Iterable[EntryRow], expiry: Expiry) -> None:
        self.member_id = member_id
        self._rows: list[EntryRow] | None = sorted(rows, key=lambda r: r.id)
        self.expiry = expiry
        self._deadlines = self._inactivity_deadlines() if expiry.mode == "inactivity" else []
        self._lots: list[Lot] | None = None
        self._debts: list[tuple[int, int]] | None = None
        self.sums: tuple[dt.datetime, int, int] | None = None  # see of_sums

    @classmethod
    def of_lots(cls, member_id: str, lots: Iterable[Lot], debts: Iterable[tuple[int, int]],
                expiry: Expiry) -> MemberState:
        """The state of open ``lots`` and ``debts`` (``(entry_id, owed)``) alone.

        What a write reads (see :mod:`loyalist.loyalty.derived`): lots and debts are taken as
        they are (their expiry included), with no entries behind them; :attr:`rows` then holds
        one row per lot (its points left) and per debt (what is owed, negative), so balances
        total the open points.
        """
        # lots come with their expiry: no deadlines to derive from (absent) entries
        state = cls(member_id, (), Expiry() if expiry.mode == "inactivity" else expiry)
        state._rows = None
        state._lots = sorted((lot for lot in lots if lot.remaining > 0),
                             key=lambda lot: (lot.created_at, lot.id))
        state._debts = sorted((i, owed) for i, owed in debts if owed > 0)
        return state

    @classmethod
    def of_sums(cls, member_id: str, at: dt.datetime, available: int, pending: int,
                debts: Iterable[tuple[int, int]], expiry: Expiry) -> MemberState:
        """The state of a member's unexpired lots summed at ``at``, with its debts.

        What an earn reads: it only repays debts and answers with the balance at ``at``, so
        it need not read each lot. Such a state has no lots or rows; :meth:`balance` answers
        at ``at`` only.
        """
        state = cls.of_lots(member_id, (), debts, expiry)
        state.sums = (at, available, pending)
        return state

    @property
    def rows(self) -> list[EntryRow]:
        """The entries, by id (of a state :meth:`of_lots`: a row per open lot and debt)."""
        if self._rows is None:
            self._rows = sorted(
                [EntryRow(lot.id, "earn", lot.remaining, lot.created_at, lot.available_at,
                          lot.expires_at, lot.reference) for lot in self.lots()]
                + [EntryRow(i, "clawback", -owed, dt.datetime.min) for i, owed in self.debts()],
                key=lambda r: r.id)
        return self._rows

    def _inactivity_deadlines(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """(activity time, deadline) of each activity followed by a gap of ``days`` or more."""
        times = sorted({r.created_at for r in self.rows if r.kind in ("earn", "spend")})
        gap = dt.timedelta(days=self.expiry.days)
        return [(t, t + gap) for i, t in enumerate(times)
                if i + 1 == len(times) or times[i + 1] - t >= gap]

    def _expires_at(self, row: EntryRow) -> dt.datetime | None:
        if self.expiry.mode != "inactivity":
            return row.expires_at
        starts = [t for t, _ in self._deadlines]
        i = bisect.bisect_left(starts, row.created_at)
        return self._deadlines[i][1] if i < len(self._deadlines) else None

    def lots(self) -> list[Lot]:
        """Lots with points left, oldest first (the FIFO order)."""
        if self.sums is not None:
            raise LookupError("the lots of this state were read as sums")
        if self._lots is not None:
            return self._lots
        lots = [Lot(r.id, r.created_at, r.available_at or r.created_at, self._expires_at(r),
                    r.points - r.used, r.reference) for r in self.rows if r.is_lot]
        self._lots = sorted((lot for lot in lots if lot.remaining > 0),
                            key=lambda lot: (lot.created_at, lot.id))
        return self._lots

    def debts(self) -> list[tuple[int, int]]:
        """``(entry_id, points)`` still owed by negative entries, oldest first."""
        if self._debts is None:
            self._debts = [(r.id, -r.points - r.covered) for r in self.rows
                           if r.points < 0 and -r.points > r.covered]
        return self._debts

    def balance(self, at: dt.datetime) -> Balance:
        """The balance of the current entries seen at time ``at``."""
        by_state = {"available": 0, "pending": 0, "expired": 0}
        if self.sums is not None:
            if at != self.sums[0]:
                raise LookupError(f"lots were summed at {self.sums[0]}, not at {at}")
            by_state["available"], by_state["pending"] = self.sums[1:]
        for lot in self.lots() if self.sums is None else ():
            by_state[lot.state(at)] += lot.remaining
        debt = sum(points for _, points in self.debts())
        total = dict.fromkeys(("earn", "spend", "expire", "clawback", "adjust"), 0)
        if self._rows is None:  # open lots and debts only (see of_lots)
            total["earn"], total["clawback"] = sum(by_state.values()), -debt
        else:
            for row in self._rows:
                total[row.kind] += row.points
        return Balance(
            self.member_id, at, by_state["available"] - debt, by_state["pending"],
            by_state["expired"] - total["expire"], -total["expire"], debt,
            sum(total.values()), total["earn"], -total["spend"], -total["clawback"],
            sum(r.written_off for r in self._rows or ()))

    def plan_spend(self, at: dt.datetime, points: int, entry_id: int = 0) -> list[Allocation]:
        """Allocations taking ``points`` from available lots, oldest first (FIFO)."""
        return _take([lot for lot in self.lots() if lot.state(at) == "available"],
                     points, entry_id)[0]

    def plan_clawback(self, at: dt.datetime, owed: int, order_id: str, policy: str,
                      entry_id: int = 0) -> tuple[list[Allocation], int]:
        """Allocations taking back ``owed`` points and the shortfall they leave.

        The order's own unexpired lots pay first; ``pending_only`` stops there (and only takes
        them while still pending); the other policies go on to the other unexpired lots, FIFO.
        """
        live = [lot for lot in self.lots() if lot.state(at) != "expired"]
        own = [lot for lot in live if lot.reference == order_id]
        if policy == "pending_only":
            return _take([lot for lot in own if lot.state(at) == "pending"], owed, entry_id)
        others = [lot for lot in live if lot.reference != order_id]
        return _take(own + others, owed, entry_id)

    def plan_repayment(self, lot_id: int, points: int) -> list[Allocation]:
        """Allocations by which a new lot of ``points`` repays debt, oldest debt first."""
        plan, left = [], points
        for entry_id, owed in self.debts():
            if left <= 0:
                break
            paid = min(owed, left)
            plan.append((entry_id, lot_id, paid))
            left -= paid
        return plan

    def expired_lots(self, at: dt.datetime) -> list[Lot]:
        """Lots expired at ``at`` with points left (what :meth:`Ledger.expire` records)."""
        return [lot for lot in self.lots() if lot.state(at) == "expired"]

    def last_activity(self) -> dt.datetime | None:
        """Time of the newest earn or spend."""
        times = [r.created_at for r in self.rows if r.kind in ("earn", "spend")]
        return max(times) if times else None


def _take(lots: list[Lot], points: int, entry_id: int) -> tuple[list[Allocation], int]:
    plan, left = [], points
    for lot in lots:
        if left <= 0:
            break
        taken = min(lot.remaining, left)
        plan.append((entry_id, lot.id, taken))
        left -= taken
    return plan, left
