"""The writes of the ledger, run inside one locked transaction (see :mod:`loyalist.loyalty.txn`).

Each function checks, then writes entries and allocations, then emits its outbox events in the
same transaction; refusals are raised before anything is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from loyalist.loyalty import derived
from loyalist.loyalty.changes import Changes
from loyalist.loyalty.derived import Summary, TierView
from loyalist.loyalty.earning import Member, Usage, divide, targets
from loyalist.loyalty.errors import InsufficientPointsError, NotEligibleError, OutOfStockError
from loyalist.loyalty.prepared import Prepared
from loyalist.loyalty.program_schema import Program, Reward
from loyalist.loyalty.reads import load_state
from loyalist.loyalty.state import Allocation, EntryRow, MemberState, is_lot
from loyalist.loyalty.tables import badges, entries, reward_stock
from loyalist.loyalty.tiers import Totals, badges_won, progress_of

_ENTRY_COLUMNS = ("kind", "points", "lot_id", "available_at", "expires_at", "reference",
                  "reason", "rule_id", "amount_minor", "written_off")
_INSERT_ENTRY = Prepared(entries.insert().returning(entries.c.id), (
    *_ENTRY_COLUMNS, "member_id", "idempotency_key", "created_at"))
_INSERT_NUMBERED = Prepared(entries.insert(), (
    "id", *_ENTRY_COLUMNS, "member_id", "idempotency_key", "created_at"))
_INSERT_BADGE = badges.insert()
_TAKE_STOCK = Prepared(reward_stock.update().where(
    reward_stock.c.reward_id == sa.bindparam("b_reward_id"), reward_stock.c.remaining > 0).values(
    remaining=reward_stock.c.remaining - 1))


@dataclass
class Context:
    """One write: the open connection, the member (locked), its open lots and running totals.

    ``state`` holds only the lots with points left and the debts (all entries under inactivity
    expiry); ``tiers`` the tier items in the window (``None`` without tier levels).
    """

    conn: sa.Connection
    program: Program
    key: str
    at: dt.datetime
    member: Member
    state: MemberState
    summary: Summary = field(default_factory=Summary)
    tiers: TierView | None = None
    locked: derived.Locked | None = None  # with what it read (see derived.LockReads)
    next_id: int | None = None  # the id of the next entry, where the write numbers them
    entry_ids: list[int] = field(default_factory=list)
    changes: Changes = field(init=False)

    def __post_init__(self) -> None:
        self.changes = Changes(self.member.member_id, self.at)

    def insert(self, suffix: str, *, order_time: dt.datetime | None = None,
               new_order: bool = False, **values: Any) -> int:
        """Insert an entry keyed ``key`` (plus ``suffix``); return its id.

        Where the write numbers its entries (:attr:`next_id`), a lot's ``lot_id`` (its own id)
        is in the insert; otherwise the database numbers it and the lot id is set later.
        """
        row: dict[str, Any] = {c: values.get(c) for c in _ENTRY_COLUMNS}
        row.update(member_id=self.member.member_id, idempotency_key=self.key + suffix,
                   written_off=values.get("written_off", 0), created_at=self.at)
        if self.next_id is not None:
            entry_id = row["id"] = self.next_id
            self.next_id += 1
            if is_lot(row["kind"], row["points"]):
                row["lot_id"] = entry_id
            _INSERT_NUMBERED.run(self.conn, **row)
        else:
            entry_id = int(_INSERT_ENTRY.all(self.conn, **row)[0][0])
        self.entry_ids.append(entry_id)
        self.changes.entry(EntryRow(
            entry_id, row["kind"], row["points"], self.at, row["available_at"],
            row["expires_at"], row["reference"], row["rule_id"], row["amount_minor"],
            row["written_off"]), order_time=order_time, new_order=new_order,
            lot_set=self.next_id is not None)
        return entry_id

    def allocate(self, plan: list[Allocation], entry_id: int | None = None) -> None:
        """Record allocations (``entry_id`` replaces the planned one when given)."""
        self.changes.allocate([(entry_id if entry_id is not None else e, lot, p)
                               for e, lot, p in plan])

    def emit(self, event_type: str, payload: dict[str, Any], suffix: str = "") -> None:
        """An outbox event in this transaction, keyed by the write's key."""
        body = {"member_id": self.member.member_id, "at": self.at.isoformat(), **payload}
        self.changes.events.append((event_type, body, f"{self.key}:{event_type}{suffix}"))

    def usage(self) -> Usage:
        """Counts of a rule's earns for its limit (one query per limited rule asked about)."""
        return derived.usage(self.conn, self.member.member_id)

    def order_rows(self, reference: str) -> list[EntryRow]:
        """The member's entries of ``reference`` (an order)."""
        return derived.by_reference(self.conn, self.member.member_id, reference)


def post_earn(ctx: Context, points_by_rule: dict[str | None, int], *, reference: str | None,
              reason: str, available_at: dt.datetime, amount_minor: int | None = None,
              kind: str = "earn") -> int:
    """Earn lots (one per rule); new lots repay any debt first. Returns the points earned."""
    expiry = ctx.program.expiry
    expires_at = ctx.at + dt.timedelta(days=expiry.days) if expiry.mode == "per_lot" else None
    debts = ctx.state.debts()
    new_order = False
    if reference is not None and kind == "earn":
        earns, with_amount = _reference_earns(ctx, reference)
        new_order = amount_minor is not None and with_amount == 0
        if earns:
            ctx.changes.redate(reference)
    for i, (rule_id, points) in enumerate(points_by_rule.items()):
        entry_id = ctx.insert(
            "" if i == 0 else f":{rule_id}", kind=kind, points=points, rule_id=rule_id,
            available_at=available_at, expires_at=expires_at, reference=reference,
            reason=reason, amount_minor=amount_minor if i == 0 else None,
            new_order=new_order and i == 0)
        debts = _repay(ctx, debts, entry_id, points)
    total = sum(points_by_rule.values())
    if kind == "earn":
        ctx.emit("points_earned", {"points": total, "reference": reference, "reason": reason,
                                   "available_at": available_at.isoformat()})
    return total


def _reference_earns(ctx: Context, reference: str) -> tuple[int, int]:
    """Earns of ``reference`` so far, and how many of them have an amount (orders' earns)."""
    if ctx.locked is not None and ctx.locked.reference_earns is not None:
        return ctx.locked.reference_earns  # read with the lock
    before = [r for r in ctx.order_rows(reference) if r.kind == "earn"]
    return len(before), sum(r.amount_minor is not None for r in before)


def _repay(ctx: Context, debts: list[tuple[int, int]], lot_id: int,
           points: int) -> list[tuple[int, int]]:
    plan, left, rest = [], points, []
    for debt_id, owed in debts:
        paid = min(owed, left)
        if paid > 0:
            plan.append((debt_id, lot_id, paid))
            left -= paid
        if owed > paid:
            rest.append((debt_id, owed - paid))
    ctx.allocate(plan)
    return rest


def post_spend(ctx: Context, points: int, *, reference: str | None, reason: str) -> int:
    """Spend ``points`` from available lots, FIFO; refuse when they are not there."""
    available = ctx.state.balance(ctx.at).available
    if points > available:
        raise InsufficientPointsError(
            f"{points} points needed, {max(available, 0)} available",
            member_id=ctx.member.member_id, needed=points, available=available)
    plan = ctx.state.plan_spend(ctx.at, points)
    entry_id = ctx.insert("", kind="spend", points=-points, reference=reference, reason=reason,
                          lot_id=plan[0][1] if len(plan) == 1 else None)
    ctx.allocate(plan, entry_id)
    ctx.emit("points_spent", {"points": points, "reference": reference, "reason": reason})
    return -points


def check_reward(ctx: Context, reward: Reward) -> None:
    """Refuse a redemption the member is not eligible for (tier, segment, tenure, dates)."""
    member, at = ctx.member, ctx.at
    opens = reward.available_from
    early = reward.early_access
    if early is not None and opens is not None and member.tier in early.tiers:
        opens -= dt.timedelta(days=early.days)
    if opens is not None and at < opens:
        raise NotEligibleError(f"reward {reward.id} opens on {opens:%Y-%m-%d}",
                               reward_id=reward.id)
    if reward.available_until is not None and at >= reward.available_until:
        raise NotEligibleError(f"reward {reward.id} is no longer offered", reward_id=reward.id)
    if not targets(reward.target, member, at):
        raise NotEligibleError(f"reward {reward.id} is not offered to this member",
                               reward_id=reward.id, member_id=member.member_id)


def post_redeem(ctx: Context, reward: Reward) -> int:
    """Redeem ``reward``: eligibility, balance, then stock (atomic), then the spend."""
    check_reward(ctx, reward)
    available = ctx.state.balance(ctx.at).available
    if reward.cost > available:
        raise InsufficientPointsError(
            f"{reward.id} costs {reward.cost} points, {max(available, 0)} available",
            member_id=ctx.member.member_id, needed=reward.cost, available=available)
    if reward.stock is not None:
        taken = _TAKE_STOCK.run(ctx.conn, b_reward_id=reward.id).rowcount
        if taken != 1:
            raise OutOfStockError(f"reward {reward.id} is out of stock", reward_id=reward.id)
    points = post_spend(ctx, reward.cost, reference=reward.id, reason=f"reward:{reward.id}")
    ctx.emit("reward_redeemed", {"reward_id": reward.id, "kind": reward.kind,
                                 "cost": reward.cost, "value": reward.value})
    return points


def order_position(rows: list[EntryRow]) -> tuple[int, int, int]:
    """(order amount, amount refunded so far, points owed back so far) from an order's entries."""
    amount = sum(r.amount_minor or 0 for r in rows if r.kind == "earn")
    refunded = sum(r.amount_minor or 0 for r in rows if r.kind == "clawback")
    owed = sum(r.written_off - r.points for r in rows if r.kind == "clawback")
    return amount, refunded, owed


def post_clawback(ctx: Context, order_id: str, refunded_minor: int) -> tuple[int, int]:
    """Take back the points of ``order_id`` for a cumulative refund of ``refunded_minor``.

    The points kept are the order's points scaled to the amount not refunded (rounded with the
    first order rule's rounding). Returns (points taken, points written off).
    """
    order = ctx.order_rows(order_id)
    rows = [r for r in order if r.kind == "earn"]
    amount, refunded, owed_before = order_position(order)
    refunded_minor = min(refunded_minor, amount)
    if not rows or refunded_minor <= refunded:
        return 0, 0
    earned = sum(r.points for r in rows)
    rounding = next((r.rounding for r in ctx.program.rules_for("order")), "floor")
    keep = divide(earned * (amount - refunded_minor), amount, rounding) if amount else 0
    owed = max(0, earned - keep - owed_before)
    plan, short = ctx.state.plan_clawback(ctx.at, owed, order_id, ctx.program.clawback)
    negative = ctx.program.clawback == "allow_negative"
    taken = owed if negative else owed - short
    entry_id = ctx.insert("", kind="clawback", points=-taken, reference=order_id,
                          reason="refund", amount_minor=refunded_minor - refunded,
                          written_off=0 if negative else short,
                          order_time=max(rows, key=lambda r: r.id).created_at)
    ctx.allocate(plan, entry_id)
    ctx.emit("points_spent", {"points": taken, "reference": order_id, "reason": "refund",
                              "written_off": 0 if negative else short})
    return -taken, 0 if negative else short


def post_adjust(ctx: Context, points: int, reason: str) -> int:
    """A manual correction of ``points``.

    Positive: a lot, available at once. Negative: taken FIFO from available points; what is
    not there becomes debt under ``allow_negative`` and is refused under the other policies.
    """
    if points > 0:
        return post_earn(ctx, {None: points}, reference=None, reason=reason,
                         available_at=ctx.at, kind="adjust")
    available = ctx.state.balance(ctx.at).available
    if ctx.program.clawback != "allow_negative" and -points > available:
        raise InsufficientPointsError(f"cannot take {-points} points, {available} available",
                                      member_id=ctx.member.member_id, available=available)
    plan = ctx.state.plan_spend(ctx.at, -points)
    entry_id = ctx.insert("", kind="adjust", points=points, reason=reason)
    ctx.allocate(plan, entry_id)
    return points


def post_expire(ctx: Context) -> int:
    """Record the expiry of every expired lot with points left; returns the points (<= 0)."""
    total = 0
    for lot in ctx.state.expired_lots(ctx.at):
        entry_id = ctx.insert(f":{lot.id}", kind="expire", points=-lot.remaining, lot_id=lot.id,
                              reference=lot.reference, reason="expiry")
        ctx.allocate([(entry_id, lot.id, lot.remaining)])
        total -= lot.remaining
    return total


def after_state(ctx: Context) -> MemberState:
    """Lots and debts after the write (derived rows must be flushed for inactivity expiry)."""
    if ctx.program.expiry.mode == "inactivity":
        return load_state(ctx.conn, ctx.member.member_id, ctx.program.expiry)
    return ctx.changes.after(ctx.state)


def follow_up(ctx: Context, tier_before: str | None) -> tuple[str | None, list[str]]:
    """After the writes (derived rows flushed): the tier now, badges won (with their events)."""
    tier = None
    if ctx.tiers is not None:
        view = ctx.tiers
        if ctx.changes.redated:  # item dates moved: read them again
            view = derived.tier_view(ctx.conn, ctx.member.member_id, ctx.program, ctx.at,
                                     ctx.changes.summary_after(ctx.summary))
            tier = view.status(ctx.at).tier
        else:
            tier = view.status(ctx.at, ctx.changes.added_items(ctx.program.tiers.basis)).tier
        if tier != tier_before:
            ctx.emit("tier_changed", {"from": tier_before, "to": tier})
    won = _badges(ctx, tier) if ctx.program.badges else []
    return tier, won


def _badges(ctx: Context, tier: str | None) -> list[str]:
    assert ctx.locked is not None  # the lock read the badges
    already, before = ctx.locked.won, ctx.locked.rule_earns
    events = {b.event for b in ctx.program.badges if b.metric == "events" and b.id not in already}
    counts = dict.fromkeys(events, 0)
    for rule in ctx.program.earning:
        if rule.kind == "event" and rule.event in events:
            counts[rule.event] += before[rule.id] + ctx.changes.rule_earns.get(rule.id, 0)
    s = ctx.changes.summary_after(ctx.summary)
    progress = progress_of(Totals(s.earned, s.spend_minor, s.orders, counts), ctx.program, tier)
    won = badges_won(progress, ctx.program, set(already))
    if won:
        ctx.conn.execute(_INSERT_BADGE, [{"member_id": ctx.member.member_id, "badge_id": badge_id,
                                          "won_at": ctx.at, "key": ctx.key} for badge_id in won])
    for badge_id in won:
        ctx.emit("badge_won", {"badge_id": badge_id}, suffix=f":{badge_id}")
    return won
