"""Churn-risk signals per customer as of a date, each a number where higher means more risk.

- ``purchase_drop``: 1 - (orders in the last 90 days) / (the customer's own 90-day rate over
  the 365 days before); 0 when not below the baseline, null without a baseline;
- ``activity_drop``: the same for product events (logins, sessions, feature use);
- ``breadth_drop``: 1 - (distinct features used in the last 30 days) / (distinct features used
  in the 90 days before), null without earlier use;
- ``days_since_order``: days since the last order (null: never ordered);
- ``failed_payments``: failed invoices issued in the last 90 days;
- ``late_payments``: invoices of the last 90 days paid after their due date;
- ``open_complaints``: complaints still open;
- ``oldest_open_ticket_days``: age of the oldest open ticket (0 when none);
- ``low_nps``: 10 - the last NPS answer (null: never answered);
- ``nps_drop``: previous NPS answer - last NPS answer (positive = falling);
- ``low_csat``: 5 - mean CSAT of the last 90 days;
- ``rfm_drop``: segment positions lost since 90 days before (rf-grid map; 0 = same or better);
- ``renewal_days``: days to the nearest active subscription's period end (null: none);
- ``no_key_action``: 1 when the customer signed up at least ``key_action_days`` ago without an
  event of type ``key_action``; null when the business records no ``key_action`` at all;
- ``tenure_days``: days since sign-up (young accounts churn more: score it ``direction: below``);
- ``feature_breadth``: distinct features used in the last 90 days (null when the business
  records no feature use; little use of the product is risk: ``direction: below``);
- ``p_alive_drop``: how far P(alive) from a BG/NBD model fell between 90 days before and the day
  (0 when it did not fall); computed in numpy by :mod:`loyalist.risk.palive` and passed in as a
  table (``p_alive=``); null without that table.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loyalist.segments.dates import as_date
from loyalist.segments.movement import movement, segments_then_and_now

SIGNALS = ("purchase_drop", "activity_drop", "breadth_drop", "days_since_order",
           "failed_payments", "late_payments", "open_complaints", "oldest_open_ticket_days",
           "low_nps", "nps_drop", "low_csat", "rfm_drop", "renewal_days", "no_key_action",
           "tenure_days", "feature_breadth", "p_alive_drop")


def _ts(day: dt.date) -> ir.TimestampValue:
    return ibis.timestamp(dt.datetime.combine(day, dt.time()))


def _drop(rows: ir.Table, when: str, end: dt.date, name: str) -> ir.Table:
    """1 - recent 90-day count / baseline 90-day rate over the 365 days before."""
    recent_start, base_start = end - dt.timedelta(days=90), end - dt.timedelta(days=455)
    t = rows.filter(rows[when] >= _ts(base_start), rows[when] < _ts(end))
    in_recent = (t[when] >= _ts(recent_start)).cast("float64")
    per = t.group_by("customer_id").aggregate(recent=in_recent.sum(),
                                              base=(1.0 - in_recent).sum() * 90.0 / 365.0)
    value = ibis.ifelse(per.base > 0, ibis.greatest(1.0 - per.recent / per.base, 0.0),
                        ibis.null("float64"))
    return per.select("customer_id", **{name: value})


def risk_signals(tables: dict[str, ir.Table], *, as_of: dt.date | str,
                 key_action_days: int = 14, p_alive: ir.Table | None = None) -> ir.Table:
    """One row per customer (signed up by ``as_of``) with every signal of :data:`SIGNALS`.

    ``p_alive`` is the ``(customer_id, p_alive_drop)`` table of the same day
    (:func:`loyalist.risk.palive.p_alive_table`); without it ``p_alive_drop`` is null.
    """
    day = as_date(as_of)
    end = day + dt.timedelta(days=1)
    d90 = _ts(end - dt.timedelta(days=90))
    o = tables["orders"].filter(tables["orders"].customer_id.notnull())
    ev = tables["events"]
    parts = [
        _drop(o, "ordered_at", end, "purchase_drop"),
        _drop(ev, "occurred_at", end, "activity_drop"),
        _breadth(ev, end),
        _recency(o, end, day),
        _payments(tables["invoices"], end, d90),
        _tickets(tables["tickets"], end, day),
        _nps(tables["survey_responses"], end),
        _csat(tables["survey_responses"], end, d90),
        _rfm(tables, day),
        _renewal(tables["subscriptions"], end, day),
        _key_action(tables["customers"], ev, end, day, key_action_days),
        _breadth_level(ev, end, d90),
    ]
    if p_alive is not None:
        parts.append(p_alive.select(customer_id=p_alive.customer_id.cast("string"),
                                    p_alive_drop=p_alive.p_alive_drop.cast("float64")))
    c = tables["customers"]
    out = c.filter(c.signup_at < _ts(end)).select(
        "customer_id", tenure_days=ibis.literal(day).delta(c.signup_at.date(), unit="day")
        .cast("float64"))
    for part in parts:
        out = out.left_join(part, "customer_id").drop("customer_id_right")
    counts = ("failed_payments", "late_payments", "open_complaints", "oldest_open_ticket_days",
              "rfm_drop")
    tracked = (ev.event_type == "key_action").any()  # no key actions recorded: unknown, not 1
    features = ev.feature.notnull().any()
    return out.mutate(
        **{n: out[n].fill_null(0).cast("float64") for n in counts},
        no_key_action=ibis.ifelse(tracked, out.no_key_action.fill_null(0).cast("float64"),
                                  ibis.null("float64")),
        feature_breadth=ibis.ifelse(features, out.feature_breadth.fill_null(0).cast("float64"),
                                    ibis.null("float64")),
        **({} if p_alive is not None else {"p_alive_drop": ibis.null("float64")}),
    ).select("customer_id", *SIGNALS)


def _breadth(ev: ir.Table, end: dt.date) -> ir.Table:
    t = ev.filter(ev.feature.notnull(), ev.occurred_at >= _ts(end - dt.timedelta(days=120)),
                  ev.occurred_at < _ts(end))
    recent = t.occurred_at >= _ts(end - dt.timedelta(days=30))
    per = t.group_by("customer_id").aggregate(
        now=t.feature.nunique(where=recent), before=t.feature.nunique(where=~recent))
    value = ibis.ifelse(per.before > 0, ibis.greatest(
        1.0 - per.now.cast("float64") / per.before.cast("float64"), 0.0), ibis.null("float64"))
    return per.select("customer_id", breadth_drop=value)


def _breadth_level(ev: ir.Table, end: dt.date, d90: ir.TimestampValue) -> ir.Table:
    t = ev.filter(ev.feature.notnull(), ev.occurred_at >= d90, ev.occurred_at < _ts(end))
    return t.group_by("customer_id").aggregate(feature_breadth=t.feature.nunique())


def _recency(o: ir.Table, end: dt.date, day: dt.date) -> ir.Table:
    t = o.filter(o.ordered_at < _ts(end))
    per = t.group_by("customer_id").aggregate(last=t.ordered_at.max())
    return per.select("customer_id", days_since_order=ibis.literal(day).delta(
        per.last.date(), unit="day").cast("float64"))


def _payments(inv: ir.Table, end: dt.date, d90: ir.TimestampValue) -> ir.Table:
    t = inv.filter(inv.issued_at >= d90, inv.issued_at < _ts(end))
    late = t.paid_at.notnull() & t.due_at.notnull() & (t.paid_at > t.due_at)
    return t.group_by("customer_id").aggregate(
        failed_payments=(t.status == "failed").cast("int64").sum(),
        late_payments=late.cast("int64").sum())


def _tickets(tk: ir.Table, end: dt.date, day: dt.date) -> ir.Table:
    t = tk.filter(tk.opened_at < _ts(end))
    still_open = t.resolved_at.isnull() | (t.resolved_at >= _ts(end))
    age = ibis.literal(day).delta(t.opened_at.date(), unit="day")
    return t.group_by("customer_id").aggregate(
        open_complaints=(still_open & t.is_complaint.fill_null(False)).cast("int64").sum(),
        oldest_open_ticket_days=ibis.ifelse(still_open, age, 0).max().cast("float64"))


def _nps(sr: ir.Table, end: dt.date) -> ir.Table:
    t = sr.filter(sr.question == "nps", sr.score.notnull(), sr.answered_at < _ts(end))
    order = [ibis.desc(t.answered_at), ibis.desc(t.response_id)]
    t = t.mutate(k=ibis.row_number().over(group_by=t.customer_id, order_by=order))
    last = t.filter(t.k == 0).select("customer_id", last=t.score)
    prev = t.filter(t.k == 1).select("customer_id", prev=t.score)
    both = last.left_join(prev, "customer_id").drop("customer_id_right")
    return both.select("customer_id", low_nps=(10 - both.last).cast("float64"),
                       nps_drop=(both.prev - both.last).cast("float64"))


def _csat(sr: ir.Table, end: dt.date, d90: ir.TimestampValue) -> ir.Table:
    t = sr.filter(sr.question == "csat", sr.score.notnull(), sr.answered_at >= d90,
                  sr.answered_at < _ts(end))
    return t.group_by("customer_id").aggregate(low_csat=5.0 - t.score.cast("float64").mean())


def _rfm(tables: dict[str, ir.Table], day: dt.date) -> ir.Table:
    before, now = segments_then_and_now(tables, as_of=day)
    m = movement(before, now)
    return m.select("customer_id", rfm_drop=ibis.greatest(
        (m.segment_rank - m.rank_before).fill_null(0), 0).cast("float64"))


def _renewal(subs: ir.Table, end: dt.date, day: dt.date) -> ir.Table:
    t = subs.filter(subs.current_period_end.notnull(), subs.current_period_end >= _ts(end),
                    subs.canceled_at.isnull() | (subs.canceled_at >= _ts(end)))
    per = t.group_by("customer_id").aggregate(nearest=t.current_period_end.min())
    return per.select("customer_id", renewal_days=per.nearest.date().delta(
        ibis.literal(day), unit="day").cast("float64"))


def _key_action(c: ir.Table, ev: ir.Table, end: dt.date, day: dt.date, days: int) -> ir.Table:
    done = ev.filter(ev.event_type == "key_action", ev.occurred_at < _ts(end)).select(
        "customer_id").distinct()
    due = c.filter(c.signup_at < _ts(day - dt.timedelta(days=days - 1)))
    missing = due.anti_join(done, "customer_id")
    return missing.select("customer_id", no_key_action=ibis.literal(1).cast("int64"))
