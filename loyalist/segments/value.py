"""Full customer value: a transparent weighted score with each part's contribution shown.

Parts per customer, as of a date: ``revenue`` (orders minus refunds), ``margin`` (the orders'
margin, or revenue x ``default_margin_rate`` where an order has none), ``referrals`` (referred
people who became customers), ``reviews`` (reviews, testimonials counted ``testimonial_weight``
times), ``tenure_days``, ``cost_to_serve`` (tickets x cost per ticket + handling minutes x cost per
minute + complaints x cost per complaint) and ``pain_score`` (the team's 0-10 difficulty score).

Each part is scaled to 0-1 as ``max(value, 0) / max over customers`` ("share of the best
customer's value"), multiplied by its weight, and the score is
``100 * sum(contributions) / sum(positive weights)``: a customer best on every positive part and
with no cost or pain scores 100. Costs and pain have negative weights, so the score can go below 0.
Every ``<part>_contribution`` column is in the output, so a score can be explained line by line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import ibis
import ibis.expr.types as ir

from loyalist.errors import ConfigError
from loyalist.segments.dates import as_date, end_of_day

PARTS = ("revenue", "margin", "referrals", "reviews", "tenure_days", "cost_to_serve",
         "pain_score")


@dataclass(frozen=True)
class ValueWeights:
    """Weights of the value parts and the costs used to compute them (documented defaults)."""

    revenue: float = 0.2
    margin: float = 0.2
    referrals: float = 0.2
    reviews: float = 0.1
    tenure_days: float = 0.1
    cost_to_serve: float = -0.1
    pain_score: float = -0.1
    default_margin_rate: float = 0.3
    testimonial_weight: float = 2.0
    cost_per_ticket: float = 5.0
    cost_per_minute: float = 0.5
    cost_per_complaint: float = 20.0

    def __post_init__(self) -> None:
        if sum(w for w in self.part_weights().values() if w > 0) <= 0:
            raise ConfigError("value weights: at least one part needs a positive weight",
                              key="weights")
        if not 0 <= self.default_margin_rate <= 1:
            raise ConfigError("value weights: default_margin_rate must be within 0-1",
                              key="default_margin_rate", value=self.default_margin_rate)

    def part_weights(self) -> dict[str, float]:
        """The weight of every part."""
        values = asdict(self)
        return {part: float(values[part]) for part in PARTS}

    @classmethod
    def from_mapping(cls, data: dict[str, object]) -> ValueWeights:
        """Build from a mapping (e.g. parsed YAML); unknown keys and non-numbers are errors."""
        known = set(asdict(cls()))
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"value weights: unknown key {key!r} (known: "
                                  f"{', '.join(sorted(known))})", key=key)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"value weights: {key} must be a number, got {value!r}",
                                  key=key, value=value)
        return cls(**data)  # type: ignore[arg-type]


def value_parts(tables: dict[str, ir.Table], *, as_of: dt.date | str,
                weights: ValueWeights | None = None) -> ir.Table:
    """The raw value parts per customer (customers with an order or a sign-up by ``as_of``)."""
    w = weights or ValueWeights()
    end = end_of_day(as_of)
    day = ibis.literal(as_date(as_of))
    o = tables["orders"].filter(tables["orders"].customer_id.notnull(),
                                tables["orders"].ordered_at < end)
    amount = o.amount.cast("float64")
    money = o.group_by("customer_id").aggregate(
        revenue=amount.sum(),
        margin=o.margin.cast("float64").fill_null(amount * w.default_margin_rate).sum())
    r = tables["refunds"].filter(tables["refunds"].customer_id.notnull(),
                                 tables["refunds"].refunded_at < end)
    refunds = r.group_by("customer_id").aggregate(refunded=r.amount.cast("float64").sum())
    ref = tables["referrals"].filter(tables["referrals"].converted_at < end)
    referrals = ref.group_by(customer_id=ref.referrer_id).aggregate(referrals=ref.count())
    rv = tables["reviews"].filter(tables["reviews"].posted_at < end)
    reviews = rv.group_by("customer_id").aggregate(reviews=ibis.ifelse(
        rv.kind == "testimonial", w.testimonial_weight, 1.0).sum())
    tk = tables["tickets"].filter(tables["tickets"].opened_at < end)
    service = tk.group_by("customer_id").aggregate(
        tickets=tk.count(), complaints=tk.is_complaint.fill_null(False).cast("int64").sum(),
        handling_minutes=tk.handling_minutes.cast("float64").fill_null(0.0).sum())
    c = tables["customers"]
    base = c.filter(c.signup_at < end).select("customer_id", "signup_at", "pain_score")
    out = base
    for part in (money, refunds, referrals, reviews, service):
        out = out.left_join(part, "customer_id").drop("customer_id_right")
    return out.select(
        customer_id=out.customer_id,
        revenue=out.revenue.fill_null(0.0) - out.refunded.fill_null(0.0),
        margin=out.margin.fill_null(0.0),
        referrals=out.referrals.fill_null(0).cast("float64"),
        reviews=out.reviews.fill_null(0.0),
        tenure_days=day.delta(out.signup_at.date(), unit="day").cast("float64"),
        cost_to_serve=(out.tickets.fill_null(0).cast("float64") * w.cost_per_ticket
                       + out.handling_minutes.fill_null(0.0) * w.cost_per_minute
                       + out.complaints.fill_null(0).cast("float64") * w.cost_per_complaint),
        pain_score=out.pain_score.cast("float64").fill_null(0.0),
    )


def value_score(tables: dict[str, ir.Table], *, as_of: dt.date | str,
                weights: ValueWeights | None = None) -> ir.Table:
    """Parts, each part's contribution (``<part>_contribution``) and ``value_score``."""
    w = weights or ValueWeights()
    parts = value_parts(tables, as_of=as_of, weights=w)
    scale = 100.0 / sum(v for v in w.part_weights().values() if v > 0)
    contributions = {}
    for part, weight in w.part_weights().items():
        clipped = ibis.greatest(parts[part], 0.0)
        top = clipped.max().over()
        share = ibis.ifelse(top > 0, clipped / top, 0.0)
        contributions[f"{part}_contribution"] = share * weight * scale
    scored = parts.mutate(**contributions)
    total = sum((scored[name] for name in contributions), ibis.literal(0.0))
    return scored.mutate(value_score=total).order_by([ibis.desc("value_score"), "customer_id"])
