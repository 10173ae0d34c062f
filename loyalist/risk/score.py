"""The health (churn-risk) score from a declarative spec, with grade, trend and explanation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.risk.palive import PAliveSource
from loyalist.risk.signals import risk_signals
from loyalist.risk.spec import HealthSpec, SignalRule
from loyalist.segments.dates import as_date


def _part(value: ir.FloatingValue, rule: SignalRule) -> tuple[ir.FloatingValue, ir.FloatingValue]:
    """(part, weight counted) of one signal, following its missing-data policy."""
    if rule.direction == "above":
        share = ibis.least(ibis.greatest(value / rule.red_at, 0.0), 1.0)
    else:
        share = ibis.least(rule.red_at / ibis.greatest(value, 1e-9), 1.0)
    known = value.notnull()
    if rule.missing == "neutral":
        return ibis.ifelse(known, share * rule.weight, 0.0), ibis.ifelse(known, rule.weight, 0.0)
    fill = rule.weight if rule.missing == "risk" else 0.0
    return ibis.ifelse(known, share * rule.weight, fill), ibis.literal(rule.weight)


def score_signals(signals: ir.Table, spec: HealthSpec) -> ir.Table:
    """Add ``<signal>_part`` per rule, ``score`` (0-100), ``forced_red`` and ``grade``."""
    parts: dict[str, Any] = {}
    weights: list[Any] = []
    forced: Any = ibis.literal(False)
    for rule in spec.rules:
        part, weight = _part(signals[rule.name].cast("float64"), rule)
        parts[f"{rule.name}_part"] = part
        weights.append(weight)
        if rule.forces_red:
            hit = (signals[rule.name] >= rule.red_at if rule.direction == "above"
                   else signals[rule.name] <= rule.red_at)
            forced = forced | hit.fill_null(False)
    scored = signals.mutate(**parts)
    total_part = sum((scored[name] for name in parts), ibis.literal(0.0))
    total_weight = sum(weights[1:], weights[0])
    score = ibis.ifelse(total_weight > 0, 100.0 * total_part / total_weight, ibis.null("float64"))
    scored = scored.mutate(score=score, forced_red=forced)
    grade = ibis.cases((scored.forced_red | (scored.score >= spec.red), "red"),
                       (scored.score >= spec.yellow, "yellow"),
                       (scored.score.notnull(), "green"), else_="unknown")
    return scored.mutate(grade=grade)


def health_scores(tables: dict[str, ir.Table], spec: HealthSpec, *, as_of: dt.date | str,
                  trend_days: int = 30, p_alive: PAliveSource | None = None) -> ir.Table:
    """Scores as of a date with ``trend`` = score minus the score ``trend_days`` before.

    ``p_alive`` gives the ``p_alive_drop`` table of each date scored
    (:func:`loyalist.risk.palive.p_alive_source`); without it that signal is null.
    """
    day = as_date(as_of)
    then = day - dt.timedelta(days=trend_days)
    now = score_signals(risk_signals(tables, as_of=day, p_alive=p_alive(day) if p_alive
                                     else None), spec)
    before = score_signals(risk_signals(tables, as_of=then, p_alive=p_alive(then) if p_alive
                                        else None), spec)
    b = before.select(customer_id=before.customer_id, score_before=before.score)
    joined = now.left_join(b, "customer_id").drop("customer_id_right")
    return joined.mutate(trend=joined.score - joined.score_before).order_by(
        [ibis.desc("score"), "customer_id"])


def explain(row: dict[str, Any], spec: HealthSpec, top: int = 3) -> list[tuple[str, float]]:
    """The signals that drove one customer's score, largest part first (points of 100)."""
    counted = sum(r.weight for r in spec.rules
                  if row.get(r.name) is not None and row.get(r.name) == row.get(r.name)
                  or r.missing != "neutral")
    if not counted:
        return []
    parts = [(r.name, 100.0 * float(row[f"{r.name}_part"]) / counted) for r in spec.rules
             if row.get(f"{r.name}_part")]
    return sorted(parts, key=lambda p: -p[1])[:top]
