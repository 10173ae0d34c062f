"""Build the report from a workspace: compute the sections' numbers, then render one HTML file."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from pathlib import Path

from loyalist.data.views import tables
from loyalist.metrics import headline, orders_by_month
from loyalist.report.charts import bar_chart
from loyalist.report.clv import clv_results, sections_from
from loyalist.report.headline import report_headline
from loyalist.report.html import Section, absent, page
from loyalist.report.metrics import metric_sections
from loyalist.report.risk import risk_sections
from loyalist.report.segments import segment_sections
from loyalist.report.surveys import survey_sections
from loyalist.report.trends import churn_section, referral_section
from loyalist.store.workspace import Workspace


def build_report(workspace: Workspace, out: Path | None = None,
                 as_of: dt.date | None = None) -> Path:
    """Write the report of ``workspace`` to ``out`` (default ``<workspace>/report.html``).

    ``as_of`` defaults to the date of the last order (demo data sets are historical).
    """
    out = out or workspace.path / "report.html"
    with workspace.ibis() as backend:
        t = tables(backend)
        head = backend.execute(headline(t["orders"], t["customers"])).iloc[0].to_dict()
        monthly = backend.execute(orders_by_month(t["orders"]))
        last = head.get("last_order")
        day = as_of or (None if last is None or last != last else last.date())
        metric_part = metric_sections(backend, t)
        segment_part = segment_sections(backend, t, day)
        survey_part = survey_sections(backend, t)
        risk_part = risk_sections(backend, t, day)
        found = clv_results(backend, t, day)
        clv_part = sections_from(found)
        headline_part = report_headline(backend, t, day, found)
        trend_part = [churn_section(backend, t), referral_section(backend, t)]
    sections = [headline_part]
    if len(monthly):
        labels = [m.strftime("%Y-%m") for m in monthly["month"]]
        sections.append(Section(
            "Orders per month",
            bar_chart(labels, [float(v) for v in monthly["orders"]], title="Orders per month"),
            "Number of distinct orders placed in each calendar month, guest orders included. "
            "Hover a bar for its exact value.",
        ))
    else:
        sections.append(absent("Orders per month",
                               "Import orders (`loyalist import orders FILE`)."))
    sections.extend(trend_part)
    sections.extend(metric_part)
    sections.extend(segment_part)
    sections.extend(clv_part)
    sections.extend(risk_part)
    sections.extend(survey_part)
    subtitle = f"Workspace {workspace.path} · generated {datetime.now():%Y-%m-%d %H:%M}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page("loyalist report", subtitle, sections), encoding="utf-8")
    return out

