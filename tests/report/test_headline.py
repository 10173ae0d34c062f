"""The report headline: each number with its change against 90 days earlier."""

from __future__ import annotations

import re

from loyalist.report import build_report


def _cards(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r'<div class="k">([^<]+)</div><div class="v">([^<]+)</div>'
                       r'<div class="k change">([^<]+)</div>', html)
    return {label: (value, change) for label, value, change in found}


def test_headline_values_and_changes(rfm_workspace):
    html = build_report(rfm_workspace).read_text()
    cards = _cards(html)
    # as of 2024-04-02 all five customers have ordered; on 2024-01-03 only d (2023-06-30)
    assert cards["Customers"] == ("5", "+400.0%")
    # a, c, e of five have two or more orders; d alone before
    assert cards["Repeat purchase rate"] == ("60.0%", "+60.0 pts")
    # orders from 2024-01-04 on: all but d1; none in the 90 days before
    assert cards["Orders, 90 days"] == ("12", "new")
    assert cards["Revenue, 90 days"][0] == f"{100 + 50 + 50 + 999 + 30 + 1000 + 40 + 75:,}"
    assert cards["NPS, 90 days"] == ("-", "no earlier value")
    assert "against 2024-01-03 (90 days earlier)" in html
    assert "NPS needs survey answers (`loyalist import survey_responses FILE`)" in html


def test_churn_and_referral_sections(rfm_workspace):
    html = build_report(rfm_workspace).read_text()
    assert 'aria-label="Monthly churn"' in html
    assert "<h2>Referral share</h2><p class=\"absent\">No data yet. Import referrals" in html
