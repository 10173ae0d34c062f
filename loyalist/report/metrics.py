"""Report sections for loyalty metrics: cohort retention heatmap, revenue concentration curve."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from loyalist.metrics.concentration import customer_revenue, gini, lorenz_curve, top_share
from loyalist.metrics.retention import cohort_retention
from loyalist.report.charts import line_chart
from loyalist.report.html import Section
from loyalist.report.tables import heat_grid

MAX_PERIODS = 12


def metric_sections(backend: Any, t: dict[str, ir.Table]) -> list[Section]:
    """Monthly cohort retention (first 12 months) and the revenue concentration curve."""
    cohorts = backend.execute(cohort_retention(t["orders"]))
    if cohorts.empty:
        return []
    cohorts = cohorts[cohorts.period <= MAX_PERIODS]
    labels = sorted({str(c)[:7] for c in cohorts.cohort})
    cells = {(str(r.cohort)[:7], int(r.period)): (float(r.rate) if r.period else 0.0,
             f"{r.rate:.0%}\n{int(r.customers):,} of {int(r.cohort_size):,} customers")
             for r in cohorts.itertuples()}
    sizes = {str(r.cohort)[:7]: int(r.cohort_size) for r in cohorts.itertuples()}
    rows = [f"{label} ({sizes[label]:,})" for label in labels]
    cells = {(f"{c} ({sizes[c]:,})", p): v for (c, p), v in cells.items()}
    retention = Section(
        "Cohort retention by month", heat_grid("first-order month (customers)", "months after",
                                               rows, list(range(MAX_PERIODS + 1)), cells),
        "Share of each cohort (customers by the month of their first order) who ordered again "
        "in the month n months later (variant \"on\"; guest orders excluded). Month 0 is 100 % "
        "by definition and left uncoloured; the last month of the data may be partial and read "
        "low. Hover a cell for the counts.")
    rev = customer_revenue(t["orders"], t["refunds"])
    curve = backend.execute(lorenz_curve(rev))
    share20, g = backend.execute(top_share(rev, 0.2)), backend.execute(gini(rev))
    concentration = Section(
        "Revenue concentration",
        line_chart(curve.customer_share.tolist(), curve.revenue_share.tolist(),
                   title="Revenue concentration", x_label="share of customers, best first",
                   y_label="share of revenue", diagonal=True),
        f"The top 20 % of customers bring {share20:.0%} of revenue (Gini {g:.2f}). The curve "
        "shows the share of revenue (net of refunds, guest orders excluded) from the best x % of "
        "customers; the dashed line is an even spread.")
    return [retention, concentration]
