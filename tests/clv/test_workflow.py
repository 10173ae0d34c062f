"""CLV on a workspace: fit, validate, predict, store, and the CLI and report around it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loyalist.cli import app
from loyalist.clv.workflow import fit_clv, load_clv, predict_customers
from loyalist.data.importer import load
from loyalist.data.views import tables
from loyalist.errors import InputError
from loyalist.report.build import build_report
from loyalist.store.workspace import Workspace
from tests.support.clv_shop import clv_orders


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("clv") / "ws")
    load("orders", clv_orders(), workspace=ws, source="synthetic")
    return ws


def test_fit_validate_predict(shop: Workspace) -> None:
    with shop.ibis() as backend:
        t = tables(backend)
        fit = fit_clv(backend, t, model="paretonbd", observation_end=dt.date(2024, 12, 30),
                      calibration_end=dt.date(2024, 7, 31))
    assert len(fit.summary) == 400
    assert set(fit.model.params_) == {"r", "alpha", "s", "beta"}
    # holdout: customers who bought more before buy more after, and the model sees it too
    h = fit.holdout
    assert h.customers.sum() == 400
    assert h.actual.iloc[-1] > h.actual.iloc[0] and h.predicted.iloc[-1] > h.predicted.iloc[0]
    # tracking: cumulative counts never fall, and the last actual is every repeat purchase
    tr = fit.tracking
    assert (tr.actual.diff().dropna() >= 0).all() and (tr.expected.diff().dropna() >= 0).all()
    assert tr.calibration.iloc[0] and not tr.calibration.iloc[-1]
    p = predict_customers(fit, horizon=26, horizon_unit="weeks")
    assert len(p) == 400 and p.clv.notna().all() and (p.clv >= 0).all()
    assert p.p_alive.between(0, 1).all()
    longer = predict_customers(fit, horizon=12, horizon_unit="months")
    assert (longer.expected_purchases >= p.expected_purchases - 1e-12).all()


def test_repeat_purchases_in_tracking_match_theclv_orders(shop: Workspace) -> None:
    orders = clv_orders()
    days = orders.assign(day=orders.ordered_at.dt.normalize())[["customer_id", "day"]]
    days = days.drop_duplicates()
    repeats = len(days) - days.customer_id.nunique()
    with shop.ibis() as backend:
        fit = fit_clv(backend, tables(backend), observation_end=dt.date(2024, 12, 30),
                      calibration_end=dt.date(2024, 7, 31))
    assert fit.tracking.actual.iloc[-1] == repeats


def test_bad_choices(shop: Workspace) -> None:
    with shop.ibis() as backend:
        t = tables(backend)
        with pytest.raises(InputError, match="unknown model"):
            fit_clv(backend, t, model="nope", observation_end=dt.date(2024, 12, 30))
        with pytest.raises(InputError, match="calibration_end"):
            fit_clv(backend, t, observation_end=dt.date(2024, 6, 1),
                    calibration_end=dt.date(2024, 7, 1))


def test_cli_fit_then_predict_store_results(shop: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    ws = ["--workspace", str(shop.path)]
    fitted = runner.invoke(app, [*ws, "clv", "fit", "--model", "mbgnbd",
                                 "--calibration-end", "2024-07-31"])
    assert fitted.exit_code == 0, fitted.output
    assert "ModifiedBetaGeo on 400 customers" in fitted.output and "Holdout" in fitted.output
    predicted = runner.invoke(app, [*ws, "clv", "predict", "--horizon", "6", "--unit", "months",
                                    "--format", "json"])
    assert predicted.exit_code == 0, predicted.output
    rows = json.loads(predicted.output)
    assert len(rows) == 400 and rows[0]["clv"] >= rows[-1]["clv"]
    with shop.ibis() as backend:
        stored = load_clv(backend)
    assert stored["clv_models"].model.iloc[-1] == "mbgnbd"
    assert len(stored["clv_holdout"]) > 0, "predict keeps the validation tables"
    assert stored["clv_predictions"].clv.sum() == pytest.approx(sum(r["clv"] for r in rows))
    bad = runner.invoke(app, [*ws, "clv", "fit", "--model", "nope"])
    assert bad.exit_code == 2 and "--model" in bad.output


def test_predict_without_fit_says_what_to_do(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    load("orders", clv_orders(20), workspace=ws, source="synthetic")
    result = CliRunner().invoke(app, ["--workspace", str(ws.path), "clv", "predict"])
    assert result.exit_code == 2 and "clv fit" in result.output


def test_report_shows_clv_sections(shop: Workspace, tmp_path: Path) -> None:
    html = build_report(shop, tmp_path / "r.html").read_text()
    for title in ("Customer lifetime value", "P(alive) by frequency and recency",
                  "Calibration vs holdout", "Tracking cumulative repeat purchases"):
        assert f"<h2>{title}" in html


def test_report_without_orders_says_which_import(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "empty")
    load("orders", clv_orders(0), workspace=ws, source="synthetic")
    html = build_report(ws, tmp_path / "r.html").read_text()
    assert "No data yet" in html and "loyalist clv fit" in html
