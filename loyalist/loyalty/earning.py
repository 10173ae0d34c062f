"""How many points an order or an event earns: rules, rounding, targeting and limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from loyalist.loyalty.program_schema import EarningRule, Limit, Program, Targeting
from loyalist.loyalty.state import EntryRow

Usage = Callable[[str, dt.datetime | None], tuple[int, int]]
"""``(rule_id, since) -> (times, points)``: a rule's positive earns created at or after
``since`` (``None``: ever), counted for its limit."""


@dataclass(frozen=True)
class Member:
    """What targeting needs to know about a member."""

    member_id: str
    joined_at: dt.datetime
    segment: str | None
    tier: str | None


def divide(numerator: int, denominator: int, rounding: str) -> int:
    """``numerator / denominator`` rounded to an integer, exactly (no floats).

    ``round`` rounds halves up.

    Examples
    --------
    >>> divide(1999, 100, "floor"), divide(1950, 100, "round"), divide(1901, 100, "ceil")
    (19, 20, 20)
    """
    if rounding == "floor":
        return numerator // denominator
    if rounding == "ceil":
        return -(-numerator // denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def targets(target: Targeting, member: Member, at: dt.datetime) -> bool:
    """Whether a rule or reward aimed at ``target`` applies to ``member`` at ``at``."""
    if target.segments and member.segment not in target.segments:
        return False
    if target.tiers and member.tier not in target.tiers:
        return False
    return (at - member.joined_at).days >= target.min_tenure_days


def period_start(period: str, at: dt.datetime) -> dt.datetime | None:
    """Start of the calendar period (UTC) holding ``at``; ``None`` for ``lifetime``.

    Examples
    --------
    >>> period_start("week", dt.datetime(2024, 5, 9, 15))  # a Thursday
    datetime.datetime(2024, 5, 6, 0, 0)
    """
    day = dt.datetime(at.year, at.month, at.day)
    return {"day": day, "week": day - dt.timedelta(days=at.weekday()),
            "month": day.replace(day=1), "year": day.replace(month=1, day=1)}.get(period)


def usage_of(rows: list[EntryRow]) -> Usage:
    """A :data:`Usage` counting the entries ``rows``."""

    def usage(rule_id: str, since: dt.datetime | None) -> tuple[int, int]:
        used = [r.points for r in rows if r.kind == "earn" and r.rule_id == rule_id
                and r.points > 0 and (since is None or r.created_at >= since)]
        return len(used), sum(used)

    return usage


def capped(rule_id: str, limit: Limit | None, points: int, usage: Usage,
           at: dt.datetime) -> int:
    """``points`` cut to what the rule's limit still allows in the period holding ``at``.

    Each rule's points are an entry of their own (``rule_id``), so limits count those entries;
    ``usage`` is only asked about rules with a limit.
    """
    if limit is None:
        return points
    times, used = usage(rule_id, period_start(limit.period, at))
    if limit.max_times is not None and times >= limit.max_times:
        return 0
    if limit.max_points is not None:
        points = min(points, max(0, limit.max_points - used))
    return points


def rule_points(rule: EarningRule, amount_minor: int) -> int:
    """Points of one order rule for an order of ``amount_minor`` (before limits)."""
    if amount_minor < rule.min_amount_minor:
        return 0
    if rule.per == "order":
        return rule.points
    return divide(amount_minor * rule.points, 100, rule.rounding)


def order_points(program: Program, amount_minor: int, member: Member, usage: Usage,
                 at: dt.datetime) -> dict[str | None, int]:
    """Points per order rule that applies (rules with 0 points left out)."""
    out: dict[str | None, int] = {}
    for rule in program.rules_for("order"):
        if targets(rule.target, member, at):
            points = capped(rule.id, rule.limit, rule_points(rule, amount_minor), usage, at)
            if points > 0:
                out[rule.id] = points
    return out


def event_points(program: Program, event: str, member: Member, usage: Usage,
                 at: dt.datetime) -> dict[str | None, int]:
    """Points per event rule of ``event`` that applies (0-point rules left out)."""
    out: dict[str | None, int] = {}
    for rule in program.rules_for("event", event):
        if targets(rule.target, member, at):
            points = capped(rule.id, rule.limit, rule.points, usage, at)
            if points > 0:
                out[rule.id] = points
    return out
