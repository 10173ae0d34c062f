"""The task queue page in a real headless Chromium."""

from __future__ import annotations

import datetime as dt

import pytest

from loyalist.api import create_app
from loyalist.config import Settings
from loyalist.risk.playbooks import close_task, list_tasks, parse_playbooks, run_playbooks
from tests.support.browser import chromium, live_server

BOOKS = parse_playbooks({"playbooks": [
    {"name": "call-detractors", "when": "detractor", "action": "support_call", "due_days": 2,
     "owner": "support"},
    {"name": "win-back", "when": "churned", "action": "winback", "due_days": 7,
     "owner": "marketing"},
]})


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _seed(app):
    """Open: call-detractors:a (due 01-07), win-back:d (due 01-08); done: call-detractors:c."""
    engine = app.state.keys.engine
    run_playbooks(engine, BOOKS, {("d", "churned"), ("c", "detractor")}, dt.date(2024, 1, 1))
    run_playbooks(engine, BOOKS, {("a", "detractor")}, dt.date(2024, 1, 5))
    close_task(engine, "call-detractors:c:2024-01-01", "called", day=dt.date(2024, 1, 2))
    return engine


def _ids(page):
    return [r.split("\t")[0] for r in page.locator("#tasks tbody tr").all_inner_texts()]


def test_queue_filters_close_and_outcomes(browser, rfm_workspace):
    app = create_app(Settings(workspace=rfm_workspace.path), open_access=True)
    engine = _seed(app)
    with live_server(app) as url:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/")
        page.get_by_role("link", name="Tasks").click()
        page.wait_for_url("**/tasks")
        assert page.title() == "Tasks"
        assert _ids(page) == ["call-detractors:a:2024-01-05", "win-back:d:2024-01-01",
                              "call-detractors:c:2024-01-01"]
        page.locator("#tasks a.customer").first.click()
        page.wait_for_url("**/customers/a")
        page.go_back()
        page.select_option("select[name=status]", "done")
        page.click("form.filters button")
        page.wait_for_url("**status=done**")
        assert _ids(page) == ["call-detractors:c:2024-01-01"]
        page.goto(url + "/tasks?playbook=win-back")
        assert _ids(page) == ["win-back:d:2024-01-01"]
        # c ordered within 90 days of its task (2024-01-10); d never came back; a's window
        # has not ended by the last order (2024-04-02)
        rows = page.locator("#outcomes tbody tr").all_inner_texts()
        assert [r.split("\t")[:7] for r in rows] == [
            ["call-detractors", "detractor", "2", "1", "100.0%", "-", "0.0%"],
            ["win-back", "churned", "1", "1", "-", "0.0%", "0.0%"]]
        page.goto(url + "/tasks")
        row = page.locator("#tasks tr", has_text="call-detractors:a:2024-01-05")
        row.locator("input[name=outcome]").fill("sorted out on the phone")
        row.get_by_role("button", name="Close").click()
        page.wait_for_url("**/tasks")
        closed = {t["task_id"]: t for t in list_tasks(engine)}["call-detractors:a:2024-01-05"]
        assert (closed["status"], closed["outcome"]) == ("done", "sorted out on the phone")
        assert _ids(page)[0] == "win-back:d:2024-01-01"  # the only open task leads
        assert errors == []
        page.close()


def test_closing_needs_an_analyst_key(browser, rfm_workspace):
    app = create_app(Settings(workspace=rfm_workspace.path))
    engine = _seed(app)
    viewer = app.state.keys.create("viewer", "viewer")
    analyst = app.state.keys.create("analyst", "analyst")
    with live_server(app) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/tasks")
        assert page.url.endswith("/login")
        page.fill("input[name=key]", viewer)
        page.click("button")
        page.wait_for_url(url + "/")
        page.goto(url + "/tasks")
        assert len(_ids(page)) == 3 and page.locator("form.close").count() == 0
        refused = context.request.post(url + "/tasks/close", form={
            "task_id": "win-back:d:2024-01-01", "outcome": "x"}, max_redirects=0)
        assert refused.status == 403
        assert {t["task_id"]: t["status"] for t in list_tasks(engine)}[
            "win-back:d:2024-01-01"] == "open"
        context.clear_cookies()
        page.goto(url + "/login")
        page.fill("input[name=key]", analyst)
        page.click("button")
        page.wait_for_url(url + "/")
        page.goto(url + "/tasks")
        assert page.locator("form.close").count() == 2
        row = page.locator("#tasks tr", has_text="win-back:d:2024-01-01")
        row.locator("input[name=outcome]").fill("no answer")
        row.locator("select[name=status]").select_option("dismissed")
        row.get_by_role("button", name="Close").click()
        page.wait_for_url("**/tasks")
        assert {t["task_id"]: t["status"] for t in list_tasks(engine)}[
            "win-back:d:2024-01-01"] == "dismissed"
        context.close()
