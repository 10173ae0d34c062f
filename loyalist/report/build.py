"""Build the report from a workspace: compute the sections' numbers, then render one HTML file."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from pathlib import Path
from typing import Any

from loyalist.data.views import tables
from loyalist.metrics import headline, orders_by_month
from loyalist.report.charts import bar_chart
from loyalist.report.clv import clv_sections
from loyalist.report.html import Section, absent, card, page
from loyalist.report.metrics import metric_sections
from loyalist.report.risk import risk_sections
from loyalist.report.segments import segment_sections
from loyalist.report.surveys import survey_sections
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
        clv_part = clv_sections(backend, t, day)
    sections = [_headline_section(head)]
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
    sections.extend(metric_part)
    sections.extend(segment_part)
    sections.extend(clv_part)
    sections.extend(risk_part)
    sections.extend(survey_part)
    subtitle = f"Workspace {workspace.path} · generated {datetime.now():%Y-%m-%d %H:%M}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page("loyalist report", subtitle, sections), encoding="utf-8")
    return out


def _headline_section(head: dict[str, Any]) -> Section:
    def fmt_date(v: Any) -> str:
        return "-" if v is None or v != v else f"{v:%Y-%m-%d}"

    rate = head.get("repeat_purchase_rate")
    cards = [
        card("Customers", f"{int(head.get('customers') or 0):,}"),
        card("Orders", f"{int(head.get('orders') or 0):,}"),
        card("Revenue", f"{float(head.get('revenue') or 0):,.0f}"),
        card("Repeat purchase rate", "-" if rate is None or rate != rate else f"{rate:.1%}"),
        card("Period",
             f"{fmt_date(head.get('first_order'))} to {fmt_date(head.get('last_order'))}"),
    ]
    return Section(
        "Headline", f'<div class="cards">{"".join(cards)}</div>',
        "Customers: identified customers (from the customers table or their orders). Revenue: sum "
        "of order amounts before refunds, guest orders included. Repeat purchase rate: share of "
        "identified customers with two or more orders.",
    )
