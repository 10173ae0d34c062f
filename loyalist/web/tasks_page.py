"""The task queue page: open tasks first by due date, filters, closing with an outcome, outcomes.

Reading needs a viewer key like every page; closing a task is a write and needs an analyst key
(the dashboard's cookie, or open access on 127.0.0.1).
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loyalist.access.keys import KeyStore, require_role
from loyalist.api.auth import token_of
from loyalist.data.frames import records
from loyalist.data.views import tables
from loyalist.errors import LoyalistError
from loyalist.report.html import Section
from loyalist.report.tables import table
from loyalist.risk.outcomes import measure_outcomes
from loyalist.risk.playbooks import TASK_STATUS, close_task, list_entries, list_tasks
from loyalist.segments.dates import resolve_as_of
from loyalist.store.workspace import Workspace
from loyalist.web.pages import _allowed, _page

router = APIRouter(include_in_schema=False)
OUTCOME_COLUMNS = ("playbook", "state", "tasks", "measured", "stayed", "came_back", "referred",
                   "baseline", "baseline_measured", "baseline_stayed", "baseline_came_back",
                   "baseline_referred")


def _engine(request: Request) -> sa.Engine:
    store: KeyStore = request.app.state.keys
    return store.engine


def _may_write(request: Request) -> bool:
    if request.app.state.open_access:
        return True
    store: KeyStore = request.app.state.keys
    try:
        require_role(store.verify(token_of(request)), "analyst")
    except LoyalistError:
        return False
    return True


def _filters(status: str, playbook: str, playbooks: list[str]) -> str:
    def options(values: list[str], chosen: str) -> str:
        return "".join(f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>'
                       f"{escape(v or 'all')}</option>" for v in ["", *values])

    return (f'<form class="filters" method="get" action="/tasks"><label>Status <select '
            f'name="status">{options(list(TASK_STATUS), status)}</select></label> <label>'
            f'Playbook <select name="playbook">{options(playbooks, playbook)}</select></label> '
            '<button type="submit">Apply</button></form>')


def _close_form(task_id: str) -> str:
    return ('<form class="close" method="post" action="/tasks/close">'
            f'<input type="hidden" name="task_id" value="{escape(task_id)}">'
            '<input name="outcome" required maxlength="300" placeholder="outcome" '
            'aria-label="outcome"> <select name="status" aria-label="close as">'
            '<option>done</option><option>dismissed</option></select> '
            '<button type="submit">Close</button></form>')


def _queue(rows: list[dict[str, Any]], writable: bool) -> str:
    head = ["task", "customer", "playbook", "owner", "due", "status", "credit", "outcome"]
    if not rows:
        return '<p class="absent">No tasks. Run playbooks with `loyalist tasks run FILE`.</p>'
    body = []
    for r in rows:
        cid = escape(str(r["customer_id"]))
        action = _close_form(r["task_id"]) if writable and r["status"] == "open" else ""
        cells = [escape(r["task_id"]),
                 f'<a class="customer" href="/customers/{quote(str(r["customer_id"]))}">'
                 f"{cid}</a>", escape(r["playbook"]), escape(r["owner"]), str(r["due_on"]),
                 escape(r["status"]), escape(r.get("credit") or ""),
                 escape(r.get("outcome") or "") + action]
        body.append('<tr class="task">' + "".join(
            f'<td class="t">{c}</td>' for c in cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    return (f'<table id="tasks"><thead><tr>{header}</tr></thead><tbody>{"".join(body)}'
            "</tbody></table>")


def _outcomes(request: Request, rows: list[dict[str, Any]], engine: sa.Engine) -> Section:
    caption = ("Per playbook, of the tasks whose 90-day window has ended (measured): the share "
               "of customers who ordered in the window (stayed; came back for win-back tasks "
               "on churned customers) or referred someone, next to the baseline: customers who "
               "entered the same state in the same month but got no task.")
    with Workspace(request.app.state.settings.workspace).ibis() as backend:
        t = tables(backend)
        try:
            day = resolve_as_of(backend, t, None)
        except LoyalistError:
            return Section("Outcomes", '<p class="absent">No orders imported yet.</p>')
        frame = backend.execute(measure_outcomes(t, rows, as_of=day,
                                                 entries=list_entries(engine)))
    data = records(frame)
    if not data:
        return Section("Outcomes", '<p class="absent">No tasks to measure yet.</p>', caption)
    return Section(f"Outcomes as of {day}", '<div id="outcomes">' + table(
        [c.replace("_", " ") for c in OUTCOME_COLUMNS],
        [[_share(c, r[c]) for c in OUTCOME_COLUMNS] for r in data]) + "</div>", caption)


def _share(column: str, value: Any) -> Any:
    """Shares as percentages ("-": nothing measured); counts and names as they are."""
    if column.endswith(("stayed", "came_back", "referred")):
        return "-" if value is None else f"{float(value):.1%}"
    return value


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, status: str = "", playbook: str = "") -> Response:
    """The task queue (open first, then by due date) with filters, and measured outcomes."""
    if not _allowed(request):
        return RedirectResponse("/login", status_code=303)
    engine = _engine(request)
    everything = list_tasks(engine)
    rows = [r for r in everything if (not status or r["status"] == status)
            and (not playbook or r["playbook"] == playbook)]
    rows.sort(key=lambda r: (r["status"] != "open", r["due_on"], r["task_id"]))
    playbooks = sorted({r["playbook"] for r in everything})
    count = f'<p><span id="task-count">{len(rows)}</span> task(s).</p>'
    sections = [Section("Task queue", count + _queue(rows, _may_write(request))),
                _outcomes(request, everything, engine)]
    return _page("Tasks", sections, _filters(status, playbook, playbooks))


@router.post("/tasks/close")
def close(request: Request, task_id: Annotated[str, Form(max_length=300)],
          outcome: Annotated[str, Form(min_length=1, max_length=300)],
          status: Annotated[str, Form()] = "done") -> Response:
    """Close a task with its outcome (analyst key needed)."""
    if not _may_write(request):
        refused = _page("Tasks", [Section("Not allowed", '<p class="absent">Closing a task needs '
                                          'an analyst key. <a href="/login">Sign in</a></p>')])
        refused.status_code = 403
        return refused
    close_task(_engine(request), task_id, outcome, status=status)
    return RedirectResponse("/tasks", status_code=303)
