"""Loyalty program definitions in YAML (or a dict), validated with errors that name the key path.

An error reads like ``earning[2].points: must be a positive integer`` and carries the path in
``details["key"]``. See ``example_program.yaml`` beside this module for every option.

Examples
--------
>>> program = parse_program({"id": "shop", "earning": [
...     {"id": "buy", "kind": "order", "per": "currency_unit", "points": 1}]})
>>> program.earning[0].rounding
'floor'
>>> parse_program({"id": "shop", "earning": [{"id": "buy", "kind": "order", "points": 1.5}]})
Traceback (most recent call last):
...
loyalist.loyalty.errors.ProgramError: earning[0].points: must be a positive integer
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from loyalist.errors import yaml_problem
from loyalist.loyalty.errors import ProgramError
from loyalist.loyalty.program_schema import (
    BADGE_METRICS,
    CLAWBACK,
    DOWNGRADES,
    EVENTS,
    EXPIRY_MODES,
    PERIODS,
    REWARD_TYPES,
    ROUNDING,
    TIER_BASES,
    TIER_WINDOWS,
    Badge,
    EarlyAccess,
    EarningRule,
    Expiry,
    Limit,
    Program,
    Reward,
    Targeting,
    Tier,
    TierPolicy,
)

EXAMPLE = Path(__file__).with_name("example_program.yaml")


def _fail(path: str, message: str) -> ProgramError:
    return ProgramError(f"{path}: {message}", key=path)


class _Node:
    """A mapping of the definition with its key path, for precise messages."""

    def __init__(self, data: Any, path: str, known: tuple[str, ...]) -> None:
        if not isinstance(data, dict):
            raise _fail(path or "(top)", "must be a mapping")
        unknown = sorted(set(map(str, data)) - set(known))
        if unknown:
            raise _fail(self._at(path, unknown[0]), f"unknown key (known: {', '.join(known)})")
        self.data, self.path = data, path

    @staticmethod
    def _at(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def key(self, key: str) -> str:
        """The path of ``key`` inside this node."""
        return self._at(self.path, key)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise _fail(self.key(key), "required, a non-empty string")
        return value.strip()

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            raise _fail(self.key(key), f"must be one of {', '.join(choices)}, got {value!r}")
        return str(value)

    def integer(self, key: str, default: int | None = None, *, low: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            what = "a positive integer" if low >= 1 else f"an integer >= {low}"
            raise _fail(self.key(key), f"must be {what}")
        return value

    def optional_int(self, key: str, *, low: int = 0) -> int | None:
        return None if self.data.get(key) is None else self.integer(key, low=low)

    def names(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _fail(self.key(key), "must be a list of names")
        return tuple(value)

    def items(self, key: str) -> list[tuple[str, Any]]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise _fail(self.key(key), "must be a list")
        return [(f"{self.key(key)}[{i}]", v) for i, v in enumerate(value)]

    def money_minor(self, key: str) -> int:
        value = self.data.get(key, 0)
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            minor = Decimal(str(value)) * 100
        except InvalidOperation:
            raise _fail(self.key(key), "must be an amount of money") from None
        if minor < 0 or minor != minor.to_integral_value():
            raise _fail(self.key(key), "must be a non-negative amount with at most 2 decimals")
        return int(minor)

    def when(self, key: str) -> dt.datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value).replace(tzinfo=None)
            except ValueError:
                pass
        raise _fail(self.key(key), "must be a date (YYYY-MM-DD) or a timestamp")


def _targeting(node: _Node) -> Targeting:
    return Targeting(node.names("segments"), node.names("tiers"),
                     node.integer("min_tenure_days", 0))


def _limit(data: Any, path: str) -> Limit | None:
    if data is None:
        return None
    node = _Node(data, path, ("period", "max_points", "max_times"))
    limit = Limit(node.choice("period", PERIODS, "lifetime"),
                  node.optional_int("max_points", low=1), node.optional_int("max_times", low=1))
    if limit.max_points is None and limit.max_times is None:
        raise _fail(path, "give max_points, max_times or both")
    return limit


_RULE_KEYS = ("id", "kind", "points", "per", "rounding", "event", "min_amount", "limit",
              "segments", "tiers", "min_tenure_days")


def _rule(data: Any, path: str) -> EarningRule:
    node = _Node(data, path, _RULE_KEYS)
    kind = node.choice("kind", ("order", "event"), "order")
    rule = EarningRule(
        id=node.text("id"), kind=kind, points=node.integer("points", low=1),
        per=node.choice("per", ("order", "currency_unit"), "order"),
        rounding=node.choice("rounding", ROUNDING, "floor"),
        event=node.choice("event", EVENTS, "") if kind == "event" else "",
        min_amount_minor=node.money_minor("min_amount"),
        limit=_limit(node.data.get("limit"), node.key("limit")), target=_targeting(node))
    if kind == "event" and "per" in node.data:
        raise _fail(node.key("per"), "only order rules have per")
    return rule


def _tiers(data: Any, path: str) -> TierPolicy:
    node = _Node(data or {}, path, ("basis", "window", "downgrade", "grace_days", "levels"))
    levels = []
    for where, item in node.items("levels"):
        level = _Node(item, where, ("id", "threshold", "perks"))
        levels.append(Tier(level.text("id"), level.integer("threshold", low=0),
                           level.names("perks")))
        if len(levels) > 1 and levels[-1].threshold <= levels[-2].threshold:
            raise _fail(level.key("threshold"), "thresholds must increase from level to level")
    policy = TierPolicy(node.choice("basis", TIER_BASES, "points_earned"),
                        node.choice("window", TIER_WINDOWS, "lifetime"),
                        node.choice("downgrade", DOWNGRADES, "grace"),
                        node.integer("grace_days", 0), tuple(levels))
    if policy.downgrade != "grace" and policy.grace_days:
        raise _fail(node.key("grace_days"), "only used with downgrade: grace")
    return policy


def _badge(data: Any, path: str) -> Badge:
    node = _Node(data, path, ("id", "metric", "at_least", "event", "tier"))
    metric = node.choice("metric", BADGE_METRICS, "points_earned")
    badge = Badge(node.text("id"), metric, node.integer("at_least", 1, low=1),
                  node.choice("event", EVENTS, "") if metric == "events" else "",
                  node.text("tier") if metric == "tier" else "")
    if metric == "events" and not badge.event:
        raise _fail(node.key("event"), "required for metric events")
    return badge


_REWARD_KEYS = ("id", "kind", "cost", "name", "value", "stock", "available_from",
                "available_until", "early_access", "segments", "tiers", "min_tenure_days")


def _reward(data: Any, path: str) -> Reward:
    node = _Node(data, path, _REWARD_KEYS)
    early = None
    if node.data.get("early_access") is not None:
        access = _Node(node.data["early_access"], node.key("early_access"), ("tiers", "days"))
        early = EarlyAccess(access.names("tiers"), access.integer("days", low=1))
    reward = Reward(node.text("id"), node.choice("kind", REWARD_TYPES, "discount"),
                    node.integer("cost", low=1), str(node.data.get("name", "")),
                    str(node.data.get("value", "")), node.optional_int("stock", low=0),
                    node.when("available_from"), node.when("available_until"), early,
                    _targeting(node))
    if early is not None and reward.available_from is None:
        raise _fail(node.key("early_access"), "needs available_from")
    return reward


def _expiry(data: Any, path: str) -> Expiry:
    node = _Node(data or {}, path, ("mode", "days"))
    mode = node.choice("mode", EXPIRY_MODES, "none")
    return Expiry(mode, node.integer("days", low=1) if mode != "none" else 0)


_TOP = ("id", "name", "currency", "pending_days", "expiry", "clawback", "earning", "tiers",
        "badges", "rewards")


def parse_program(data: Any) -> Program:
    """Validate a program definition (a mapping) and return the :class:`Program`.

    Raises :class:`~loyalist.loyalty.errors.ProgramError` naming the key path of the first
    problem.
    """
    node = _Node(data, "", _TOP)
    tiers = _tiers(node.data.get("tiers"), "tiers")
    program = Program(
        id=node.text("id"), name=str(node.data.get("name", "")),
        currency=str(node.data.get("currency", "")),
        pending_days=node.integer("pending_days", 0),
        expiry=_expiry(node.data.get("expiry"), "expiry"),
        clawback=node.choice("clawback", CLAWBACK, "within_balance"),
        earning=tuple(_rule(v, p) for p, v in node.items("earning")), tiers=tiers,
        badges=tuple(_badge(v, p) for p, v in node.items("badges")),
        rewards=tuple(_reward(v, p) for p, v in node.items("rewards")))
    _cross_checks(program)
    return program


def _unique(ids: list[str], path: str) -> None:
    for i, name in enumerate(ids):
        if name in ids[:i]:
            raise _fail(f"{path}[{i}].id", f"duplicate id {name!r}")


def _cross_checks(program: Program) -> None:
    _unique([r.id for r in program.earning], "earning")
    _unique([b.id for b in program.badges], "badges")
    _unique([r.id for r in program.rewards], "rewards")
    _unique([t.id for t in program.tiers.levels], "tiers.levels")
    known = {t.id for t in program.tiers.levels}
    targeted: list[tuple[str, tuple[Targeting, ...]]] = [
        ("earning", tuple(r.target for r in program.earning)),
        ("rewards", tuple(r.target for r in program.rewards))]
    for kind, targets in targeted:
        for i, target in enumerate(targets):
            for tier in target.tiers:
                if tier not in known:
                    raise _fail(f"{kind}[{i}].tiers", f"unknown tier {tier!r}")
    for i, badge in enumerate(program.badges):
        if badge.metric == "tier" and badge.tier not in known:
            raise _fail(f"badges[{i}].tier", f"unknown tier {badge.tier!r}")
    if program.expiry.mode == "per_lot" and program.expiry.days <= program.pending_days:
        raise _fail("expiry.days", "must be longer than pending_days")


def load_program(source: str | Path) -> Program:
    """Read a program from a YAML file (a path) or YAML text (a string with a newline)."""
    text = source if isinstance(source, str) and "\n" in source else Path(source).read_text(
        encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProgramError(f"program is not valid YAML: {yaml_problem(exc)}", key="") from exc
    return parse_program(data)


def example_program() -> Program:
    """The example program shipped with loyalist (``example_program.yaml``)."""
    return load_program(EXAMPLE)
