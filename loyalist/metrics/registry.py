"""Every metric by name: what it is, and how to build it from the canonical tables.

Each entry builds an Ibis table from ``(tables, options)``; the CLI and API execute it. Options
are ``as_of``, ``variant``, ``share`` and ``by``; a metric ignores the ones it does not use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.errors import InputError
from loyalist.metrics.concentration import customer_revenue, gini, lorenz_curve, top_share
from loyalist.metrics.lifecycle import lifecycle
from loyalist.metrics.overview import headline, orders_by_month, repeat_purchase_rate
from loyalist.metrics.retention import cohort_retention
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


def metric(name: str) -> Metric:
    """The metric called ``name``."""
    try:
        return METRICS[name]
    except KeyError:
        raise InputError(f"unknown metric {name!r} (metrics: {', '.join(METRICS)})",
                         metric=name) from None
