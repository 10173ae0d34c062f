"""The report's headline: each number with its change over the previous period.

Every card is computed twice, on the data as of the report date and as of 90 days earlier
(``WINDOW``). Levels (customers, rates, shares, CLV) compare the two dates; flows (revenue, NPS
answers, new customers for the referral share) compare the 90 days up to each date.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from loyalist.clv.summary import rfm_summary
from loyalist.clv.workflow import ClvFit, predict_customers
from loyalist.data.derived import order_days, orders_before
from loyalist.metrics.churn import monthly_churn
from loyalist.metrics.concentration import customer_revenue, top_share
from loyalist.metrics.overview import repeat_purchase_rate
from loyalist.metrics.referrals import referral_share
from loyalist.metrics.retention import cohort_retention
from loyalist.report.html import Section
from loyalist.report.sampling import sample_customers

WINDOW = 90
CLV_SAMPLE = 100_000
Numbers = dict[str, float | None]
# label, key, value format, change: "pct" (relative) or "pts" (percentage points) or "abs"
CARDS: list[tuple[str, str, str, str]] = [
    ("Customers", "customers", "{:,.0f}", "pct"), ("Orders, 90 days", "orders", "{:,.0f}", "pct"),
    ("Revenue, 90 days", "revenue", "{:,.0f}", "pct"),
    ("Repeat purchase rate", "repeat", "{:.1%}", "pts"),
    ("Monthly churn", "churn", "{:.1%}", "pts"),
    ("Month-1 retention", "retention", "{:.1%}", "pts"),
    ("NPS, 90 days", "nps", "{:.0f}", "abs"),
    ("Referral share, 90 days", "referral", "{:.1%}", "pts"),
    ("Top 20 % revenue share", "top20", "{:.1%}", "pts"),
    ("Average CLV, 12 months", "clv", "{:,.2f}", "pct"),
]
CAPTION = (
    "Each number is shown as of {day} with its change against {before} (90 days earlier); "
    "revenue, NPS and the referral share cover the 90 days up to each date. Customers: "
    "identified customers with an order so far. Revenue and orders: orders placed, amounts "
    "before refunds, guest orders included. Repeat purchase rate: share of identified customers"
    " with two or more orders. Monthly churn: customers lost in the last complete month / "
    "customers active at its start (lost = 90 days without an order). Month-1 retention: share "
    "of the latest cohort (customers by first-order month) whose following month is complete "
    "who ordered in that month. NPS: promoters minus detractors in % of answers. Referral "
    "share: new customers with a referral record / new customers. Top 20 % revenue share: share"
    " of net revenue from the best fifth of customers. Average CLV: mean discounted 12-month "
    "CLV of the stored (or report) model, the earlier value from the same model on the orders "
    "up to that date (over a fixed random sample of 100,000 customers when there are more). "
"'-' means no data: {missing}")
FILLS = {"nps": "NPS needs survey answers (`loyalist import survey_responses FILE`)",
         "referral": "the referral share needs referrals (`loyalist import referrals FILE`)",
         "clv": "CLV needs repeat customers (`loyalist clv fit`)"}


def _month(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _scalar(backend: Any, expr: ir.Scalar) -> float | None:
    value = backend.execute(expr)
    return None if value is None or pd.isna(value) else float(value)


def snapshot(backend: Any, t: dict[str, ir.Table], day: dt.date) -> Numbers:
    """The headline numbers as of ``day`` (CLV aside)."""
    end = ibis.literal(day + dt.timedelta(days=1))
    start = ibis.literal(day - dt.timedelta(days=WINDOW - 1))
    # orders up to day, and up to the end of the month before (churn and retention only look
    # at complete months): both cut from the workspace's stored per-customer tables
    o = orders_before(t["orders"], day + dt.timedelta(days=1))
    whole_months = orders_before(t["orders"], _month(day))
    refunds = t["refunds"].filter(t["refunds"].refunded_at < end)
    recent = o.filter(o.ordered_at >= start)
    days = order_days(o)
    has_orders = bool(backend.execute(o.count()))
    return {
        "customers": float(backend.execute(days.filter(days.day_no == 1).count())),
        "orders": float(backend.execute(recent.count())),
        "revenue": _scalar(backend, recent.amount.cast("float64").sum()) or 0.0,
        "repeat": _scalar(backend, repeat_purchase_rate(o)),
        "churn": _churn(backend, whole_months, day) if has_orders else None,
        "retention": _retention(backend, whole_months, day),
        "nps": _nps(backend, t["survey_responses"], start, end),
        "referral": _referral(backend, t, day),
        "top20": _scalar(backend, top_share(customer_revenue(o, refunds), 0.2)),
    }


def _churn(backend: Any, orders: ir.Table, day: dt.date) -> float | None:
    """Churn of the last complete month before ``day``'s (``orders``: those before that month).

    Losses and customers at the start of a month depend only on orders before its end.
    """
    before = _month(day) - dt.timedelta(days=1)
    rows = backend.execute(monthly_churn(orders, as_of=before, inactive_days=90))
    rows = rows[pd.to_datetime(rows.month) < pd.Timestamp(_month(day))]
    return None if rows.empty else float(rows.churn_rate.iloc[-1])


def _retention(backend: Any, orders: ir.Table, day: dt.date) -> float | None:
    cohorts = backend.execute(cohort_retention(orders))
    month1 = cohorts[(cohorts.period == 1)
                     & (pd.to_datetime(cohorts.cohort) <= pd.Timestamp(_month(day, 2)))]
    return None if month1.empty else float(month1.sort_values("cohort").rate.iloc[-1])


def _nps(backend: Any, responses: ir.Table, start: ir.Scalar, end: ir.Scalar) -> float | None:
    r = responses.filter(responses.question == "nps", responses.score.notnull(),
                         responses.answered_at >= start, responses.answered_at < end)
    score = (ibis.ifelse(r.score >= 9, 100.0, 0.0) - ibis.ifelse(r.score <= 6, 100.0, 0.0))
    return _scalar(backend, score.mean())


def _referral(backend: Any, t: dict[str, ir.Table], day: dt.date) -> float | None:
    if not backend.execute(t["referrals"].count()):
        return None
    rows = backend.execute(referral_share(t["survey_responses"], t["referrals"], t["customers"],
                                          period="day"))
    since = pd.Timestamp(day - dt.timedelta(days=WINDOW - 1))
    days = pd.to_datetime(rows.period)
    rows = rows[(days >= since) & (days <= pd.Timestamp(day))]
    new = float(rows.new_customers.sum())
    return float(rows.referred_customers.sum()) / new if new else None


def average_clv(backend: Any, t: dict[str, ir.Table], found: Any,
                day: dt.date) -> tuple[float | None, float | None]:
    """Mean 12-month CLV now and, with the same model, on the orders up to ``day`` - 90 days.

    The earlier mean is taken over a stable sample of :data:`CLV_SAMPLE` customers when there
    are more (its standard error is then a fraction of a percent of the mean).
    """
    if found is None or found[1]["clv"].dropna().empty:
        return None, None
    fit: ClvFit = found[0]
    now = float(found[1]["clv"].dropna().mean())
    before = fit.observation_end - dt.timedelta(days=WINDOW)
    unit: Any = fit.unit  # "W" or "D", as stored by the fit
    sample, _ = sample_customers(backend, t, CLV_SAMPLE)
    summary = backend.execute(rfm_summary(sample["orders"], observation_end=before, unit=unit))
    if summary.empty:
        return now, None
    earlier = ClvFit(fit.model_name, fit.model, fit.spend, summary, before, fit.unit)
    return now, float(predict_customers(earlier)["clv"].dropna().mean())


def _change(now: float | None, then: float | None, kind: str) -> str:
    if now is None or then is None:
        return "no earlier value"
    if kind == "pts":
        return f"{(now - then) * 100:+.1f} pts"
    if kind == "abs":
        return f"{now - then:+.0f}"
    return "new" if not then else f"{(now - then) / abs(then):+.1%}"


def headline_section(now: Numbers, before: Numbers, day: dt.date) -> Section:
    """The cards with their changes, and a caption defining each number and the period."""
    cards = [change_card(label, "-" if now.get(key) is None else text.format(now[key]),
                    _change(now.get(key), before.get(key), kind))
             for label, key, text, kind in CARDS]
    missing = "; ".join(fill for key, fill in FILLS.items() if now.get(key) is None) or "none."
    return Section("Headline", f'<div class="cards">{"".join(cards)}</div>',
                   CAPTION.format(day=day, before=day - dt.timedelta(days=WINDOW),
                                  missing=missing))


def change_card(label: str, value: str, change: str) -> str:
    """One headline number with its change (``+3.0 %``, ``-1.2 pts``) underneath."""
    return (f'<div class="card"><div class="k">{escape(label)}</div><div class="v">'
            f'{escape(value)}</div><div class="k change">{escape(change)}</div></div>')


def report_headline(backend: Any, t: dict[str, ir.Table], day: dt.date | None,
                    found: Any) -> Section:
    """The headline as of ``day`` against 90 days earlier (``found``: :func:`clv_results`)."""
    if day is None:
        return Section("Headline", '<p class="absent">No data yet. Import orders (`loyalist '
                       'import orders FILE`).</p>')
    now = snapshot(backend, t, day)
    before = snapshot(backend, t, day - dt.timedelta(days=WINDOW))
    now["clv"], before["clv"] = average_clv(backend, t, found, day)
    return headline_section(now, before, day)
