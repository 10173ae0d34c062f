from __future__ import annotations

import json

from typer.testing import CliRunner

from loyalist.cli import app

runner = CliRunner()
DEFINITION = """
id: nps
title: How are we doing?
questions:
  - {id: nps, type: nps, prompt: "How likely are you to recommend us?"}
  - {id: why, type: text, prompt: "Why?"}
throttle: {cooldown_days: 30}
"""


def test_define_invite_sync_results(tmp_path):
    ws = tmp_path / "ws"
    path = tmp_path / "nps.yaml"
    path.write_text(DEFINITION)
    assert runner.invoke(app, ["-w", str(ws), "surveys", "define", str(path)]).exit_code == 0
    invited = runner.invoke(app, ["-w", str(ws), "surveys", "invite", "nps", "c1", "c2",
                                  "--format", "json"])
    links = json.loads(invited.stdout)
    assert [r["throttled"] for r in links] == [False, False]
    again = json.loads(runner.invoke(app, ["-w", str(ws), "surveys", "invite", "nps", "c1",
                                           "--format", "json"]).stdout)
    assert again[0]["throttled"] is True and again[0]["link"] is None

    from loyalist.store.operational import connect_operational, default_url
    from loyalist.surveys.service import SurveyService

    service = SurveyService(connect_operational(default_url(ws)))
    for link, score in zip(links, ("10", "2"), strict=True):
        service.respond(link["link"].rsplit("/", 1)[1], {"nps": score, "why": "ok"})
    summary = json.loads(runner.invoke(app, ["-w", str(ws), "surveys", "results"]).stdout)
    assert summary["nps"] == 0.0
    synced = runner.invoke(app, ["-w", str(ws), "surveys", "sync"])
    assert "4 loaded, 0 rejected" in synced.stdout
    monthly = json.loads(runner.invoke(app, ["-w", str(ws), "surveys", "nps", "--format",
                                             "json"]).stdout)
    assert monthly[0]["n"] == 2 and monthly[0]["nps"] == 0.0
    themes = runner.invoke(app, ["-w", str(ws), "surveys", "comments"])
    assert "2 comment(s)" in themes.stdout


def test_bad_definition_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\ntitle: t\nquestions: [{id: q, type: stars, prompt: p}]\n")
    result = runner.invoke(app, ["-w", str(tmp_path / "ws"), "surveys", "define", str(path)])
    assert result.exit_code == 2 and "questions[0].type" in result.stderr
    path.write_text("questions: [{id: q, prompt: Why?}]\n")
    broken = runner.invoke(app, ["-w", str(tmp_path / "ws"), "surveys", "define", str(path)])
    assert broken.exit_code == 2 and broken.stderr.count("\n") == 1
    assert "not valid YAML: expected ',' or '}', but got '?' (line 1" in broken.stderr
    missing = runner.invoke(app, ["-w", str(tmp_path / "ws"), "surveys", "define",
                                  str(tmp_path / "no")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
