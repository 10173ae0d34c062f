"""Throttling across surveys, answers with skips, rewards, closing the loop, sync to analytics."""

from __future__ import annotations

import datetime as dt

import pytest

from loyalist.data.importer import rejects
from loyalist.data.tables import read_table
from loyalist.errors import InputError, NotFoundError
from loyalist.store.workspace import Workspace
from loyalist.surveys.definitions import SurveyDefinitionError, parse_survey
from loyalist.surveys.service import SurveyService
from loyalist.surveys.summary import nps_summary
from loyalist.surveys.sync import sync_responses
from loyalist.surveys.tables import followups
from tests.surveys.conftest import CSAT, NOW, NPS

DAY = dt.timedelta(days=1)


def test_global_cooldown_across_surveys(service):
    assert service.invite("nps", "c1", now=NOW) is not None
    # another survey within the 7-day cooldown of the CSAT survey: refused
    assert service.invite("csat", "c1", now=NOW + 3 * DAY) is None
    assert service.invite("csat", "c1", now=NOW + 8 * DAY) is not None
    # NPS again: its own 30-day cooldown counts from the last ask of any survey (day 8)
    assert service.invite("nps", "c1", now=NOW + 35 * DAY) is None
    assert service.invite("nps", "c1", now=NOW + 39 * DAY) is None  # per-survey: 90 days
    assert service.invite("nps", "c1", now=NOW + 91 * DAY) is not None


def test_widget_shows_count_like_sends(service):
    assert service.invite("nps", "c9", channel="widget", now=NOW) is not None
    assert service.invite("csat", "c9", channel="link", now=NOW + DAY) is None
    with pytest.raises(InputError, match="channel"):
        service.invite("nps", "c9", channel="sms", now=NOW)


def test_sampling_is_stable(service):
    service.define({**NPS, "id": "half", "throttle": {"cooldown_days": 0, "sample_rate": 0.5,
                                                       "max_per_customer_days": 0}})
    asked = [service.invite("half", f"s{i}", now=NOW) is not None for i in range(400)]
    again = [service.invite("half", f"s{i}", now=NOW + 100 * DAY) is not None
             for i in range(400)]
    assert asked == again and 150 < sum(asked) < 250


def test_nps_with_skips_partial_answers_and_rewards(service):
    scores = {"p1": "10", "p2": "9", "n1": "7", "d1": "3", "d2": "6", "s1": None}
    for customer, score in scores.items():
        token = service.invite("nps", customer, now=NOW)
        answers = {"nps": score, "why": "ok"} if score else {"why": "no score from me"}
        result = service.respond(token, answers, now=NOW)
        assert result["complete"] is False  # "heard" skipped by everyone: partial, kept
    summary = nps_summary(service.engine, "nps")
    # skipped NPS answers are not in the denominator: n = 5, (2 - 2) / 5
    assert summary == {"n": 5, "promoters": 2, "passives": 1, "detractors": 2, "nps": 0.0,
                       "rewarded_share": 0.0}


def test_reward_for_completion_whatever_the_score(service):
    for customer, score in (("a", "0"), ("b", "10")):
        token = service.invite("nps", customer, now=NOW)
        result = service.respond(token, {"nps": score, "heard": "Google", "why": "x"}, now=NOW)
        assert result["complete"] and result["rewarded"]
    assert nps_summary(service.engine, "nps")["rewarded_share"] == 1.0


def test_detractors_and_promoters_create_followups_once(service):
    for customer, score in (("d", "2"), ("p", "9"), ("n", "8")):
        service.respond(service.invite("nps", customer, now=NOW), {"nps": score}, now=NOW)
    with service.engine.connect() as conn:
        rows = sorted((r.customer_id, r.kind) for r in conn.execute(followups.select()))
    assert rows == [("d", "detractor_followup"), ("p", "referral_ask_candidate")]


@pytest.mark.parametrize(("answers", "message"), [
    ({"nps": "11"}, "nps: a whole number 0-10"),
    ({"nps": "7.5"}, "nps: a whole number 0-10"),
    ({"nps": "ten"}, "nps: a whole number 0-10"),
    ({"heard": "TV"}, "heard: one of"),
    ({"why": "x" * 2001}, "why: at most 2000"),
    ({"bogus": "1"}, "unknown question"),
])
def test_bad_answers_are_refused_and_the_link_stays_usable(service, answers, message):
    token = service.invite("nps", "c1", now=NOW)
    with pytest.raises(InputError, match=message):
        service.respond(token, answers, now=NOW)
    assert service.respond(token, {"nps": "8"}, now=NOW)["answered"] == 1


def test_required_question(service):
    token = service.invite("csat", "c1", now=NOW)
    with pytest.raises(InputError, match="csat: an answer is required"):
        service.respond(token, {}, now=NOW)


def test_unknown_survey(service):
    with pytest.raises(NotFoundError):
        service.invite("nope", "c1", now=NOW)


@pytest.mark.parametrize(("change", "key"), [
    ({"questions": []}, "questions"),
    ({"questions": [{"id": "q", "type": "stars", "prompt": "?"}]}, "questions[0].type"),
    ({"questions": [{"id": "q", "type": "choice", "prompt": "?", "options": ["a"]}]},
     "questions[0].options"),
    ({"questions": [{"id": "q", "type": "choice", "prompt": "?", "options": ["a", "b"],
                     "channels": {"c": "ads"}}]}, "questions[0].channels"),
    ({"trigger": {"type": "sometimes"}}, "trigger.type"),
    ({"throttle": {"sample_rate": 0}}, "throttle.sample_rate"),
    ({"throttle": {"cooldown_days": -1}}, "throttle.cooldown_days"),
    ({"title": ""}, "title"),
])
def test_definition_errors_name_the_key(change, key):
    with pytest.raises(SurveyDefinitionError) as info:
        parse_survey({**CSAT, **change})
    assert info.value.details["key"] == key


def test_sync_to_workspace_redacts_and_maps_channels(service, tmp_path):
    token = service.invite("nps", "c1", now=NOW)
    service.respond(token, {"nps": "9", "heard": "A friend",
                            "why": "Great! Call me on 020 7946 0958"}, now=NOW)
    service.respond(service.invite("nps", "c2", now=NOW), {"heard": "Other"}, now=NOW)
    ws = Workspace(tmp_path / "ws")
    first = sync_responses(service.engine, ws)
    assert (first.rows_loaded, first.rows_rejected) == (6, 0) and rejects(ws) == []
    rows = {(r["customer_id"], r["question"]): r for r in
            read_table(ws, "survey_responses").to_pylist()}
    assert rows[("c1", "nps")]["score"] == 9
    assert rows[("c1", "heard_about")]["answer"] == "referral"
    assert rows[("c2", "heard_about")]["answer"] == "Other"
    assert rows[("c2", "nps")]["score"] is None  # skipped: no value, in no denominator
    assert rows[("c1", "why")]["comment"] == "Great! Call me on [phone]"
    assert rows[("c1", "nps")]["rewarded"] is True  # completed: rewarded, whatever the score
    assert rows[("c2", "nps")]["rewarded"] is False  # partial answer
    sync_responses(service.engine, ws)
    assert len(read_table(ws, "survey_responses")) == 6  # re-sync changes nothing


def test_generated_secret_persists(tmp_path):
    from loyalist.store.operational import connect_operational

    engine = connect_operational(f"sqlite:///{tmp_path / 'o.sqlite'}")
    first = SurveyService(engine)
    first.define(NPS)
    token = first.invite("nps", "c1", now=NOW)
    assert SurveyService(engine).open(token, now=NOW)[1].customer_id == "c1"


def test_referral_asks_need_healthy_usage(service, tmp_path):
    import pyarrow as pa

    from loyalist.data import load
    from loyalist.surveys.loop import referral_asks

    for customer, score in (("busy", "10"), ("idle", "9"), ("unhappy", "3")):
        service.respond(service.invite("nps", customer, now=NOW), {"nps": score}, now=NOW)
    ws = Workspace(tmp_path / "usage")
    load("orders", pa.table({"order_id": ["1", "2"], "customer_id": ["busy", "idle"],
                             "ordered_at": ["2024-05-20", "2023-12-01"], "amount": [1.0, 1.0]}),
         workspace=ws)
    asks = referral_asks(service.engine, ws, NOW.date(), active_days=90)
    assert [a["customer_id"] for a in asks] == ["busy"]
