"""Tiers and badges, computed from what a member EARNED (or spent), never from the balance.

Spending or expiring points changes no tier. A refund takes its order's qualifying points (or
money) away as of the order's own date, so a refunded purchase never counts in any window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from loyalist.loyalty.program_schema import Program, TierPolicy
from loyalist.loyalty.state import EntryRow


@dataclass(frozen=True)
class TierStatus:
    """A member's tier at ``at``.

    ``value`` qualifies in the window; ``tier`` is the tier held, which may be higher than the
    ``qualified`` one during a grace period; ``to_next`` is what ``next_tier`` still needs.
    """

    tier: str | None
    qualified: str | None
    value: int
    next_tier: str | None
    to_next: int


def window_start(window: str, at: dt.datetime) -> dt.datetime | None:
    """Start (inclusive) of the tier window that ends at ``at``.

    Examples
    --------
    >>> window_start("rolling_12_months", dt.datetime(2024, 2, 29, 12))
    datetime.datetime(2023, 2, 28, 12, 0)
    >>> window_start("calendar_year", dt.datetime(2024, 5, 3))
    datetime.datetime(2024, 1, 1, 0, 0)
    """
    if window == "calendar_year":
        return dt.datetime(at.year, 1, 1)
    if window == "rolling_12_months":
        day = min(at.day, 28) if at.month == 2 else at.day
        return at.replace(year=at.year - 1, day=day)
    return None


def contributions(rows: list[EntryRow], basis: str) -> list[tuple[dt.datetime, int]]:
    """``(time, value)`` of qualifying points (or money), refunds dated at their order."""
    order_time: dict[str | None, dt.datetime] = {
        r.reference: r.created_at for r in rows if r.kind == "earn" and r.reference is not None}
    out = []
    for r in rows:
        if basis == "points_earned" and r.kind == "earn":
            out.append((r.created_at, r.points))
        elif basis == "points_earned" and r.kind == "clawback":
            out.append((order_time.get(r.reference, r.created_at), r.points - r.written_off))
        elif basis == "spend" and r.amount_minor is not None and r.kind in ("earn", "clawback"):
            sign = 1 if r.kind == "earn" else -1
            out.append((order_time.get(r.reference, r.created_at), sign * r.amount_minor))
    return sorted(out)


def value_at(items: list[tuple[dt.datetime, int]], policy: TierPolicy, at: dt.datetime) -> int:
    """The qualifying value in the window ending at ``at``."""
    start = window_start(policy.window, at)
    return sum(v for t, v in items if t <= at and (start is None or t >= start))


def held_tier(items: list[tuple[dt.datetime, int]], policy: TierPolicy,
              at: dt.datetime) -> str | None:
    """The tier held at ``at`` under the downgrade policy.

    The window value only rises at a contribution's time and only falls in between, so its
    maximum over an interval is at the interval's start or at a contribution inside it.
    """
    if policy.downgrade == "immediate":
        since = at
    elif policy.downgrade == "grace":
        since = at - dt.timedelta(days=policy.grace_days)
    else:
        since = min((t for t, _ in items), default=at)
    times = {since, at, *(t for t, _ in items if since < t <= at)}
    best = max((value_at(items, policy, t) for t in times), default=0)
    level = policy.level_for(best)
    return level.id if level else None


def tier_status(rows: list[EntryRow], program: Program, at: dt.datetime) -> TierStatus:
    """The :class:`TierStatus` of a member with entries ``rows`` at ``at``."""
    policy = program.tiers
    items = contributions(rows, policy.basis)
    value = value_at(items, policy, at)
    qualified = policy.level_for(value)
    held = held_tier(items, policy, at)
    above = [t for t in policy.levels if t.threshold > value]
    return TierStatus(held, qualified.id if qualified else None, value,
                      above[0].id if above else None, above[0].threshold - value if above else 0)


def badge_progress(rows: list[EntryRow], program: Program, tier: str | None) -> dict[str, int]:
    """How far the member is on each badge's metric (badges that compare to ``at_least``)."""
    event_of = {r.id: r.event for r in program.earning if r.kind == "event"}
    events: dict[str, int] = {}
    for r in rows:
        if r.kind == "earn" and r.rule_id in event_of:
            events[event_of[r.rule_id]] = events.get(event_of[r.rule_id], 0) + 1
    items = contributions(rows, "points_earned")
    spend = contributions(rows, "spend")
    orders = {r.reference for r in rows if r.kind == "earn" and r.amount_minor is not None}
    rank = program.tiers.rank(tier)
    out = {}
    for badge in program.badges:
        if badge.metric == "events":
            out[badge.id] = events.get(badge.event, 0)
        elif badge.metric == "tier":
            out[badge.id] = int(rank >= program.tiers.rank(badge.tier))
        else:
            out[badge.id] = {"points_earned": sum(v for _, v in items), "orders": len(orders),
                             "spend": sum(v for _, v in spend) // 100}[badge.metric]
    return out


def badges_won(rows: list[EntryRow], program: Program, tier: str | None,
               already: set[str]) -> list[str]:
    """Badges reached now and not won before, in program order."""
    progress = badge_progress(rows, program, tier)
    return [b.id for b in program.badges
            if b.id not in already and progress[b.id] >= b.at_least]
