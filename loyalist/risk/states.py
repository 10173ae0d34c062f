"""Customer states that playbooks react to, as of a date.

- ``health_red`` / ``health_yellow``: the health score's grade (default spec);
- ``detractor``: last NPS answer 0-6, given in the last 30 days;
- ``engaged_promoter``: last NPS answer 9-10 in the last 90 days and an order or product event
  in the last 30 days;
- ``failed_payment``: a failed invoice in the last 90 days;
- ``service_failure``: an open complaint, or a ticket open for more than 7 days;
- ``fell_from_champions``: Champions 90 days ago, a worse segment now;
- ``churned``: no order for 180 days after having ordered, or a cancelled subscription.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loyalist.risk.score import score_signals
from loyalist.risk.signals import risk_signals
from loyalist.risk.spec import HealthSpec, load_spec
from loyalist.segments.dates import as_date, end_of_day
from loyalist.segments.movement import movement, segments_then_and_now

STATES = ("health_red", "health_yellow", "detractor", "engaged_promoter", "failed_payment",
          "service_failure", "fell_from_champions", "churned")


def customer_states(tables: dict[str, ir.Table], *, as_of: dt.date | str,
                    spec: HealthSpec | None = None, p_alive: ir.Table | None = None) -> ir.Table:
    """``(customer_id, state)`` pairs true on the day (``p_alive``: see ``risk_signals``)."""
    day = as_date(as_of)
    end = end_of_day(day)
    scored = score_signals(risk_signals(tables, as_of=day, p_alive=p_alive),
                           spec or load_spec())
    parts = [
        scored.filter(scored.grade == "red").select("customer_id", state=ibis.literal(
            "health_red")),
        scored.filter(scored.grade == "yellow").select("customer_id", state=ibis.literal(
            "health_yellow")),
        scored.filter(scored.failed_payments >= 1).select("customer_id", state=ibis.literal(
            "failed_payment")),
        scored.filter((scored.open_complaints >= 1) | (scored.oldest_open_ticket_days > 7))
        .select("customer_id", state=ibis.literal("service_failure")),
        scored.filter(scored.days_since_order > 180).select("customer_id", state=ibis.literal(
            "churned")),
        *_nps_states(tables, day, end),
        _fell(tables, day),
        _cancelled(tables, end),
    ]
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part.cast(union.schema()))
    return union.distinct().order_by(["customer_id", "state"])


def _ts(day: dt.date) -> ir.TimestampValue:
    return ibis.timestamp(dt.datetime.combine(day, dt.time()))


def _nps_states(tables: dict[str, ir.Table], day: dt.date,
                end: ir.TimestampValue) -> list[ir.Table]:
    sr = tables["survey_responses"]
    t = sr.filter(sr.question == "nps", sr.score.notnull(), sr.answered_at < end)
    t = t.mutate(k=ibis.row_number().over(group_by=t.customer_id, order_by=[
        ibis.desc(t.answered_at), ibis.desc(t.response_id)]))
    last = t.filter(t.k == 0)
    detractor = last.filter(last.score <= 6, last.answered_at >= _ts(day - dt.timedelta(
        days=29))).select("customer_id", state=ibis.literal("detractor"))
    o, e = tables["orders"], tables["events"]
    recent = _ts(day - dt.timedelta(days=29))
    active = o.filter(o.ordered_at >= recent, o.ordered_at < end).select("customer_id").union(
        e.filter(e.occurred_at >= recent, e.occurred_at < end).select("customer_id"))
    promoter = last.filter(last.score >= 9, last.answered_at >= _ts(day - dt.timedelta(
        days=89))).semi_join(active, "customer_id").select(
        "customer_id", state=ibis.literal("engaged_promoter"))
    return [detractor, promoter]


def _fell(tables: dict[str, ir.Table], day: dt.date) -> ir.Table:
    before, now = segments_then_and_now(tables, as_of=day)
    m = movement(before, now)
    return m.filter(m.segment_before == "Champions", m.segment != "Champions").select(
        "customer_id", state=ibis.literal("fell_from_champions"))


def _cancelled(tables: dict[str, ir.Table], end: ir.TimestampValue) -> ir.Table:
    s = tables["subscriptions"]
    return s.filter(s.canceled_at.notnull(), s.canceled_at < end).select(
        "customer_id", state=ibis.literal("churned"))
