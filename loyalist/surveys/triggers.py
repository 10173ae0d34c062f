"""Which customers a survey's trigger selects on a day (throttling is applied when inviting).

- ``ticket_closed``: a ticket resolved in the ``days`` (at least 1) days up to the day (CSAT);
- ``days_after_first_order`` / ``days_after_signup``: first order / sign-up exactly ``days`` ago;
- ``periodic``: every customer (relationship NPS; the survey's per-customer limit sets the rhythm);
- ``event``: an event of type ``event`` in the ``days`` (at least 1) days up to the day;
- ``manual``: nobody (invite by hand).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.store.workspace import Workspace
from loyalist.surveys.definitions import Survey
from loyalist.surveys.service import SurveyService


def _window(day: dt.date, days: int) -> tuple[ir.TimestampValue, ir.TimestampValue]:
    end = day + dt.timedelta(days=1)
    start = end - dt.timedelta(days=max(days, 1))
    return (ibis.timestamp(dt.datetime.combine(start, dt.time())),
            ibis.timestamp(dt.datetime.combine(end, dt.time())))


def due_customers(tables: dict[str, ir.Table], survey: Survey, day: dt.date) -> ir.Table:
    """Distinct ``customer_id`` whom the survey's trigger selects on ``day``."""
    start, end = _window(day, survey.trigger_days)
    c = tables["customers"]
    if survey.trigger == "ticket_closed":
        t = tables["tickets"]
        picked = t.filter(t.resolved_at >= start, t.resolved_at < end).select("customer_id")
    elif survey.trigger in ("days_after_first_order", "days_after_signup"):
        target = day - dt.timedelta(days=survey.trigger_days)
        if survey.trigger == "days_after_signup":
            picked = c.filter(c.signup_at.date() == target).select("customer_id")
        else:
            o = tables["orders"].filter(tables["orders"].customer_id.notnull())
            first = o.group_by("customer_id").aggregate(first=o.ordered_at.min())
            picked = first.filter(first.first.date() == target).select("customer_id")
    elif survey.trigger == "periodic":
        picked = c.filter(c.signup_at < end).select("customer_id")
    elif survey.trigger == "event":
        e = tables["events"]
        picked = e.filter(e.event_type == survey.event, e.occurred_at >= start,
                          e.occurred_at < end).select("customer_id")
    else:
        picked = c.filter(ibis.literal(False)).select("customer_id")
    return picked.filter(picked.customer_id.notnull()).distinct().order_by("customer_id")


def invite_due(service: SurveyService, workspace: Workspace, survey_id: str, day: dt.date,
               *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Invite everyone the trigger selects; throttled customers get no token."""
    from loyalist.data.views import tables

    survey = service.survey(survey_id)
    with workspace.ibis() as backend:
        customers = backend.execute(due_customers(tables(backend), survey, day))
    out = []
    for cid in customers["customer_id"].tolist():
        token = service.invite(survey_id, str(cid), now=now)
        out.append({"customer_id": str(cid), "token": token, "throttled": token is None})
    return out
