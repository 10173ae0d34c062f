"""Report section for survey answers: NPS over time with its interval, CSAT, comment themes."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from loyalist.report.charts import bar_chart
from loyalist.report.html import Section, absent
from loyalist.report.tables import table
from loyalist.surveys.text import read_comments
from loyalist.surveys.views import csat_after_support, nps_by_period


def survey_sections(backend: Any, t: dict[str, ir.Table]) -> list[Section]:
    """NPS by month (n, interval), rewarded share is in the API; CSAT after support; themes."""
    nps = backend.execute(nps_by_period(t["survey_responses"]))
    if not len(nps):
        return [absent("NPS and feedback", "Import survey answers (`loyalist import "
                       "survey_responses FILE`) or run surveys and `loyalist surveys sync`.")]
    labels = [m.strftime("%Y-%m") for m in nps["month"]]
    shifted = [float(v) + 100 for v in nps["nps"]]  # bars from -100: a bar of 100 is NPS 0
    sections = [Section(
        "NPS by month",
        bar_chart(labels, shifted, title="NPS by month", value_format="{:.0f}")
        + table(["month", "answers", "promoters", "detractors", "NPS", "95% interval",
                 "rewarded"], [
            (label, int(r.n), int(r.promoters), int(r.detractors), f"{r.nps:.0f}",
             f"{r.nps_low:.0f} to {r.nps_high:.0f}", f"{r.rewarded_share:.0%}") for label, r in
            zip(labels, nps.itertuples(), strict=True)]),
        "NPS = % promoters (9-10) - % detractors (0-6) of answered NPS questions; skipped "
        "answers are not counted. Bars show NPS + 100 (0 = everyone a detractor). The interval "
        "is the adjusted-Wald 95 % interval: wide when few answered. Rewarded: share of answers "
        "that earned a reward (given for completing, whatever the score).")]
    csat = backend.execute(csat_after_support(t["survey_responses"], t["tickets"]))
    if len(csat):
        sections.append(Section("CSAT after support", table(
            ["month", "answers", "satisfied", "CSAT"],
            [(m.strftime("%Y-%m"), int(r.n), int(r.satisfied), f"{r.csat:.0%}")
             for m, r in zip(csat["month"], csat.itertuples(), strict=True)]),
            "Share of CSAT answers of 4 or 5 (on 1-5), from CSAT surveys and tickets."))
    r = t["survey_responses"]
    texts = backend.execute(r.filter(r.comment.notnull()).comment).tolist()
    if texts:
        read = read_comments(texts)
        mean = sum(c["sentiment"] for c in read["comments"]) / len(read["comments"])
        sections.append(Section("What customers say", table(
            ["theme", "comments", "examples"],
            [(", ".join(th["words"]), th["size"], " | ".join(th["examples"][:2]))
             for th in read["themes"]]),
            f"Themes found by TF-IDF and NMF in {len(texts)} comments (e-mails and phone "
            f"numbers removed); mean sentiment {mean:+.2f} on -1 to +1 (VADER, word-based)."))
    return sections
