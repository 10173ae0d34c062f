"""Every metric by name: what it is, and how to build it from the canonical tables.

Each entry builds an Ibis table from ``(tables, options)``; the CLI and API execute it. Options
are ``as_of``, ``period``, ``variant``, ``share`` and ``by``; a metric ignores the ones it does not
use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.errors import InputError
from loyalist.metrics.acquisition import ltv_cac
from loyalist.metrics.churn import monthly_churn, six_month_churn
from loyalist.metrics.churn_subscriptions import revenue_churn, subscription_churn
from loyalist.metrics.community import community
from loyalist.metrics.concentration import customer_revenue, gini, lorenz_curve, top_share
from loyalist.metrics.lifecycle import lifecycle
from loyalist.metrics.overview import headline, orders_by_month, repeat_purchase_rate
from loyalist.metrics.periods import AsOf, check_choice, last_day
from loyalist.metrics.purchases import orders_per_customer, purchase_gaps, recency_summary
from loyalist.metrics.referrals import referral_share
from loyalist.metrics.renewals import renewal_calendar
from loyalist.metrics.retention import cohort_retention, revenue_retention
from loyalist.metrics.usage import (
    active_days,
    dau_mau,
    feature_breadth,
    session_depth,
    time_to_value_by_cohort,
)
from loyalist.segments.dates import as_date
from loyalist.surveys.views import ces_by_period, csat_after_support, nps_by_period

Tables = dict[str, ir.Table]


@dataclass(frozen=True)
class Metric:
    """A named metric."""

    name: str
    description: str
    build: Callable[[Tables, dict[str, Any]], ir.Table]


def _scalar_table(**values: ir.Scalar) -> ir.Table:
    return ibis.memtable({"_": [0]}).select(**{k: v.as_scalar() for k, v in values.items()})


def _concentration(t: Tables, o: dict[str, Any]) -> ir.Table:
    rev = customer_revenue(t["orders"], t["refunds"])
    share = float(o.get("share") or 0.2)
    return _scalar_table(top_share=top_share(rev, share), gini=gini(rev)).mutate(
        top=ibis.literal(share))


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("headline", "Customers, orders, revenue, repeat purchase rate, first and last order.",
           lambda t, o: headline(t["orders"], t["customers"])),
    Metric("orders_by_month", "Orders, revenue and buying customers per calendar month.",
           lambda t, o: orders_by_month(t["orders"])),
    Metric("repeat_purchase_rate", "Share of identified customers with two or more orders.",
           lambda t, o: _scalar_table(repeat_purchase_rate=repeat_purchase_rate(t["orders"]))),
    Metric("cohort_retention", "Cohorts by first order per --period (day, week, month; default "
           "month); --variant on | on_or_after; --by a customer column; brackets option "
           "(e.g. 0-0,1-3,4-12).", lambda t, o: _cohort_retention(t, o)),
    Metric("revenue_concentration", "Share of revenue from the top customers (--share, default "
           "0.2) and the Gini coefficient.", _concentration),
    Metric("lifecycle", "New, returning, resurrected and dormant customers per month.",
           lambda t, o: lifecycle(t["orders"])),
    Metric("nps", "NPS by month with n, promoters, detractors, adjusted-Wald 95 % interval and "
           "the rewarded share; --by a customer column.",
           lambda t, o: nps_by_period(t["survey_responses"], t["customers"], by=o.get("by"))),
    Metric("csat", "CSAT by month: share of 4-5 answers from CSAT surveys and tickets.",
           lambda t, o: csat_after_support(t["survey_responses"], t["tickets"])),
    Metric("ces", "Customer Effort Score by month: mean of CES answers (1-7).",
           lambda t, o: ces_by_period(t["survey_responses"])),
    Metric("lorenz_curve", "Share of revenue from the best x % of customers, 100 points.",
           lambda t, o: lorenz_curve(customer_revenue(t["orders"], t["refunds"]))),
)}


REFERRAL_VARIANTS = {"survey": ("survey_answered", "survey_referral", "survey_share"),
                     "records": ("referred_customers", "records_share"),
                     "residual": ("not_attributed", "residual_share")}


def _as_of(o: dict[str, Any]) -> dt.date:
    """``as_of`` option; today when missing (the CLI passes the last order day)."""
    return as_date(o["as_of"]) if o.get("as_of") else dt.date.today()


def _referrals(t: Tables, o: dict[str, Any]) -> ir.Table:
    out = referral_share(t["survey_responses"], t["referrals"], t["customers"],
                         period=o.get("period") or "month")
    variant = o.get("variant")
    if variant is None:
        return out
    if variant not in REFERRAL_VARIANTS:
        raise InputError(f"referral_share variant must be one of {', '.join(REFERRAL_VARIANTS)}"
                         f", got {variant!r}", option="variant", value=variant)
    return out.select("period", "new_customers", *REFERRAL_VARIANTS[variant])


METRICS.update({m.name: m for m in (
    Metric("referral_share", "Share of new customers won by referral per period: survey "
           "(heard about), records (referrals) and residual (not ads/social/search/email); "
           "--variant survey | records | residual.", _referrals),
    Metric("ltv_cac", "Per acquisition channel: customers, spend, CAC, LTV (revenue to date), "
           "LTV:CAC and CAC payback months, as of --as-of.",
           lambda t, o: ltv_cac(t["orders"], t["customers"], t["marketing_spend"],
                                as_of=_as_of(o), refunds=t["refunds"],
                                gross_margin=float(o.get("gross_margin") or 1.0))),
    Metric("renewal_calendar", "Renewals due and expected renewal revenue per month for the "
           "12 months from --as-of.",
           lambda t, o: renewal_calendar(t["subscriptions"], as_of=_as_of(o),
                                         months_ahead=int(o.get("months_ahead") or 12),
                                         terms=o.get("terms"))),
    Metric("community", "Active community members, median first response and satisfaction "
           "per --period (day, week, month).",
           lambda t, o: community(t["community_activity"], period=o.get("period") or "month",
                                  events=t["events"])),
)})


CHURN_RULES = ("inactivity", "cancellation", "period_end")


def _as_of_or_last(o: dict[str, Any], *columns: ir.Column) -> AsOf:
    """``as_of`` option; without it the last date in ``columns`` (today when they are empty)."""
    return as_date(o["as_of"]) if o.get("as_of") else last_day(*columns)


def _subscription_as_of(t: Tables, o: dict[str, Any]) -> AsOf:
    s = t["subscriptions"]
    return _as_of_or_last(o, s.started_at, s.canceled_at, s.ended_at)


def _brackets(value: Any) -> list[tuple[int, int]] | None:
    """``brackets`` option: pairs, or text such as ``0-0,1-3,4-12``."""
    if value is None or isinstance(value, list | tuple):
        return None if value is None else [(int(lo), int(hi)) for lo, hi in value]
    try:
        pairs = [part.split("-") for part in str(value).split(",")]
        return [(int(lo), int(hi)) for lo, hi in pairs]
    except ValueError:
        raise InputError(f"brackets must look like 0-0,1-3,4-12; got {value!r}",
                         option="brackets", value=str(value)) from None


def _cohort_retention(t: Tables, o: dict[str, Any]) -> ir.Table:
    return cohort_retention(t["orders"], variant=o.get("variant") or "on",
                            period=o.get("period") or "month", customers=t["customers"],
                            by=o.get("by"), brackets=_brackets(o.get("brackets")))


def _churn(t: Tables, o: dict[str, Any]) -> ir.Table:
    rule: Any = o.get("variant") or "inactivity"  # checked against the choices below
    check_choice("variant", rule, CHURN_RULES)
    if rule == "inactivity":
        orders = t["orders"]
        return monthly_churn(orders, as_of=_as_of_or_last(o, orders.ordered_at),
                             inactive_days=int(o.get("inactive_days") or 90))
    return subscription_churn(t["subscriptions"], as_of=_subscription_as_of(t, o), lost_at=rule)


def _six_month_churn(t: Tables, o: dict[str, Any]) -> ir.Table:
    rule: Any = o.get("variant") or "inactivity"  # checked against the choices below
    check_choice("variant", rule, CHURN_RULES)
    days = int(o.get("inactive_days") or 90)
    if rule == "inactivity":
        orders = t["orders"]
        return six_month_churn(orders, as_of=_as_of_or_last(o, orders.ordered_at),
                               inactive_days=days)
    return six_month_churn(t["subscriptions"], as_of=_subscription_as_of(t, o), lost_at=rule)


def _revenue_churn(t: Tables, o: dict[str, Any]) -> ir.Table:
    rule: Any = o.get("variant") or "cancellation"
    check_choice("variant", rule, CHURN_RULES[1:])
    return revenue_churn(t["subscriptions"], as_of=_subscription_as_of(t, o), lost_at=rule)


def _revenue_retention(t: Tables, o: dict[str, Any]) -> ir.Table:
    source = o.get("variant") or "orders"
    check_choice("variant", source, ("orders", "subscriptions"))
    if source == "orders":
        return revenue_retention(t["orders"], period=o.get("period") or "month")
    return revenue_retention(t["subscriptions"], as_of=_subscription_as_of(t, o))


def _events_as_of(t: Tables, o: dict[str, Any]) -> AsOf:
    return _as_of_or_last(o, t["events"].occurred_at)


METRICS.update({m.name: m for m in (
    Metric("churn", "Monthly churn: customers at start, lost, churn rate, implied lifetime; "
           "--variant inactivity (N days without an order, inactive_days option, default 90) | "
           "cancellation | period_end (subscriptions, with MRR lost).", _churn),
    Metric("six_month_churn", "Small-business churn: lost over six months / customers at the "
           "start, divided by six; --variant inactivity | cancellation | period_end.",
           _six_month_churn),
    Metric("revenue_churn", "Monthly gross revenue churn: MRR lost / MRR at the start of the "
           "month; --variant cancellation | period_end.", _revenue_churn),
    Metric("revenue_retention", "NRR and GRR per first-revenue cohort and --period; "
           "--variant orders | subscriptions (MRR, monthly).", _revenue_retention),
    Metric("orders_per_customer", "Orders per buying customer per --period.",
           lambda t, o: orders_per_customer(t["orders"], period=o.get("period") or "month")),
    Metric("recency", "Days since each customer's last order as of --as-of: mean, quartiles, "
           "90th percentile and maximum.",
           lambda t, o: recency_summary(t["orders"], as_of=_as_of_or_last(
               o, t["orders"].ordered_at))),
    Metric("purchase_gaps", "Days between consecutive order days per first-order cohort "
           "(--period): mean and median first gap and all gaps.",
           lambda t, o: purchase_gaps(t["orders"], period=o.get("period") or "month")),
    Metric("time_to_value", "Days from sign-up to the first key event (key_event option, "
           "default key_action) per sign-up cohort (--period): reached share, median, mean.",
           lambda t, o: time_to_value_by_cohort(
               t["customers"], t["events"], key_event=o.get("key_event") or "key_action",
               period=o.get("period") or "month")),
    Metric("active_days", "Distinct days with an event per active customer and --period.",
           lambda t, o: active_days(t["events"], period=o.get("period") or "month")),
    Metric("feature_breadth", "Distinct features each customer used in the 30 days "
           "(window_days option) up to --as-of.",
           lambda t, o: feature_breadth(t["events"], as_of=_events_as_of(t, o),
                                        window_days=int(o.get("window_days") or 30))),
    Metric("session_depth", "Events per session (30 minutes idle ends a session) per --period.",
           lambda t, o: session_depth(t["events"], period=o.get("period") or "month")),
    Metric("dau_mau", "Per day up to --as-of: daily active customers, active in the trailing "
           "30 days, and their ratio (stickiness).",
           lambda t, o: dau_mau(t["events"], as_of=_events_as_of(t, o))),
)})


def metric(name: str) -> Metric:
    """The metric called ``name``."""
    try:
        return METRICS[name]
    except KeyError:
        raise InputError(f"unknown metric {name!r} (metrics: {', '.join(METRICS)})",
                         metric=name) from None
