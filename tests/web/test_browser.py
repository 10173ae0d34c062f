"""The report and the dashboard in a real headless Chromium."""

from __future__ import annotations

import pytest

from loyalist.api import create_app
from loyalist.config import Settings
from loyalist.report import build_report
from tests.support.browser import chromium, live_server


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_report_opens_offline_with_charts_and_no_errors(browser, rfm_workspace):
    path = build_report(rfm_workspace)
    page = browser.new_page()
    requests, errors = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def block(route):
        requests.append(route.request.url)
        route.abort()

    page.route("http*://**/*", block)  # no network: any request would be recorded and fail
    page.goto(path.as_uri())
    assert requests == [] and errors == []
    assert page.locator("svg.chart rect").count() >= 1
    assert page.locator("table.grid").count() == 3  # retention, RFM grid, migration
    assert page.get_by_role("heading", name="Best customers").is_visible()
    page.close()


@pytest.fixture
def dashboard(rfm_workspace):
    app = create_app(Settings(workspace=rfm_workspace.path), open_access=True)
    with live_server(app) as url:
        yield url


def _grid_total(page):
    cells = page.locator("table.grid a.drill").all_inner_texts()
    return sum(int(c.replace(",", "")) for c in cells)


def test_dashboard_filter_drill_down_and_customer(browser, dashboard):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(dashboard + "/?as_of=2024-03-31")
    assert page.title() == "Overview" and _grid_total(page) == 5
    # a filter changes the numbers: on 2024-01-31 only two customers had bought
    page.fill("input[name=as_of]", "2024-01-31")
    page.click("form.filters button")
    page.wait_for_url("**as_of=2024-01-31**")
    assert _grid_total(page) == 2
    # drill down from a segment row: the list has as many customers as the number clicked
    page.goto(dashboard + "/?as_of=2024-03-31")
    row = page.locator("tr", has=page.locator("a.drill", has_text="At risk"))
    clicked = int(row.locator("td").nth(1).inner_text())
    row.locator("a.drill").click()
    page.wait_for_url("**/customers?**")
    assert int(page.locator("#customer-count").inner_text()) == clicked
    assert page.locator("a.customer").count() == clicked
    # and from a grid cell
    page.goto(dashboard + "/?as_of=2024-03-31")
    cell = page.locator("table.grid a.drill").first
    number = int(cell.inner_text())
    cell.click()
    page.wait_for_url("**/customers?**")
    assert int(page.locator("#customer-count").inner_text()) == number
    # each customer opens its 360 page
    page.locator("a.customer").first.click()
    page.wait_for_url("**/customers/*")
    assert page.title().startswith("Customer ")
    assert page.get_by_role("heading", name="Segment history").is_visible()
    assert errors == []
    page.close()


def test_dashboard_asks_for_a_key(browser, rfm_workspace):
    app = create_app(Settings(workspace=rfm_workspace.path))
    key = app.state.keys.create("viewer", "browser")
    with live_server(app) as url:
        page = browser.new_page()
        page.goto(url + "/")
        assert page.url.endswith("/login")
        page.fill("input[name=key]", "lk_wrong_key")
        page.click("button")
        assert "not valid" in page.content()
        page.goto(url + "/login")
        page.fill("input[name=key]", key)
        page.click("button")
        page.wait_for_url(url + "/")
        assert page.title() == "Overview"
        page.close()


def test_answer_a_survey_from_a_signed_link(browser, rfm_workspace):
    from tests.surveys.conftest import NPS

    app = create_app(Settings(workspace=rfm_workspace.path))
    service = app.state.surveys
    service.define(NPS)
    token = service.invite("nps", "c")
    with live_server(app) as url:
        page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        page.goto(f"{url}/s/{token}")
        page.get_by_label("9", exact=True).check()
        page.get_by_label("A friend").check()
        page.fill("textarea", "Quick delivery")
        page.get_by_role("button", name="Send").click()
        # the answer is a form POST and a new page: wait for it instead of racing it
        thanks = page.get_by_role("heading", name="Thank you!")
        thanks.wait_for(state="visible", timeout=15_000)
        assert thanks.is_visible()
        page.goto(f"{url}/s/{token}")
        assert "already answered" in page.content()
        page.close()
    from loyalist.surveys.summary import nps_summary

    assert nps_summary(service.engine, "nps") == {
        "n": 1, "promoters": 1, "passives": 0, "detractors": 0, "nps": 100.0,
        "rewarded_share": 1.0}
