from __future__ import annotations

import re

from loyalist.data import import_file
from loyalist.report import build_report


def test_report_is_self_contained(workspace, write):
    import_file(workspace, "orders", write("o.csv", "order_id,customer_id,ordered_at,amount\n"
                                           "1,a,2024-01-05,10\n2,a,2024-02-01,5\n3,b,2024-02-03,1\n"))
    html = build_report(workspace).read_text()
    orders_chart = html.split('aria-label="Orders per month"')[1].split("</svg>")[0]
    assert orders_chart.count('fill="#3b6ea8"><title>') == 2  # two monthly bars
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
    assert html.count('<table class="grid">') == 3  # retention, RFM grid, migration


def test_report_shows_retention_and_concentration(rfm_workspace):
    html = build_report(rfm_workspace).read_text()
    assert "Cohort retention by month" in html and "Revenue concentration" in html
    # shop: net revenue a 1199, c 900, e 40, b 30, d 20 -> top 20 % (1 of 5) = 1199 / 2189
    assert f"bring {1199 / 2189:.0%} of revenue" in html


def test_workspace_from_an_older_schema_still_reports(workspace, write):
    """A column added to the schema later is added on the next write and read as null before."""
    import duckdb

    import_file(workspace, "orders", write("o.csv", "order_id,customer_id,ordered_at,amount\n"
                                           "1,a,2024-01-05,10\n"))
    with duckdb.connect(str(workspace.database)) as con:
        con.execute("ALTER TABLE survey_responses DROP COLUMN rewarded")
    assert "NPS and feedback" in build_report(workspace).read_text()  # read path: null column
    import_file(workspace, "orders", write("o2.csv", "order_id,ordered_at,amount\n"
                                           "2,2024-01-06,1\n"))
    with duckdb.connect(str(workspace.database), read_only=True) as con:
        columns = {r[0] for r in con.execute("DESCRIBE survey_responses").fetchall()}
    assert "rewarded" in columns  # write path: added
