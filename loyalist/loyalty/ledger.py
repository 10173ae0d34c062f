"""The points ledger: append-only integer entries, idempotent writes, no double spend.

Every write takes an idempotency ``key``. The first call with a key runs in one transaction that
locks the member (see :mod:`loyalist.loyalty.txn`), checks, writes the entries and stores its
response under the key; any later call with that key returns the stored response (or raises the
stored refusal) and writes nothing. A key reused for a different request raises
:class:`~loyalist.loyalty.errors.IdempotencyConflictError`.

Examples
--------
>>> from loyalist.loyalty.program import parse_program
>>> program = parse_program({"id": "p", "earning": [
...     {"id": "buy", "kind": "order", "per": "currency_unit", "points": 1}]})
>>> ledger = Ledger(sa.create_engine("sqlite://"), program)
>>> ledger.ensure_schema()
>>> at = dt.datetime(2025, 1, 1)
>>> ledger.earn_for_order("m1", "o1", 120.5, key="o1", at=at).points
120
>>> ledger.spend("m1", 100, key="s1", at=at).available
20
>>> ledger.spend("m1", 100, key="s1", at=at).available  # a replay: same answer, no write
20
>>> ledger.balance("m1", at=at).total
20
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from loyalist.errors import InputError, NotFoundError
from loyalist.loyalty import derived, outbox, reconcile, writes
from loyalist.loyalty.earning import Member, event_points, order_points
from loyalist.loyalty.errors import REFUSALS, IdempotencyConflictError, RedemptionError
from loyalist.loyalty.prepared import Prepared, batched
from loyalist.loyalty.program_schema import EVENTS, Program
from loyalist.loyalty.reads import StatementLine, load_state, statement, won_badges
from loyalist.loyalty.reconcile import Mismatch
from loyalist.loyalty.state import Balance, MemberState
from loyalist.loyalty.tables import members, metadata, requests, reward_stock
from loyalist.loyalty.tiers import TierStatus, tier_status
from loyalist.loyalty.txn import (
    lock_member,
    roomy,
    savepoint,
    serialised,
    write_transaction,
)

Action = Callable[[writes.Context], dict[str, Any]]
_EARNS = frozenset({"earn", "order", "event"})  # only repay debts: read lots as sums
_NO_FOLLOW_UP = frozenset({"spend", "redeem", "expire"})  # no tier or badge moves on these
_STORE = Prepared(requests.insert(), ("key", "member_id", "op", "fingerprint", "response",
                                      "created_at"))


@dataclass(frozen=True)
class Receipt:
    """The response to a write (the same on every replay of its key).

    ``points`` is the signed change (earn +, spend -); ``available``/``pending`` the balance
    right after the write.
    """

    key: str
    op: str
    member_id: str
    points: int
    entry_ids: tuple[int, ...]
    available: int
    pending: int
    tier: str | None = None
    written_off: int = 0
    reward_id: str | None = None
    badges: tuple[str, ...] = ()
    replayed: bool = field(default=False, compare=False)


def utcnow() -> dt.datetime:
    """The current time in UTC, naive (as the operational store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _when(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return utcnow()
    return at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at


def to_minor(amount: Any, name: str = "amount") -> int:
    """Money as integer minor units (cents), half up; refuses negatives and non-numbers.

    Examples
    --------
    >>> to_minor(12.345), to_minor("0.1"), to_minor(3)
    (1235, 10, 300)
    """
    if type(amount) is int and amount >= 0:  # whole units: nothing to round
        return amount * 100
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise InputError(f"{name} must be an amount of money, got {amount!r}") from None
    if not value.is_finite() or value < 0:
        raise InputError(f"{name} must be a non-negative amount, got {amount!r}")
    return int(value * 100)


def _points(points: Any) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise InputError(f"points must be a positive integer, got {points!r}", points=points)
    return points


class Ledger:
    """The points ledger of ``program`` in the operational store behind ``engine``."""

    def __init__(self, engine: sa.Engine, program: Program) -> None:
        self.engine = engine
        self.program = program
        self._batch = threading.local()  # the open batch's connection, per thread
        self._lock_reads: tuple[Program, dict[tuple[bool, ...], derived.LockReads]] = (
            program, {})

    def ensure_schema(self) -> None:
        """Create the ledger and outbox tables, and the stock of rewards not stocked yet."""
        metadata.create_all(self.engine)
        outbox.ensure_schema(self.engine)
        with write_transaction(self.engine) as conn:
            reconcile.upgrade(conn)
            stocked = set(conn.execute(sa.select(reward_stock.c.reward_id)).scalars())
            for reward in self.program.rewards:
                if reward.stock is not None and reward.id not in stocked:
                    conn.execute(reward_stock.insert().values(reward_id=reward.id,
                                                              remaining=reward.stock))

    # -- writes --------------------------------------------------------------------------------

    def enroll(self, member_id: str, *, joined_at: dt.datetime | None = None,
               segment: str | None = None) -> None:
        """Create or update a member's profile (join date for tenure, segment for targeting)."""
        at = _when(joined_at)
        with write_transaction(self.engine) as conn:
            lock_member(conn, member_id, at)
            values: dict[str, Any] = {"segment": segment}
            if joined_at is not None:
                values["joined_at"] = at
            conn.execute(members.update().where(members.c.member_id == member_id)
                         .values(**values))

    def earn(self, member_id: str, points: int, *, key: str, reference: str | None = None,
             reason: str = "manual", pending: bool = False,
             at: dt.datetime | None = None) -> Receipt:
        """Credit ``points`` (pending for the program's ``pending_days`` when ``pending``)."""
        points = _points(points)

        def action(ctx: writes.Context) -> dict[str, Any]:
            days = self.program.pending_days if pending else 0
            return {"points": writes.post_earn(
                ctx, {None: points}, reference=reference, reason=reason,
                available_at=ctx.at + dt.timedelta(days=days))}

        return self._write("earn", member_id, key, at, action,
                           points=points, reference=reference, reason=reason, pending=pending)

    def earn_for_order(self, member_id: str, order_id: str, amount: Any, *, key: str,
                       at: dt.datetime | None = None) -> Receipt:
        """Credit the points of an order of ``amount``, pending until the return window ends."""
        minor = to_minor(amount)

        def action(ctx: writes.Context) -> dict[str, Any]:
            by_rule: dict[str | None, int] = {**order_points(
                self.program, minor, ctx.member, ctx.usage(), ctx.at)} or {None: 0}
            return {"points": writes.post_earn(
                ctx, by_rule, reference=order_id, reason="order", amount_minor=minor,
                available_at=ctx.at + dt.timedelta(days=self.program.pending_days))}

        return self._write("order", member_id, key, at, action, order_id=order_id, amount=minor)

    def earn_event(self, member_id: str, event: str, *, key: str, reference: str | None = None,
                   at: dt.datetime | None = None) -> Receipt:
        """Credit the points of an ``event`` (review, referral_converted, ...), within limits.

        An event no rule rewards (or over its limit) is recorded with 0 points.
        """
        if event not in EVENTS:
            raise InputError(f"event must be one of {', '.join(EVENTS)}, got {event!r}")

        def action(ctx: writes.Context) -> dict[str, Any]:
            by_rule: dict[str | None, int] = {**event_points(
                self.program, event, ctx.member, ctx.usage(), ctx.at)} or {None: 0}
            return {"points": writes.post_earn(ctx, by_rule, reference=reference, reason=event,
                                               available_at=ctx.at)}

        return self._write("event", member_id, key, at, action, event=event,
                           reference=reference)

    def spend(self, member_id: str, points: int, *, key: str, reference: str | None = None,
              reason: str = "spend", at: dt.datetime | None = None) -> Receipt:
        """Spend ``points`` from available points (oldest first); refuse when not there."""
        points = _points(points)

        def action(ctx: writes.Context) -> dict[str, Any]:
            return {"points": writes.post_spend(ctx, points, reference=reference, reason=reason)}

        return self._write("spend", member_id, key, at, action, points=points,
                           reference=reference, reason=reason)

    def redeem(self, member_id: str, reward_id: str, *, key: str,
               at: dt.datetime | None = None) -> Receipt:
        """Redeem a reward of the catalogue: eligibility, balance and stock, atomically."""
        reward = self.program.reward(reward_id)
        if reward is None:
            raise NotFoundError(f"no reward {reward_id!r} in program {self.program.id}",
                                reward_id=reward_id)

        def action(ctx: writes.Context) -> dict[str, Any]:
            return {"points": writes.post_redeem(ctx, reward), "reward_id": reward.id}

        return self._write("redeem", member_id, key, at, action, reward_id=reward_id)

    def refund(self, member_id: str, order_id: str, *, refunded_amount: Any, key: str,
               at: dt.datetime | None = None) -> Receipt:
        """Claw back an order's points for a CUMULATIVE ``refunded_amount`` under the policy.

        Only the part of the refund not clawed back before counts, so sending the same total
        twice (even with new keys) takes nothing more.
        """
        minor = to_minor(refunded_amount, "refunded_amount")

        def action(ctx: writes.Context) -> dict[str, Any]:
            points, written_off = writes.post_clawback(ctx, order_id, minor)
            return {"points": points, "written_off": written_off}

        return self._write("refund", member_id, key, at, action, order_id=order_id,
                           refunded=minor)

    def adjust(self, member_id: str, points: int, *, key: str, reason: str,
               at: dt.datetime | None = None) -> Receipt:
        """A manual correction of ``points`` (either sign; a shortfall becomes debt)."""
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise InputError(f"points must be a non-zero integer, got {points!r}")

        def action(ctx: writes.Context) -> dict[str, Any]:
            return {"points": writes.post_adjust(ctx, points, reason)}

        return self._write("adjust", member_id, key, at, action, points=points, reason=reason)

    def expire(self, member_id: str, *, key: str, at: dt.datetime | None = None) -> Receipt:
        """Record expiry entries for lots expired at ``at`` (balances never need this)."""

        def action(ctx: writes.Context) -> dict[str, Any]:
            return {"points": writes.post_expire(ctx)}

        return self._write("expire", member_id, key, at, action)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Commit the writes made inside (in this thread) together, in one transaction.

        For replays and imports: each write keeps its key, its checks, its entries, events and
        receipt, but they share one lock and one commit, several times cheaper than a
        transaction each. A write that fails is undone alone (a savepoint) and raises as
        usual; if the block raises, nothing of it is committed, and running it again with the
        same keys is safe. Receipts count once the block has exited normally. Other writers
        wait while a batch runs (SQLite: every writer; PostgreSQL: writers of its members),
        so keep batches to a few hundred writes. A batch inside a batch joins it.

        Examples
        --------
        >>> from loyalist.loyalty.program import parse_program
        >>> program = parse_program({"id": "p", "earning": [
        ...     {"id": "buy", "kind": "order", "per": "currency_unit", "points": 1}]})
        >>> ledger = Ledger(sa.create_engine("sqlite://"), program)
        >>> ledger.ensure_schema()
        >>> with ledger.batch():
        ...     for n in range(3):
        ...         _ = ledger.earn_for_order("m1", f"o{n}", 10, key=f"o{n}",
        ...                                   at=dt.datetime(2025, 1, 1))
        >>> ledger.balance("m1", at=dt.datetime(2025, 3, 1)).total
        30
        """
        if getattr(self._batch, "conn", None) is not None:
            yield
            return
        with write_transaction(self.engine) as conn:
            roomy(conn)
            self._batch.conn = conn
            try:
                yield
            finally:
                self._batch.conn = None

    # -- reads ---------------------------------------------------------------------------------

    def state(self, member_id: str) -> MemberState:
        """The member's entries as lots and debts."""
        with self.engine.connect() as conn:
            return load_state(conn, member_id, self.program.expiry)

    def balance(self, member_id: str, at: dt.datetime | None = None) -> Balance:
        """The member's balance at ``at`` (default now), derived from the entries."""
        return self.state(member_id).balance(_when(at))

    def statement(self, member_id: str) -> list[StatementLine]:
        """Every entry of the member, oldest first, with a running total."""
        with self.engine.connect() as conn:
            return statement(conn, member_id)

    def tier(self, member_id: str, at: dt.datetime | None = None) -> TierStatus:
        """The member's tier at ``at``, from points earned (or spend) in the tier window."""
        return tier_status(self.state(member_id).rows, self.program, _when(at))

    def badges(self, member_id: str) -> dict[str, dt.datetime]:
        """Badges won, with when."""
        with self.engine.connect() as conn:
            return won_badges(conn, member_id)

    def stock(self, reward_id: str) -> int | None:
        """Units of a reward left (``None``: unlimited)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(reward_stock.c.remaining).where(
                reward_stock.c.reward_id == reward_id)).scalar()

    def reconcile(self, member_id: str | None = None) -> list[Mismatch]:
        """Derived rows that differ from their values recomputed from entries (``[]``: none).

        Lots' points left, debts, running totals and tier items, of one member or all.
        """
        with self.engine.connect() as conn:
            return reconcile.reconcile(conn, member_id)

    def member_ids(self) -> list[str]:
        """Every member with a profile."""
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(members.c.member_id)
                                     .order_by(members.c.member_id)).scalars())

    # -- the write protocol --------------------------------------------------------------------

    def _write(self, op: str, member_id: str, key: str, at: dt.datetime | None, action: Action,
               **params: Any) -> Receipt:
        if not isinstance(key, str) or not 1 <= len(key) <= 200:
            raise InputError("an idempotency key needs 1 to 200 characters", key=key)
        if not isinstance(member_id, str) or not 1 <= len(member_id) <= 200:
            raise InputError("a member id needs 1 to 200 characters", member_id=member_id)
        fingerprint = hashlib.sha256(json.dumps(
            {"op": op, "member_id": member_id, **params}, sort_keys=True, default=str,
        ).encode()).hexdigest()
        when = _when(at)
        reads = self._reads(op, params.get("order_id" if op == "order" else "reference"))
        batch: sa.Connection | None = getattr(self._batch, "conn", None)
        for attempt in range(3):
            try:
                with write_transaction(self.engine) if batch is None else \
                        _joined(batch) as conn:
                    response, replayed = self._once(conn, op, member_id, key, fingerprint, when,
                                                    action, reads)
                return _receipt(response, replayed)
            except sa.exc.IntegrityError:
                # The same key committed by a writer of another member: replay it next time.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, conn: sa.Connection, op: str, member_id: str, key: str, fingerprint: str,
              at: dt.datetime, action: Action,
              reads: tuple[derived.LockReads, str | None]) -> tuple[dict[str, Any], bool]:
        locked = derived.lock(conn, member_id, key, at, *reads)
        if locked.stored is not None:
            if locked.stored[0] != fingerprint:
                raise IdempotencyConflictError(
                    f"idempotency key {key!r} was used for a different request", key=key)
            return locked.stored[1], True
        program = self.program
        state = derived.open_state(conn, member_id, program, at, expired=op == "expire",
                                   sums=locked.sums)
        tiers = derived.tier_view(conn, member_id, program, at, locked.summary,
                                  locked) if program.tiers.levels else None
        tier = tiers.status(at).tier if tiers is not None else None
        ctx = writes.Context(conn, program, key, at,
                             Member(member_id, locked.joined_at, locked.segment, tier), state,
                             locked.summary, tiers, locked,
                             locked.last_entry + 1 if serialised(conn) else None)
        result: dict[str, Any] = {}
        try:
            result = action(ctx)
        except RedemptionError as exc:  # refused before anything was written
            result = {"error": exc.to_dict()}
        with batched(conn):  # what is left writes only: sent together where the driver can
            response = result if "error" in result else self._response(ctx, op, result, tier)
            _STORE.run(conn, key=key, member_id=member_id, op=op, fingerprint=fingerprint,
                       response=response, created_at=at)
        return response, False

    def _reads(self, op: str, reference: str | None,
               ) -> tuple[derived.LockReads, str | None]:
        """What the lock reads besides the member (see :class:`~derived.LockReads`)."""
        program = self.program
        earn = op in _EARNS
        kind = (op not in _NO_FOLLOW_UP and bool(program.badges),
                earn and program.expiry.mode != "inactivity", earn and reference is not None)
        if self._lock_reads[0] is not program:
            self._lock_reads = (program, {})
        found = self._lock_reads[1].get(kind)
        if found is None:
            found = self._lock_reads[1][kind] = derived.LockReads.of(
                program, badges=kind[0], sums=kind[1], reference=kind[2])
        return found, reference if kind[2] else None

    def _response(self, ctx: writes.Context, op: str, result: dict[str, Any],
                  tier: str | None) -> dict[str, Any]:
        ctx.changes.flush_rows(ctx.conn)
        won: list[str] = []
        if op not in _NO_FOLLOW_UP:
            tier, won = writes.follow_up(ctx, tier)
        after = writes.after_state(ctx).balance(ctx.at)
        ctx.changes.flush_events(ctx.conn)
        return {"key": ctx.key, "op": op, "member_id": ctx.member.member_id,
                "points": result["points"], "entry_ids": list(ctx.entry_ids),
                "available": after.available, "pending": after.pending, "tier": tier,
                "written_off": result.get("written_off", 0),
                "reward_id": result.get("reward_id"), "badges": won}


@contextmanager
def _joined(conn: sa.Connection) -> Iterator[sa.Connection]:
    """One write inside a batch's transaction (undone alone on error)."""
    with savepoint(conn):
        yield conn


def _receipt(response: dict[str, Any], replayed: bool) -> Receipt:
    if "error" in response:
        error = response["error"]
        raise REFUSALS[error["type"]](error["message"], **error["details"])
    fields = {**response, "entry_ids": tuple(response["entry_ids"]),
              "badges": tuple(response["badges"])}
    return Receipt(**fields, replayed=replayed)



