"""NPS over time with its interval, by channel; CSAT after support (hand-computed)."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from loyalist.data import load
from loyalist.data.views import tables
from loyalist.report import build_report
from loyalist.surveys.views import csat_after_support, nps_by_period

SCORES = [  # customer, month, score (None = skipped)
    ("a", "2024-01-05", 10), ("b", "2024-01-06", 9), ("c", "2024-01-07", 8),
    ("d", "2024-01-08", 3), ("e", "2024-01-09", 6), ("f", "2024-01-10", None),
    ("a", "2024-02-02", 10),
]


@pytest.fixture
def survey_ws(workspace):
    load("customers", pa.table({"customer_id": list("abcdef"),
                                "acquisition_channel": ["ads", "ads", "referral", "referral",
                                                        None, "ads"]}), workspace=workspace)
    load("survey_responses", pa.table({
        "response_id": [f"r{i}" for i in range(len(SCORES))],
        "customer_id": [s[0] for s in SCORES], "question": ["nps"] * len(SCORES),
        "answered_at": [s[1] for s in SCORES],
        "score": pa.array([s[2] for s in SCORES], pa.int64()),
        "comment": ["Fast delivery, love it"] * 3 + ["Late delivery, mail x@y.com"] * 4,
    }), workspace=workspace)
    load("tickets", pa.table({"ticket_id": ["t1", "t2", "t3"], "customer_id": ["a", "b", "c"],
                              "opened_at": ["2024-01-01"] * 3,
                              "resolved_at": ["2024-01-02", "2024-01-03", None],
                              "csat": [5, 2, 4]}), workspace=workspace)
    return workspace


def test_nps_with_skips_and_adjusted_wald_interval(survey_ws):
    """January: n = 5 answered (f skipped), 2 promoters, 2 detractors -> NPS 0.
    n' = 8, p = q = 2.75 / 8, d = 0, se = sqrt(0.6875 / 8), half width 1.95996 se = 57.4565."""
    with survey_ws.ibis() as backend:
        out = backend.execute(nps_by_period(tables(backend)["survey_responses"]))
    jan = out.iloc[0]
    assert (jan.n, jan.promoters, jan.detractors, jan.nps) == (5, 2, 2, 0.0)
    assert jan.rewarded_share == 0.0  # no answer here earned a reward
    half = 1.959963984540054 * math.sqrt(2 * 2.75 / 8 / 8) * 100
    assert jan.nps_high == pytest.approx(half, rel=1e-12)
    assert jan.nps_low == pytest.approx(-half, rel=1e-12)
    feb = out.iloc[1]
    # February: n = 1 promoter; p = 1.75 / 4, q = 0.75 / 4, d = 0.25, se = sqrt(0.5625 / 4)
    assert (feb.n, feb.nps) == (1, 100.0)
    assert feb.nps_high == pytest.approx(100 * (0.25 + 1.959963984540054 * 0.375), rel=1e-12)


def test_nps_by_channel(survey_ws):
    with survey_ws.ibis() as backend:
        t = tables(backend)
        out = backend.execute(nps_by_period(t["survey_responses"], t["customers"],
                                            by="acquisition_channel"))
    jan = {r.group: (r.n, r.nps) for r in out.itertuples() if r.month.month == 1}
    assert jan == {"ads": (2, 100.0), "referral": (2, -50.0), "(none)": (1, -100.0)}


def test_csat_after_support(survey_ws):
    with survey_ws.ibis() as backend:
        t = tables(backend)
        out = backend.execute(csat_after_support(t["survey_responses"], t["tickets"]))
    assert (out.n.tolist(), out.satisfied.tolist(), out.csat.tolist()) == ([2], [1], [0.5])


def test_report_has_survey_section(survey_ws):
    html = build_report(survey_ws).read_text()
    assert "NPS by month" in html and "-57 to 57" in html and "rewarded" in html
    assert "CSAT after support" in html and "What customers say" in html
    assert "x@y.com" not in html and "delivery" in html


def test_ces_and_nps_through_the_metrics_command(survey_ws):
    import json

    import pyarrow as pa
    from typer.testing import CliRunner

    from loyalist.cli import app
    from loyalist.data import load

    load("survey_responses", pa.table({"response_id": ["x1", "x2", "x3"],
                                       "customer_id": ["a", "b", "c"],
                                       "question": ["ces"] * 3,
                                       "answered_at": ["2024-01-02"] * 3,
                                       "score": pa.array([7, 4, None], pa.int64())}),
         workspace=survey_ws, source="ces")
    runner = CliRunner()
    ces = json.loads(runner.invoke(app, ["-w", str(survey_ws.path), "metrics", "ces",
                                         "--format", "json"]).stdout)
    assert ces == [{"month": "2024-01-01", "n": 2, "ces": 5.5}]  # the skip is not counted
    nps = json.loads(runner.invoke(app, ["-w", str(survey_ws.path), "metrics", "nps", "--by",
                                         "acquisition_channel", "--format", "json"]).stdout)
    assert {r["group"] for r in nps} == {"ads", "referral", "(none)"}
