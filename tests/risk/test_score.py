"""Declarative score on hand-computed signals; spec validation; explanations."""

from __future__ import annotations

import ibis
import pytest

from loyalist.risk.score import explain, score_signals
from loyalist.risk.spec import SpecError, load_spec, parse_spec

SPEC = {"grades": {"yellow": 40, "red": 70}, "missing": "neutral", "signals": {
    "purchase_drop": {"weight": 2, "red_at": 0.8},
    "failed_payments": {"weight": 1, "red_at": 2, "forces_red": True},
    "renewal_days": {"weight": 1, "red_at": 30, "direction": "below"},
    "low_nps": {"weight": 1, "red_at": 5, "missing": "risk"},
}}


def _score(rows, spec=SPEC):
    table = ibis.memtable({k: [r.get(k) for r in rows] for k in (
        "customer_id", "purchase_drop", "failed_payments", "renewal_days", "low_nps")},
        schema={"customer_id": "string", "purchase_drop": "float64",
                "failed_payments": "float64", "renewal_days": "float64", "low_nps": "float64"})
    out = ibis.duckdb.connect().execute(score_signals(table, parse_spec(spec)))
    return out.set_index("customer_id")


def test_parts_score_and_grades():
    """x: purchase_drop 0.4 -> 2 x 0.5 = 1; failed 1 -> 1 x 0.5; renewal 60 days -> 1 x 30/60;
    low_nps missing -> risk: 1. Score 100 x 3 / 5 = 60 (yellow).
    y: drop missing (neutral: left out), failed 2 -> forced red, renewal 10 -> 1, nps 0 -> 0;
    score 100 x 2 / 3."""
    out = _score([
        {"customer_id": "x", "purchase_drop": 0.4, "failed_payments": 1, "renewal_days": 60},
        {"customer_id": "y", "failed_payments": 2, "renewal_days": 10, "low_nps": 0},
        {"customer_id": "z", "purchase_drop": 0.0, "failed_payments": 0, "low_nps": 0},
    ])
    assert out.loc["x", "score"] == pytest.approx(60.0)
    assert out.loc["x", "grade"] == "yellow"
    assert out.loc["y", "score"] == pytest.approx(200 / 3)
    assert out.loc["y", "forced_red"] and out.loc["y", "grade"] == "red"
    assert out.loc["z", "score"] == 0.0 and out.loc["z", "grade"] == "green"
    parts = explain(out.loc["x"].to_dict(), parse_spec(SPEC))
    assert parts[0] == ("purchase_drop", pytest.approx(20.0))
    assert sum(p for _, p in explain(out.loc["x"].to_dict(), parse_spec(SPEC), top=9)) == \
        pytest.approx(60.0)


@pytest.mark.parametrize(("change", "key"), [
    ({"signals": {"purchse_drop": {"weight": 1, "red_at": 1}}}, "signals.purchse_drop"),
    ({"signals": {"purchase_drop": {"weight": 0, "red_at": 1}}}, "signals.purchase_drop.weight"),
    ({"signals": {"purchase_drop": {"weight": 1}}}, "signals.purchase_drop.red_at"),
    ({"signals": {"purchase_drop": {"weight": 1, "red_at": 1, "colour": "red"}}},
     "signals.purchase_drop.colour"),
    ({"signals": {"purchase_drop": {"weight": 1, "red_at": 1, "direction": "up"}}},
     "signals.purchase_drop.direction"),
    ({"missing": "ignore"}, "missing"),
    ({"grades": {"yellow": 80, "red": 70}}, "grades"),
    ({"weights": {}}, "weights"),
    ({"signals": {}}, "signals"),
])
def test_spec_validator_names_bad_keys(change, key):
    with pytest.raises(SpecError) as info:
        parse_spec({**SPEC, **change})
    assert info.value.details["key"] == key


def test_default_spec_and_files(tmp_path):
    spec = load_spec()
    assert {r.name for r in spec.rules} >= {"purchase_drop", "failed_payments", "low_nps"}
    path = tmp_path / "s.yaml"
    path.write_text("signals: {low_nps: {weight: 1, red_at: 5}}\n")
    assert [r.name for r in load_spec(path).rules] == ["low_nps"]
    path.write_text("signals: [\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(path)
    with pytest.raises(SpecError, match="no health spec"):
        load_spec("strict")
