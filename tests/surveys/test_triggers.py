"""Each trigger picks the right customers on a day; throttling still applies when inviting."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from loyalist.data import load
from loyalist.data.views import tables
from loyalist.surveys.definitions import parse_survey
from loyalist.surveys.triggers import due_customers, invite_due
from tests.surveys.conftest import CSAT, NPS

DAY = dt.date(2024, 6, 10)


@pytest.fixture
def shop(workspace):
    load("customers", pa.table({"customer_id": ["s1", "s2", "s3"],
                                "signup_at": ["2024-06-03", "2024-06-02", "2024-06-11"]}),
         workspace=workspace)
    load("orders", pa.table({"order_id": ["1", "2", "3"], "customer_id": ["o1", "o1", "o2"],
                             "ordered_at": ["2024-05-31 15:00:00", "2024-06-05", "2024-06-01"],
                             "amount": [1.0, 1.0, 1.0]}), workspace=workspace)
    load("tickets", pa.table({"ticket_id": ["t1", "t2", "t3"], "customer_id": ["k1", "k2", "k3"],
                              "opened_at": ["2024-06-01"] * 3,
                              "resolved_at": ["2024-06-10 09:00:00", "2024-06-09", None]}),
         workspace=workspace)
    load("events", pa.table({"event_id": ["e1", "e2"], "customer_id": ["v1", "v2"],
                             "occurred_at": ["2024-06-10", "2024-06-10"],
                             "event_type": ["export", "login"]}), workspace=workspace)
    return workspace


@pytest.mark.parametrize(("trigger", "expected"), [
    ({"type": "ticket_closed"}, ["k1"]),
    ({"type": "ticket_closed", "days": 2}, ["k1", "k2"]),
    ({"type": "days_after_first_order", "days": 10}, ["o1"]),  # first order 05-31
    ({"type": "days_after_signup", "days": 7}, ["s1"]),
    ({"type": "event", "event": "export"}, ["v1"]),
    ({"type": "manual"}, []),
])
def test_triggers(shop, trigger, expected):
    survey = parse_survey({**NPS, "trigger": trigger})
    with shop.ibis() as backend:
        got = backend.execute(due_customers(tables(backend), survey, DAY))
    assert got.customer_id.tolist() == expected


def test_periodic_selects_everyone_signed_up(shop):
    survey = parse_survey({**NPS, "trigger": {"type": "periodic"}})
    with shop.ibis() as backend:
        got = backend.execute(due_customers(tables(backend), survey, DAY)).customer_id.tolist()
    assert got == ["o1", "o2", "s1", "s2"]  # s3 signs up after the day


def test_invite_due_applies_throttling(shop, service):
    now = dt.datetime(2024, 6, 10, 18)
    service.invite("nps", "k1", now=now - dt.timedelta(days=2))  # asked two days ago
    sent = invite_due(service, shop, "csat", DAY, now=now)
    assert sent[0]["customer_id"] == "k1" and sent[0]["throttled"]
    assert CSAT["trigger"]["type"] == "ticket_closed"
