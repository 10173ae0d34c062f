from __future__ import annotations

import re

from loyalist.data import import_file
from loyalist.report import build_report


def test_report_is_self_contained(workspace, write):
    import_file(workspace, "orders", write("o.csv", "order_id,customer_id,ordered_at,amount\n"
                                           "1,a,2024-01-05,10\n2,a,2024-02-01,5\n3,b,2024-02-03,1\n"))
    html = build_report(workspace).read_text()
    assert "<svg" in html and html.count("<rect") == 2  # two months
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script" not in html
    assert "50.0%" in html  # repeat purchase rate: a has 2 orders, b has 1
    assert ">3<" in html  # orders


def test_report_on_empty_workspace_says_what_is_missing(workspace, write):
    import_file(workspace, "customers", write("c.csv", "customer_id\nx\n"))
    html = build_report(workspace).read_text()
    assert "No data yet" in html and "loyalist import orders" in html


def test_report_shows_segments_migration_and_lists(rfm_workspace):
    html = build_report(rfm_workspace).read_text()
    for title in ("RFM grid as of 2024-04-02", "Segments as of 2024-04-02", "Segment migration",
                  "Best customers", "Falling off"):
        assert title in html, title
    assert html.count('<table class="grid">') == 2  # RFM grid and migration matrix
