"""The /clv and /metrics dashboard pages in a real headless Chromium."""

from __future__ import annotations

import pytest

from loyalist.api import create_app
from loyalist.config import Settings
from tests.support.browser import chromium, live_server
from tests.support.clv_shop import make_clv_workspace


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    ws = make_clv_workspace(tmp_path_factory.mktemp("clv-web") / "shop")
    app = create_app(Settings(workspace=ws.path), open_access=True)
    with live_server(app) as url:
        yield url


def _count(page, selector):
    return int(page.locator(selector).inner_text().replace(",", ""))


def test_clv_page_charts_drill_down_and_360(browser, dashboard):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(dashboard + "/clv")
    assert page.title() == "Customer lifetime value"
    assert page.locator("svg.chart").first.is_visible()
    for title in ("P(alive) by frequency and recency", "Calibration vs holdout",
                  "Tracking cumulative repeat purchases", "Top 20 customers by CLV"):
        assert page.get_by_role("heading", name=title).is_visible(), title
    # drill down from a band: the list has as many customers as the number clicked
    link = page.locator("#clv-bands a.drill").nth(1)
    clicked = int(link.inner_text().replace(",", ""))
    assert clicked > 0
    link.click()
    page.wait_for_url("**/clv/customers?**")
    assert _count(page, "#customer-count") == clicked
    assert page.locator("a.customer").count() == min(clicked, 100)
    # a bar of the chart leads to the same band
    page.goto(dashboard + "/clv")
    page.locator("svg.chart a.drill").nth(1).click()
    page.wait_for_url("**/clv/customers?**")
    assert _count(page, "#customer-count") == clicked
    # a top customer opens its 360 page, which shows its CLV numbers
    page.goto(dashboard + "/clv")
    page.locator("a.customer").first.click()
    page.wait_for_url("**/customers/c*")
    assert page.title().startswith("Customer c")
    assert page.get_by_role("heading", name="Customer lifetime value").is_visible()
    assert page.get_by_text("P(alive)").is_visible()
    assert errors == []
    page.close()


def test_metrics_page_renders_and_filters_change_numbers(browser, dashboard):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(dashboard + "/metrics")
    page.select_option("select[name=name]", "orders_per_customer")
    page.click("form.filters button")
    page.wait_for_url("**name=orders_per_customer**")
    assert page.get_by_role("heading", name="orders_per_customer").is_visible()
    assert page.locator("svg.chart path").count() >= 1  # a time series gets a chart
    monthly = _count(page, "#row-count")
    assert monthly == 12
    page.select_option("select[name=period]", "week")
    page.click("form.filters button")
    page.wait_for_url("**period=week**")
    assert _count(page, "#row-count") > monthly
    # as of an earlier date, churn has fewer months
    page.select_option("select[name=name]", "churn")
    page.select_option("select[name=period]", "")
    page.fill("input[name=as_of]", "2024-06-30")
    page.click("form.filters button")
    page.wait_for_url("**name=churn**")
    assert _count(page, "#row-count") == 5  # February to June 2024
    # a bad option is a one-line message, not a crash
    page.fill("input[name=variant]", "sometimes")
    page.click("form.filters button")
    page.wait_for_url("**variant=sometimes**")
    assert "variant must be one of" in page.locator("p.absent").inner_text()
    assert errors == []
    page.close()
