"""Dashboard pages. Every number links to the customers behind it; each customer to its 360.

Pages render on the server (no JavaScript needed) from the same library calls as the API and
the report; the DuckDB workspace is opened per request and closed again.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyalist.access.keys import AuthError, KeyStore, require_role
from loyalist.api.auth import COOKIE, OPEN_KEY, token_of
from loyalist.api.cache import cached, cached_segments, clv_prediction, customer_view
from loyalist.data.views import tables
from loyalist.errors import LoyalistError
from loyalist.metrics import headline, orders_by_month
from loyalist.report.charts import bar_chart
from loyalist.report.html import Section, card, page
from loyalist.report.surveys import survey_sections
from loyalist.report.tables import heat_grid, table
from loyalist.segments.dates import resolve_as_of
from loyalist.segments.maps import SegmentMap, load_map, shipped_maps
from loyalist.segments.movement import best_customers, segment_summary
from loyalist.store.workspace import Workspace

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100


def _allowed(request: Request) -> bool:
    if request.app.state.open_access:
        return True
    store: KeyStore = request.app.state.keys
    try:
        require_role(store.verify(token_of(request)), "viewer")
    except (AuthError, LoyalistError):
        return False
    return True


def _filters(as_of: dt.date, seg_map: str, extra: str = "") -> str:
    options = "".join(f'<option{" selected" if m == seg_map else ""}>{escape(m)}</option>'
                      for m in shipped_maps())
    return (f'<form class="filters" method="get"><label>As of <input type="date" name="as_of" '
            f'value="{as_of.isoformat()}"></label> <label>Segment map <select name="map">'
            f"{options}</select></label>{extra} <button type=\"submit\">Apply</button></form>")


def _page(title: str, sections: list[Section], filters: str = "") -> HTMLResponse:
    nav = ('<nav><a href="/">Overview</a> · <a href="/customers">Customers</a> · '
           '<a href="/clv">CLV</a> · <a href="/metrics">Metrics</a> · '
           '<a href="/surveys">Surveys</a> · <a href="/program">Program</a> · '
           '<a href="/tasks">Tasks</a> · '
           '<a href="/docs">API</a></nav>')
    html = page(title, "loyalist dashboard", [Section("", nav + filters), *sections])
    return HTMLResponse(html.replace("<section><h2></h2>", '<section class="bar">', 1))


def _map(name: str) -> SegmentMap:
    return load_map(name if name in shipped_maps() else "rf-grid")


def _segments(request: Request, backend: Any, as_of: dt.date | None,
              seg_map: SegmentMap) -> tuple[dict[str, Any], dt.date, Any]:
    t = tables(backend)
    day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
    workspace = Workspace(request.app.state.settings.workspace)
    return t, day, cached_segments(workspace, backend, t, day, seg_map)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, as_of: dt.date | None = None,
             map: Annotated[str, Query()] = "rf-grid") -> Response:
    """Headline numbers, orders per month, the RFM grid and segments, all drillable."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    seg_map = _map(map)
    with Workspace(request.app.state.settings.workspace).ibis() as backend:
        t, day, seg = _segments(request, backend, as_of, seg_map)
        workspace = Workspace(request.app.state.settings.workspace)
        head = backend.execute(cached(workspace, backend, ("headline",), lambda: headline(
            t["orders"], t["customers"]))).iloc[0].to_dict()
        monthly = backend.execute(cached(workspace, backend, ("monthly",), lambda: (
            orders_by_month(t["orders"]))).order_by("month"))
        grid = backend.execute(seg.group_by(["r", "f"]).aggregate(n=seg.customer_id.count()))
        summary = backend.execute(segment_summary(seg))
    query = {"as_of": day.isoformat(), "map": seg_map.name}
    cells = {(int(g.r), int(g.f)): (float(g.n), f"{int(g.n):,}") for g in grid.itertuples()}
    links = {k: "/customers?" + urlencode({**query, "r": k[0], "f": k[1]}) for k in cells}
    seg_rows = "".join(
        f'<tr><td class="t"><a class="drill" href="/customers?{urlencode({**query, "segment": s.segment})}">'  # noqa: E501
        f"{escape(s.segment)}</a></td><td>{int(s.customers):,}</td><td>{s.revenue:,.0f}</td>"
        f"<td>{s.revenue_share:.1%}</td></tr>" for s in summary.itertuples())
    sections = [
        Section("Headline", '<div class="cards">' + card("Customers",
                f"{int(head['customers']):,}") + card("Orders", f"{int(head['orders']):,}")
                + card("Revenue", f"{float(head['revenue'] or 0):,.0f}") + card(
                "Repeat purchase rate", f"{float(head['repeat_purchase_rate'] or 0):.1%}")
                + "</div>"),
        Section("Orders per month", bar_chart([m.strftime("%Y-%m") for m in monthly["month"]],
                [float(v) for v in monthly["orders"]], title="Orders per month")),
        Section(f"RFM grid as of {day}", heat_grid("recency score", "frequency score",
                [5, 4, 3, 2, 1], [1, 2, 3, 4, 5], cells, links),
                "Click a number to list the customers in that cell."),
        Section("Segments", "<table><thead><tr><th>segment</th><th>customers</th>"
                f"<th>revenue</th><th>share of revenue</th></tr></thead><tbody>{seg_rows}"
                "</tbody></table>", "Click a segment to list its customers."),
    ]
    return _page("Overview", sections, _filters(day, seg_map.name))


@router.get("/customers", response_class=HTMLResponse)
def customers(request: Request, as_of: dt.date | None = None,
              map: Annotated[str, Query()] = "rf-grid", segment: str | None = None,
              r: Annotated[int | None, Query(ge=1, le=5)] = None,
              f: Annotated[int | None, Query(ge=1, le=5)] = None,
              page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> Response:
    """The customers behind a number: a segment, a grid cell, or everyone."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    seg_map = _map(map)
    with Workspace(request.app.state.settings.workspace).ibis() as backend:
        _t, day, seg = _segments(request, backend, as_of, seg_map)
        for column, wanted in (("segment", segment), ("r", r), ("f", f)):
            if wanted is not None:
                seg = seg.filter(seg[column] == wanted)
        total = int(backend.execute(seg.count()))
        rows = backend.execute(best_customers(seg).limit(PAGE_SIZE,
                                                         offset=(page_no - 1) * PAGE_SIZE))
    what = " · ".join(f"{k} {v}" for k, v in (("segment", segment), ("r", r), ("f", f)) if v)
    listing = table(["customer", "segment", "recency (days)", "orders", "value"], [
        (f"\x00{c.customer_id}", c.segment, int(c.recency_days), int(c.frequency),
         float(c.monetary)) for c in rows.itertuples()])
    listing = _link_customers(listing, day)
    body = (f'<p><span id="customer-count">{total:,}</span> customers'
            f"{' in ' + escape(what) if what else ''} as of {day}"
            f"{f' (page {page_no}, {PAGE_SIZE} a page)' if total > PAGE_SIZE else ''}.</p>"
            + listing)
    hidden = "".join(f'<input type="hidden" name="{k}" value="{escape(str(v))}">'
                     for k, v in (("segment", segment), ("r", r), ("f", f)) if v)
    return _page("Customers", [Section("Customers", body)],
                 _filters(day, seg_map.name, hidden))


def _link_customers(html: str, day: dt.date) -> str:
    # table() escapes text; the \x00 marker tags the cells that hold customer ids
    parts = html.split("\x00")
    out = [parts[0]]
    for part in parts[1:]:
        cid, rest = part.split("<", 1)
        out.append(f'<a class="customer" href="/customers/{cid}?as_of={day}">{cid}</a><{rest}')
    return "".join(out)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer(request: Request, customer_id: str, as_of: dt.date | None = None) -> Response:
    """Customer 360 page."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    workspace = Workspace(request.app.state.settings.workspace)
    seg_map = _map("rf-grid")
    with workspace.ibis() as backend:
        t = tables(backend)
        day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
        view = customer_view(workspace, backend, t, customer_id, day, seg_map)
        clv = clv_prediction(workspace, backend, customer_id)
    sections = _customer_sections(view)
    if clv is not None:
        sections.insert(1, _clv_section(clv))
    return _page(f"Customer {customer_id}", sections)


def _clv_section(clv: dict[str, Any]) -> Section:
    def num(key: str, text: str) -> str:
        value = clv.get(key)
        return "-" if value is None else text.format(value)

    return Section("Customer lifetime value", '<div class="cards">'
                   + card("P(alive)", num("p_alive", "{:.0%}"))
                   + card("Expected purchases", num("expected_purchases", "{:.2f}"))
                   + card("CLV", num("clv", "{:,.2f}")) + "</div>",
                   "From the model stored by `loyalist clv fit`: probability the customer is "
                   "still active, expected purchases and discounted spend over the horizon of "
                   "the last `loyalist clv predict` (12 months by default).")


def _customer_sections(view: dict[str, Any]) -> list[Section]:
    money, sat = view["money"], view["satisfaction"]
    value = view["value"] or {}
    parts = [(k.removesuffix("_contribution"), v) for k, v in value.items()
             if k.endswith("_contribution")]
    return [
        Section("Money", '<div class="cards">' + card("Orders", f"{money['orders']:,}")
                + card("Revenue", f"{money['revenue'] or 0:,.2f}") + card(
                "Refunded", f"{money['refunded']:,.2f}") + card(
                "Last order", str(money["last_order"])[:10]) + "</div>"
                + table(["order", "date", "amount"], [(o["order_id"], str(o["ordered_at"])[:16],
                        o["amount"]) for o in money["recent_orders"]])),
        Section("Segment history", table(["as of", "segment", "r", "f", "m"], [
            (h["as_of"], h["segment"], h.get("r"), h.get("f"), h.get("m"))
            for h in view["segments"]])),
        Section("Value", f"<p>Value score <b>{value.get('value_score', 0):.1f}</b></p>"
                + table(["part", "contribution"], parts)),
        Section("Satisfaction and usage", table(["measure", "value"], [
            ("last NPS", sat["last_nps"]), ("CSAT mean", sat["csat_mean"]),
            ("tickets", sat["tickets"]), ("open tickets", sat["open_tickets"]),
            ("events (30 days)", view["usage"]["events_30d"])])),
    ]


@router.get("/surveys", response_class=HTMLResponse)
def survey_page(request: Request) -> Response:
    """NPS over time with its interval, CSAT after support, comment themes and sentiment."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    with Workspace(request.app.state.settings.workspace).ibis() as backend:
        sections = survey_sections(backend, tables(backend))
    return _page("Surveys", sections)


@router.get("/login", response_class=HTMLResponse)
def login_form() -> HTMLResponse:
    """Ask for an API key."""
    form = ('<form method="post" action="/login"><label>API key <input name="key" '
            'type="password" autocomplete="off"></label> <button>Sign in</button></form>')
    return HTMLResponse(page("Sign in", "loyalist dashboard", [Section("Sign in", form)]))


@router.post("/login")
def login(request: Request, key: Annotated[str, Form(max_length=200)]) -> Response:
    """Check the key and keep it in an HttpOnly, same-site cookie."""
    store: KeyStore = request.app.state.keys
    try:
        require_role(store.verify(key), "viewer")
    except LoyalistError:
        return HTMLResponse(page("Sign in", "loyalist dashboard", [Section(
            "Sign in", '<p class="absent">That key is not valid.</p><a href="/login">Try again'
            "</a>")]), status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, key, httponly=True, samesite="strict")
    return response


__all__ = ["OPEN_KEY", "router"]
