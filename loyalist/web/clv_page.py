"""Dashboard page ``/clv``: the stored CLV model's charts, top customers and band drill-down.

Reads what ``loyalist clv fit`` stored (never fits on a request); the workspace is opened per
request and closed again.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyalist.api.cache import remember
from loyalist.api.pages import count_rows
from loyalist.clv.stored import predictions
from loyalist.data.views import tables
from loyalist.errors import NotFoundError
from loyalist.report.clv import FILL, clv_bands, clv_sections
from loyalist.report.html import Section, absent
from loyalist.report.tables import table
from loyalist.store.workspace import Workspace
from loyalist.web.pages import PAGE_SIZE, _allowed, _page

router = APIRouter(include_in_schema=False)
TOP = 20
COLUMNS = ["customer", "P(alive)", "expected purchases", "expected spend", "CLV"]


def band_url(low: float, high: float) -> str:
    """The drill-down page of the customers with ``low <= clv < high``."""
    query = {"min_clv": f"{low:g}"} | ({} if high == float("inf") else {"max_clv": f"{high:g}"})
    return "/clv/customers?" + urlencode(query)


def _customer_rows(frame: Any) -> str:
    rows = [(f"\x00{c.customer_id}", f"{c.p_alive:.0%}", float(c.expected_purchases),
             float(c.expected_spend), float(c.clv)) for c in frame.itertuples()]
    html = table(COLUMNS, rows)
    parts = html.split("\x00")  # table() escapes text; \x00 tags the customer-id cells
    out = [parts[0]]
    for part in parts[1:]:
        cid, rest = part.split("<", 1)
        out.append(f'<a class="customer" href="/customers/{cid}">{cid}</a><{rest}')
    return "".join(out)


def _band_table(pred: Any) -> str:
    rows = "".join(
        f'<tr><td class="t">{escape(label)}</td><td><a class="drill" '
        f'href="{escape(band_url(lo, hi))}">{n:,}</a></td></tr>'
        for label, lo, hi, n in clv_bands(pred))
    return (f'<table id="clv-bands"><thead><tr><th>12-month CLV</th><th>customers</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


@router.get("/clv", response_class=HTMLResponse)
def clv_page(request: Request) -> Response:
    """CLV distribution (bars link to their customers), P(alive) matrix, holdout, tracking."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    workspace = Workspace(request.app.state.settings.workspace)
    with workspace.ibis() as backend:
        try:  # the charts read every stored prediction: built once per workspace state
            sections = remember(workspace, ("clv_page",), lambda: _clv_sections(backend))
        except NotFoundError:
            return _page("Customer lifetime value", [absent("Customer lifetime value", FILL)])
    return _page("Customer lifetime value", sections)


def _clv_sections(backend: Any) -> list[Section]:
    ranked = predictions(backend)  # NotFoundError when CLV was never fitted
    top = backend.execute(ranked.limit(TOP))
    pred = backend.execute(ranked.select("clv"))
    sections = clv_sections(backend, tables(backend), None, band_url)
    sections[1:1] = [
        Section("Customers by CLV band", _band_table(pred),
                "Click a number (or a bar above) to list the customers in that band."),
        Section(f"Top {TOP} customers by CLV", _customer_rows(top),
                "Click a customer for the 360 page."),
    ]
    return sections


@router.get("/clv/customers", response_class=HTMLResponse)
def clv_customers(request: Request,
                  min_clv: Annotated[float | None, Query(ge=0, le=1e12)] = None,
                  max_clv: Annotated[float | None, Query(ge=0, le=1e12)] = None,
                  page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
                  ) -> Response:
    """The customers in a CLV band, most valuable first."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    with Workspace(request.app.state.settings.workspace).ibis() as backend:
        try:
            ranked = predictions(backend, low=min_clv, high=max_clv)
        except NotFoundError:
            return _page("CLV customers", [absent("Customer lifetime value", FILL)])
        total = count_rows(backend, ranked)
        rows = backend.execute(ranked.limit(PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE))
    low = f"{min_clv or 0:g}"
    band = f"{low} up" if max_clv is None else f"{low} to under {max_clv:g}"
    body = (f'<p><span id="customer-count">{total:,}</span> customers with a 12-month CLV '
            f"from {escape(band)}"
            f"{f' (page {page_no}, {PAGE_SIZE} a page)' if total > PAGE_SIZE else ''}.</p>"
            + _customer_rows(rows))
    return _page("CLV customers", [Section("Customers by CLV", body)])
