"""Report sections over time: monthly churn and the referral share of new customers."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from loyalist.metrics.churn import monthly_churn
from loyalist.metrics.periods import last_day
from loyalist.metrics.referrals import referral_share
from loyalist.report.charts import bar_chart
from loyalist.report.html import Section, absent


def churn_section(backend: Any, t: dict[str, ir.Table]) -> Section:
    """Monthly churn under the 90-day inactivity rule, one bar a month."""
    orders = t["orders"]
    if not backend.execute(orders.count()):
        return absent("Churn", "Import orders (`loyalist import orders FILE`).")
    rows = backend.execute(monthly_churn(orders, as_of=last_day(orders.ordered_at),
                                         inactive_days=90))
    if rows.empty:
        return absent("Churn", "Import orders spanning more than one month "
                               "(`loyalist import orders FILE`).")
    labels = [m.strftime("%Y-%m") for m in rows["month"]]
    chart = bar_chart(labels, [float(v) for v in rows["churn_rate"].fillna(0)],
                      title="Monthly churn", value_format="{:.1%}")
    return Section("Churn", chart,
                   "Customers lost in each month / customers active at its start (an order in "
                   "the 90 days before it). A customer is lost on the 90th day without an order, "
                   "so the last three months can only show losses of customers who stopped "
                   "earlier. Hover a bar for its rate.")


def referral_section(backend: Any, t: dict[str, ir.Table]) -> Section:
    """Share of new customers per month with a referral record, when referrals exist."""
    if not backend.execute(t["referrals"].count()):
        return absent("Referral share", "Import referrals (`loyalist import referrals FILE`).")
    rows = backend.execute(referral_share(t["survey_responses"], t["referrals"], t["customers"]))
    rows = rows[rows.new_customers > 0]
    labels = [m.strftime("%Y-%m") for m in rows["period"]]
    chart = bar_chart(labels, [float(v) for v in rows["records_share"].fillna(0)],
                      title="Referral share of new customers", value_format="{:.1%}")
    return Section("Referral share", chart,
                   "New customers each month (by sign-up) who appear as the referred customer "
                   "of a referral record, as a share of all new customers that month.")
