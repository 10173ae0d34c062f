from __future__ import annotations

import json

from typer.testing import CliRunner

from loyalist.cli import app

runner = CliRunner()


def run(ws, *args):
    return runner.invoke(app, ["--workspace", str(ws.path), *map(str, args)])


def test_segments_rfm_json(rfm_workspace):
    result = run(rfm_workspace, "segments", "rfm", "--as-of", "2024-03-31", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["segment"]: r["customers"] for r in rows} == {
        "Champions": 1, "Loyal": 1, "About to sleep": 1, "At risk": 1, "Lost": 1}


def test_segments_compare_and_per_customer(rfm_workspace):
    moves = json.loads(run(rfm_workspace, "segments", "rfm", "--as-of", "2024-03-31",
                           "--compare", "2024-01-31", "--format", "json").stdout)
    assert {"segment_before": "Need attention", "segment": "At risk", "customers": 1} in moves
    per = json.loads(run(rfm_workspace, "segments", "rfm", "--as-of", "2024-03-31",
                         "--per-customer", "--format", "csv").stdout.splitlines()[0].split(",")
                     .__repr__().replace("'", '"'))
    assert "segment" in per and "recency_days" in per


def test_best_and_falling_off(rfm_workspace):
    best = json.loads(run(rfm_workspace, "customers", "best", "--as-of", "2024-03-31",
                          "--limit", "2", "--format", "json").stdout)
    assert [b["customer_id"] for b in best] == ["a", "e"]
    falling = json.loads(run(rfm_workspace, "customers", "falling-off", "--as-of", "2024-03-31",
                             "--since", "60", "--format", "json").stdout)
    assert [f["customer_id"] for f in falling] == ["c"]
    assert falling[0]["reason"].startswith("moved from Need attention to At risk")


def test_value_customer_and_errors(rfm_workspace, tmp_path):
    weights = tmp_path / "w.yaml"
    weights.write_text("referrals: 0\nrevenue: 1\n")
    rows = json.loads(run(rfm_workspace, "value", "--weights", weights, "--as-of", "2024-03-31",
                          "--format", "json").stdout)
    assert rows[0]["customer_id"] == "c"  # highest net revenue by 2024-03-31
    latest = json.loads(run(rfm_workspace, "value", "--weights", weights, "--format",
                            "json").stdout)
    assert latest[0]["customer_id"] == "a"  # default as-of: the last order (a's 999 on 04-02)
    text = run(rfm_workspace, "customer", "c", "--as-of", "2024-03-31")
    assert text.exit_code == 0 and "value score" in text.stdout and "At risk" in text.stdout
    missing = run(rfm_workspace, "customer", "nobody")
    assert missing.exit_code == 2 and missing.stderr == "error: no customer 'nobody'\n"
    weights.write_text("refferals: 1\n")
    bad = run(rfm_workspace, "value", "--weights", weights)
    assert bad.exit_code == 2 and "unknown key 'refferals'" in bad.stderr
    bad_map = run(rfm_workspace, "segments", "rfm", "--map", "nope")
    assert bad_map.exit_code == 2 and "no segment map" in bad_map.stderr
