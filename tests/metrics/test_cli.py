"""``loyalist metrics NAME`` with --as-of, --period, --variant and --format on a synthetic shop."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from typer.testing import CliRunner

from loyalist.cli import app
from loyalist.data import load
from loyalist.store.workspace import Workspace
from tests.support.synthetic import synthetic_shop

runner = CliRunner()


@pytest.fixture(scope="module")
def shop_ws(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("shop") / "ws")
    for name, data in synthetic_shop().items():
        result = load(name, data, workspace=ws)
        assert result.rows_rejected == 0, name
    return ["-w", str(ws.path)]


def _json(args):
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ltv_cac_json(shop_ws):
    rows = _json([*shop_ws, "metrics", "ltv_cac", "--as-of", "2024-06-30"])
    assert list(rows[0]) == ["channel", "customers_acquired", "spend", "cac", "revenue",
                             "ltv_revenue_to_date", "ltv_cac", "customer_months",
                             "monthly_revenue_per_customer", "cac_payback_months"]
    ads = next(r for r in rows if r["channel"] == "ads")
    assert ads["cac"] == pytest.approx(ads["spend"] / ads["customers_acquired"])
    assert ads["ltv_cac"] == pytest.approx(ads["ltv_revenue_to_date"] / ads["cac"])
    assert {r["channel"] for r in rows} >= {"(none)", "referral", "tv"}  # tv: spend only


def test_as_of_moves_the_answer(shop_ws):
    early = _json([*shop_ws, "metrics", "ltv_cac", "--as-of", "2023-06-30"])
    late = _json([*shop_ws, "metrics", "ltv_cac", "--as-of", "2024-06-30"])
    assert sum(r["customers_acquired"] for r in early) < sum(r["customers_acquired"]
                                                             for r in late)


def test_renewal_calendar_months(shop_ws):
    rows = _json([*shop_ws, "metrics", "renewal_calendar", "--as-of", "2024-06-30"])
    assert [r["month"] for r in rows][:2] == ["2024-06-01", "2024-07-01"] and len(rows) == 12
    assert sum(r["renewals"] for r in rows) > 0


def test_period_and_variant_csv(shop_ws):
    result = runner.invoke(app, [*shop_ws, "metrics", "referral_share", "--period", "week",
                                 "--variant", "records", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["period", "new_customers", "referred_customers", "records_share"]
    assert all(dt.date.fromisoformat(r["period"]).weekday() == 0 for r in rows)  # Mondays


def test_community_per_day_and_table(shop_ws):
    days = _json([*shop_ws, "metrics", "community", "--period", "day"])
    months = _json([*shop_ws, "metrics", "community"])
    assert len(days) > len(months) >= 12
    assert all(len(r["period"]) == 10 for r in days)  # dates, not timestamps
    table = runner.invoke(app, [*shop_ws, "metrics", "community", "--format", "table"])
    assert table.exit_code == 0 and "community" in table.stdout  # narrow terminal: cut headers


def test_bad_options(shop_ws):
    result = runner.invoke(app, [*shop_ws, "metrics", "community", "--period", "year"])
    assert result.exit_code == 2 and "--period must be one of" in result.stderr
    result = runner.invoke(app, [*shop_ws, "metrics", "referral_share", "--variant", "magic"])
    assert result.exit_code == 2 and "variant" in result.stderr
    result = runner.invoke(app, [*shop_ws, "metrics", "ltv_cac", "--as-of", "yesterday"])
    assert result.exit_code == 2 and "as_of" in result.stderr
