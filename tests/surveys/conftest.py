from __future__ import annotations

import datetime as dt

import pytest

from loyalist.store.operational import connect_operational
from loyalist.surveys.service import SurveyService

NOW = dt.datetime(2024, 6, 1, 12, 0)

NPS = {
    "id": "nps", "title": "How are we doing?",
    "questions": [
        {"id": "nps", "type": "nps", "prompt": "How likely are you to recommend us?"},
        {"id": "heard", "type": "choice", "prompt": "How did you hear about us?",
         "options": ["A friend", "Google", "Instagram", "Other"],
         "channels": {"A friend": "referral", "Google": "search", "Instagram": "social"}},
        {"id": "why", "type": "text", "prompt": "What is the main reason for your score?"},
    ],
    "throttle": {"cooldown_days": 30, "max_per_customer_days": 90},
    "reward": {"points": 50},
}
CSAT = {"id": "csat", "title": "Support", "trigger": {"type": "ticket_closed"},
        "questions": [{"id": "csat", "type": "csat", "prompt": "How satisfied are you?",
                       "required": True}],
        "throttle": {"cooldown_days": 7, "max_per_customer_days": 14}}


@pytest.fixture
def service(tmp_path):
    engine = connect_operational(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    svc = SurveyService(engine, secret=b"test-secret")
    svc.define(NPS)
    svc.define(CSAT)
    return svc
