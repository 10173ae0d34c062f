from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from loyalist.cli import app
from loyalist.errors import InputError
from loyalist.metrics.registry import METRICS, metric

runner = CliRunner()


SURVEY_METRICS = {"nps", "csat", "ces", "community"}  # no answers, no community: empty
# nor subscriptions or events: subscription and usage metrics come back empty
SURVEY_METRICS |= {"revenue_churn", "active_days", "feature_breadth", "session_depth", "dau_mau"}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_runs_on_the_shop(name, rfm_workspace):
    result = runner.invoke(app, ["-w", str(rfm_workspace.path), "metrics", name,
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and (bool(rows) or name in SURVEY_METRICS)


def test_values_through_the_cli(rfm_workspace):
    ws = ["-w", str(rfm_workspace.path)]
    conc = json.loads(runner.invoke(app, [*ws, "metrics", "revenue_concentration",
                                          "--format", "json"]).stdout)[0]
    assert conc["top_share"] == pytest.approx(1199 / 2189)  # net revenue of a over everyone
    rate = json.loads(runner.invoke(app, [*ws, "metrics", "repeat_purchase_rate",
                                          "--format", "json"]).stdout)[0]
    assert rate["repeat_purchase_rate"] == pytest.approx(3 / 5)  # a, c, e ordered twice+
    listed = runner.invoke(app, ["metrics", "list"])
    assert "cohort_retention" in listed.stdout


def test_unknown_metric():
    with pytest.raises(InputError, match="unknown metric"):
        metric("nps_magic")
    result = runner.invoke(app, ["metrics", "nps_magic"])
    assert result.exit_code == 2 and "unknown metric" in result.stderr
