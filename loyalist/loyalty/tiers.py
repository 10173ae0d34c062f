"""Tiers and badges, computed from what a member EARNED (or spent), never from the balance.

Spending or expiring points changes no tier. A refund takes its order's qualifying points (or
money) away as of the order's own date, so a refunded purchase never counts in any window.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

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


def contribution_rows(rows: list[EntryRow], basis: str) -> list[tuple[int, dt.datetime, int]]:
    """``(entry id, time, value)`` of qualifying points (or money), refunds dated at their order.

    An order's time is the time of its latest earn (the earn with the highest id).
    """
    order_time: dict[str | None, dt.datetime] = {
        r.reference: r.created_at for r in rows if r.kind == "earn" and r.reference is not None}
    out = []
    for r in rows:
        if basis == "points_earned" and r.kind == "earn":
            out.append((r.id, r.created_at, r.points))
        elif basis == "points_earned" and r.kind == "clawback":
            out.append((r.id, order_time.get(r.reference, r.created_at),
                        r.points - r.written_off))
        elif basis == "spend" and r.amount_minor is not None and r.kind in ("earn", "clawback"):
            sign = 1 if r.kind == "earn" else -1
            out.append((r.id, order_time.get(r.reference, r.created_at), sign * r.amount_minor))
    return out


def contributions(rows: list[EntryRow], basis: str) -> list[tuple[dt.datetime, int]]:
    """``(time, value)`` of qualifying points (or money), refunds dated at their order."""
    return sorted((t, v) for _, t, v in contribution_rows(rows, basis))


def value_at(items: list[tuple[dt.datetime, int]], policy: TierPolicy, at: dt.datetime,
             base: int = 0) -> int:
    """The qualifying value in the window ending at ``at``.

    ``base`` is the value of the items left out of ``items`` (only with a lifetime window,
    where they are the items dated before every time asked about).
    """
    start = window_start(policy.window, at)
    return base + sum(v for t, v in items if t <= at and (start is None or t >= start))


def needed_from(policy: TierPolicy, at: dt.datetime) -> tuple[dt.datetime | None, bool]:
    """The oldest item a tier at ``at`` needs (``None``: all) and whether older ones count.

    A write reads only these items: with a window, items older than the window of the grace
    period's start cannot count; with a lifetime window they count as one sum (``base``).
    """
    if policy.downgrade == "never":
        return None, False
    since = at if policy.downgrade == "immediate" else at - dt.timedelta(days=policy.grace_days)
    start = window_start(policy.window, since)
    if start is None:
        return since, True
    return start - dt.timedelta(days=1), False  # a day early: rolling starts clamp in February


def _values(items: list[tuple[dt.datetime, int]], policy: TierPolicy,
            base: int) -> Callable[[dt.datetime], int]:
    """:func:`value_at` of ``items`` as a function of ``at``, by bisection on prefix sums."""
    ordered = sorted(items)
    times = [t for t, _ in ordered]
    prefix = list(accumulate((v for _, v in ordered), initial=0))

    def value(at: dt.datetime) -> int:
        start = window_start(policy.window, at)
        first = 0 if start is None else bisect_left(times, start)
        return base + prefix[bisect_right(times, at)] - prefix[first]

    return value


def window_parts(items: list[tuple[dt.datetime, int]], policy: TierPolicy, at: dt.datetime,
                 base: int = 0) -> tuple[int, int | None]:
    """The window value at ``at`` and the highest one at the other times a held tier counts.

    The window value only rises at a contribution's time and only falls in between, so its
    maximum over an interval is at the interval's start or at a contribution inside it. The
    second value is ``None`` when ``at`` is the only such time. Items added at ``at`` itself
    change the first value only.
    """
    since = held_since(policy, at, items)
    others = {since, *(t for t, _ in items if since < t < at)} - {at}
    value = _values(items, policy, base)
    return value(at), max((value(t) for t in others), default=None)


def held_since(policy: TierPolicy, at: dt.datetime,
               items: Sequence[tuple[dt.datetime, int]] = ()) -> dt.datetime:
    """The first time whose window value still counts for the tier held at ``at``.

    ``items`` are needed only when a tier is never lost (it then counts from the first).
    """
    if policy.downgrade == "immediate":
        return at
    if policy.downgrade == "grace":
        return at - dt.timedelta(days=policy.grace_days)
    return min((t for t, _ in items), default=at)


def window_bounds(items: list[tuple[dt.datetime, int]], policy: TierPolicy, at: dt.datetime,
                  base: int = 0) -> tuple[int, int | None]:
    """The window value at ``at`` and a bound of :func:`window_parts`' second value.

    The bound is never below that value (``None`` exactly when it is ``None``): every other
    time lies in ``[since, at)`` and its window starts no earlier than the window of ``since``,
    so it counts no item older than that start nor any at or after ``at``; the bound adds the
    positive items in between (refunds are negative). One pass over the items; when the tier of
    the bound is the tier of the value, the highest value need not be computed.

    Examples
    --------
    >>> from loyalist.loyalty.program_schema import TierPolicy
    >>> policy = TierPolicy(window="rolling_12_months", downgrade="grace", grace_days=90)
    >>> items = [(dt.datetime(2025, 1, 1), 700), (dt.datetime(2025, 6, 1), 500)]
    >>> window_bounds(items, policy, dt.datetime(2026, 3, 1))
    (500, 1200)
    >>> window_parts(items, policy, dt.datetime(2026, 3, 1))
    (500, 1200)
    """
    since = held_since(policy, at, items)
    if since >= at:  # no other time before ``at``: the exact answer costs as little
        return window_parts(items, policy, at, base)
    start, oldest = window_start(policy.window, at), window_start(policy.window, since)
    value = upper = base
    for t, v in items:
        if t <= at and (start is None or t >= start):
            value += v
        if v > 0 and t < at and (oldest is None or t >= oldest):
            upper += v
    return value, upper


def status_of(policy: TierPolicy, value: int, best: int) -> TierStatus:
    """The :class:`TierStatus` of window value ``value`` and highest value counted ``best``."""
    qualified, held = policy.level_for(value), policy.level_for(best)
    above = [t for t in policy.levels if t.threshold > value]
    return TierStatus(held.id if held else None, qualified.id if qualified else None, value,
                      above[0].id if above else None, above[0].threshold - value if above else 0)


def held_tier(items: list[tuple[dt.datetime, int]], policy: TierPolicy,
              at: dt.datetime, base: int = 0) -> str | None:
    """The tier held at ``at`` under the downgrade policy (see :func:`window_parts`)."""
    value, other = window_parts(items, policy, at, base)
    level = policy.level_for(value if other is None else max(value, other))
    return level.id if level else None


def tier_from_items(items: list[tuple[dt.datetime, int]], program: Program, at: dt.datetime,
                    base: int = 0) -> TierStatus:
    """The :class:`TierStatus` at ``at`` from qualifying items (see :func:`needed_from`)."""
    value, other = window_parts(items, program.tiers, at, base)
    return status_of(program.tiers, value, value if other is None else max(value, other))


def tier_status(rows: list[EntryRow], program: Program, at: dt.datetime) -> TierStatus:
    """The :class:`TierStatus` of a member with entries ``rows`` at ``at``."""
    return tier_from_items(contributions(rows, program.tiers.basis), program, at)


@dataclass(frozen=True)
class Totals:
    """Lifetime figures badges compare with ``at_least`` (``events``: earns per event)."""

    earned: int
    spend_minor: int
    orders: int
    events: dict[str, int]


def totals_of(rows: list[EntryRow], program: Program) -> Totals:
    """The :class:`Totals` of a member's entries."""
    event_of = {r.id: r.event for r in program.earning if r.kind == "event"}
    events: dict[str, int] = {}
    for r in rows:
        if r.kind == "earn" and r.rule_id in event_of:
            events[event_of[r.rule_id]] = events.get(event_of[r.rule_id], 0) + 1
    orders = {r.reference for r in rows if r.kind == "earn" and r.amount_minor is not None}
    return Totals(sum(v for _, v in contributions(rows, "points_earned")),
                  sum(v for _, v in contributions(rows, "spend")), len(orders), events)


def progress_of(totals: Totals, program: Program, tier: str | None) -> dict[str, int]:
    """How far the member is on each badge's metric."""
    rank = program.tiers.rank(tier)
    out = {}
    for badge in program.badges:
        if badge.metric == "events":
            out[badge.id] = totals.events.get(badge.event, 0)
        elif badge.metric == "tier":
            out[badge.id] = int(rank >= program.tiers.rank(badge.tier))
        else:
            out[badge.id] = {"points_earned": totals.earned, "orders": totals.orders,
                             "spend": totals.spend_minor // 100}[badge.metric]
    return out


def badge_progress(rows: list[EntryRow], program: Program, tier: str | None) -> dict[str, int]:
    """How far the member is on each badge's metric (badges that compare to ``at_least``)."""
    return progress_of(totals_of(rows, program), program, tier)


def badges_won(progress: dict[str, int], program: Program, already: set[str]) -> list[str]:
    """Badges reached now (``progress``) and not won before, in program order."""
    return [b.id for b in program.badges
            if b.id not in already and progress.get(b.id, 0) >= b.at_least]
