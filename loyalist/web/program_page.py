"""The loyalty program page: members, earners, points liability, redemptions, tiers.

Numbers come from the operational store (the ledger of the program in force); the repeat
purchase comparison joins the program's members to the workspace's customers by id.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyalist.data.views import tables
from loyalist.loyalty.applied import LedgerSource, NoProgramError
from loyalist.loyalty.ledger import Ledger
from loyalist.loyalty.program_stats import program_summary, repeat_rate_by_membership
from loyalist.report.charts import bar_chart
from loyalist.report.html import Section, card
from loyalist.report.tables import table
from loyalist.store.workspace import Workspace
from loyalist.web.pages import _allowed, _page

router = APIRouter(include_in_schema=False)


def _headline(stats: dict[str, Any], currency: str) -> Section:
    value = stats["liability_value"]
    rate = stats["redemption_rate"]
    cards = (card("Members", f"{stats['members']:,}")
             + card("Active earners (30 days)", f"{stats['active_earners_30d']:,}")
             + card("Points liability", f"{stats['liability_points']:,} pts")
             + card("Liability value", "-" if value is None else f"{value:,.2f} {currency}")
             + card("Redemption rate", "-" if rate is None else f"{rate:.1%}"))
    return Section("Program", f'<div class="cards">{cards}</div>',
                   "Liability: points members still hold (available and pending), valued at the "
                   "catalogue's median value per point. Redemption rate: points spent / points "
                   "earned since the start. Active earners: members who earned in the last 30 "
                   "days.")


def _tiers(stats: dict[str, Any]) -> Section:
    tiers: dict[str, int] = stats["tiers"]
    if not tiers:
        return Section("Tiers", '<p class="absent">The program has no tiers.</p>')
    total = sum(tiers.values()) or 1
    chart = bar_chart(list(tiers), [float(n) for n in tiers.values()],
                      title="Members per tier")
    return Section("Tiers", chart + table(["tier", "members", "share"], [
        (tier, n, f"{n / total:.1%}") for tier, n in tiers.items()]), "Members per tier today.")


def _repeat(request: Request, ledger: Ledger) -> Section:
    workspace = Workspace(request.app.state.settings.workspace)
    with workspace.ibis() as backend:
        frame = backend.execute(repeat_rate_by_membership(tables(backend)["orders"],
                                                          ledger.member_ids()))
    if frame.empty:
        return Section("Members vs non-members", '<p class="absent">No orders imported yet.</p>')
    rows = {r.group: r for r in frame.itertuples()}
    return Section("Members vs non-members", table(
        ["group", "customers with orders", "repeat purchase rate"],
        [(g, int(rows[g].customers), f"{float(rows[g].repeat_purchase_rate):.1%}")
         for g in ("members", "non-members") if g in rows]),
        "Repeat purchase rate: share of customers with two or more orders. Members are program "
        "members whose id is a customer id in the workspace. A difference is not proof that "
        "the program caused it: loyal customers are likelier to join.")


@router.get("/program", response_class=HTMLResponse)
def program_page(request: Request) -> Response:
    """Loyalty program health: members, earners, liability, redemption rate, tiers."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    source: LedgerSource = request.app.state.loyalty
    try:
        ledger = source.ledger()
    except NoProgramError as exc:
        return _page("Loyalty program", [Section("Loyalty program",
                     f'<p class="absent">{escape(exc.message)}.</p>')])
    stats = program_summary(ledger, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    sections = [_headline(stats, ledger.program.currency), _tiers(stats),
                _repeat(request, ledger)]
    return _page(f"Loyalty program {ledger.program.name or ledger.program.id}", sections)
