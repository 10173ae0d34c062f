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
from loyalist.metrics.community import community
from loyalist.metrics.concentration import customer_revenue, gini, lorenz_curve, top_share
from loyalist.metrics.lifecycle import lifecycle
from loyalist.metrics.overview import headline, orders_by_month, repeat_purchase_rate
from loyalist.metrics.referrals import referral_share
from loyalist.metrics.renewals import renewal_calendar
from loyalist.metrics.retention import cohort_retention
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
    Metric("cohort_retention", "Monthly cohorts by first order; --variant on | on_or_after.",
           lambda t, o: cohort_retention(t["orders"], variant=o.get("variant") or "on")),
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


def metric(name: str) -> Metric:
    """The metric called ``name``."""
    try:
        return METRICS[name]
    except KeyError:
        raise InputError(f"unknown metric {name!r} (metrics: {', '.join(METRICS)})",
                         metric=name) from None
