"""The parts of a loyalty program, as frozen dataclasses (see :mod:`loyalist.loyalty.program`).

Points are integers everywhere. Money is kept in minor units (cents) as integers, so a rule of
"1 point per currency unit" is exact: ``points = rounding(amount_minor * points / 100)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

EVENTS = ("review", "referral_converted", "feedback_completed", "course_finished",
          "community_answer_accepted", "birthday", "sign_up")
ROUNDING = ("floor", "round", "ceil")
PERIODS = ("day", "week", "month", "year", "lifetime")
TIER_BASES = ("points_earned", "spend")
TIER_WINDOWS = ("lifetime", "rolling_12_months", "calendar_year")
DOWNGRADES = ("immediate", "grace", "never")
REWARD_TYPES = ("discount", "free_item", "credit", "experience")
EXPIRY_MODES = ("none", "per_lot", "inactivity")
CLAWBACK = ("pending_only", "within_balance", "allow_negative")
BADGE_METRICS = ("points_earned", "orders", "spend", "events", "tier")


@dataclass(frozen=True)
class Limit:
    """At most ``max_points`` and/or ``max_times`` awards of a rule per calendar ``period``."""

    period: str = "lifetime"
    max_points: int | None = None
    max_times: int | None = None


@dataclass(frozen=True)
class Targeting:
    """Who a rule or reward is for: segments, tiers (tier-exclusive), minimum tenure."""

    segments: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    min_tenure_days: int = 0


@dataclass(frozen=True)
class EarningRule:
    """A way to earn points.

    ``kind`` is ``order`` (``per`` is ``order``: ``points`` per order; ``currency_unit``:
    ``points`` per unit of money, rounded with ``rounding``) or ``event`` (``points`` for one
    ``event``, one of :data:`EVENTS`).
    """

    id: str
    kind: str
    points: int
    per: str = "order"
    rounding: str = "floor"
    event: str = ""
    min_amount_minor: int = 0
    limit: Limit | None = None
    target: Targeting = field(default_factory=Targeting)


@dataclass(frozen=True)
class Tier:
    """A tier level reached at ``threshold`` (points earned, or spend in minor units)."""

    id: str
    threshold: int
    perks: tuple[str, ...] = ()


@dataclass(frozen=True)
class TierPolicy:
    """How tiers are computed: from ``basis`` within ``window``; how they are lost.

    ``downgrade``: ``immediate`` (the tier follows the window value), ``grace`` (a member keeps
    the highest tier qualified for at any time in the last ``grace_days``), ``never``.
    """

    basis: str = "points_earned"
    window: str = "lifetime"
    downgrade: str = "grace"
    grace_days: int = 0
    levels: tuple[Tier, ...] = ()

    def level_for(self, value: int) -> Tier | None:
        """The highest level whose threshold ``value`` reaches."""
        reached = None
        for level in self.levels:
            if value >= level.threshold:
                reached = level
        return reached

    def rank(self, tier_id: str | None) -> int:
        """Position of ``tier_id`` in the ladder (-1 for no tier)."""
        ids = [t.id for t in self.levels]
        return ids.index(tier_id) if tier_id in ids else -1


@dataclass(frozen=True)
class Badge:
    """A badge won once when ``metric`` reaches ``at_least`` (``event``/``tier`` qualify it)."""

    id: str
    metric: str
    at_least: int = 1
    event: str = ""
    tier: str = ""


@dataclass(frozen=True)
class EarlyAccess:
    """Members of ``tiers`` may redeem ``days`` before the reward's ``available_from``."""

    tiers: tuple[str, ...] = ()
    days: int = 0


@dataclass(frozen=True)
class Reward:
    """An item of the rewards catalogue; ``stock`` ``None`` is unlimited."""

    id: str
    kind: str
    cost: int
    name: str = ""
    value: str = ""
    stock: int | None = None
    available_from: dt.datetime | None = None
    available_until: dt.datetime | None = None
    early_access: EarlyAccess | None = None
    target: Targeting = field(default_factory=Targeting)


@dataclass(frozen=True)
class Expiry:
    """When points expire.

    ``per_lot``: each earn expires ``days`` after it was earned; ``inactivity``: all points
    expire ``days`` after the member's last earn or spend; ``none``: never.
    """

    mode: str = "none"
    days: int = 0


@dataclass(frozen=True)
class Program:
    """A loyalty program: how points are earned, held, lost and spent."""

    id: str
    name: str = ""
    currency: str = ""
    pending_days: int = 0
    expiry: Expiry = field(default_factory=Expiry)
    clawback: str = "within_balance"
    earning: tuple[EarningRule, ...] = ()
    tiers: TierPolicy = field(default_factory=TierPolicy)
    badges: tuple[Badge, ...] = ()
    rewards: tuple[Reward, ...] = ()

    def reward(self, reward_id: str) -> Reward | None:
        """The reward called ``reward_id``, if any."""
        return next((r for r in self.rewards if r.id == reward_id), None)

    def rules_for(self, kind: str, event: str = "") -> list[EarningRule]:
        """The earning rules of ``kind`` (and ``event``), in program order."""
        return [r for r in self.earning if r.kind == kind and (not event or r.event == event)]
