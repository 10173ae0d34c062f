"""The loyalty program page in a real headless Chromium."""

from __future__ import annotations

import pytest

from loyalist.api import create_app
from loyalist.config import Settings
from loyalist.loyalty.applied import LedgerSource, apply_program
from loyalist.loyalty.program import EXAMPLE
from tests.support.browser import chromium, live_server


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _cards(page):
    keys = page.locator(".card .k").all_text_contents()  # the CSS upper-cases labels
    values = page.locator(".card .v").all_inner_texts()
    return dict(zip(keys, values, strict=True))


def test_program_page_shows_liability_tiers_and_members_vs_others(browser, rfm_workspace):
    app = create_app(Settings(workspace=rfm_workspace.path), open_access=True)
    with live_server(app) as url:
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/program")
        assert "loyalist program apply" in page.content()  # no program yet
        apply_program(app.state.keys.engine, EXAMPLE.read_text())
        ledger = LedgerSource(app.state.keys.engine).ledger()
        ledger.earn("a", 1200, key="a-1")  # a and b are shop customers, x is not
        ledger.earn("b", 100, key="b-1")
        ledger.earn("x", 50, key="x-1")
        ledger.spend("a", 300, key="a-2")
        page.goto(url + "/")
        page.get_by_role("link", name="Program").click()
        page.wait_for_url("**/program")
        assert page.title() == "Loyalty program Example Rewards"
        cards = _cards(page)
        assert cards["Members"] == "3" and cards["Active earners (30 days)"] == "3"
        assert cards["Points liability"] == "1,050 pts"
        assert cards["Liability value"] == "10.50 EUR"
        assert cards["Redemption rate"] == "22.2%"
        assert page.locator("svg.chart rect").count() == 3  # member, silver, gold
        tiers = page.locator("section", has=page.get_by_role("heading", name="Tiers"))
        assert [r.split("\t")[:2] for r in tiers.locator("tbody tr").all_inner_texts()] == [
            ["member", "2"], ["silver", "1"], ["gold", "0"]]
        rows = page.locator("section", has=page.get_by_role(
            "heading", name="Members vs non-members")).locator("tbody tr").all_inner_texts()
        assert [r.split("\t") for r in rows] == [["members", "2", "50.0%"],
                                                 ["non-members", "3", "66.7%"]]
        assert errors == []
        page.close()


def test_program_page_needs_a_key(browser, rfm_workspace):
    app = create_app(Settings(workspace=rfm_workspace.path))
    with live_server(app) as url:
        page = browser.new_page()
        page.goto(url + "/program")
        assert page.url.endswith("/login")
        page.close()
