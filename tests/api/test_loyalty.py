"""Loyalty endpoints with the ASGI test client: every route, roles, idempotency, errors."""

from __future__ import annotations

from urllib.parse import quote

import hypothesis
import pytest
from hypothesis import strategies as st

from loyalist.loyalty.applied import apply_program
from loyalist.loyalty.program import EXAMPLE
from tests.api.conftest import auth

BASE = "/api/v1/loyalty"


@pytest.fixture
def program(app):
    apply_program(app.state.keys.engine, EXAMPLE.read_text())


def _write(client, keys, path, body, key, role="analyst"):
    return client.post(BASE + path, json=body,
                       headers={**auth(keys[role]), "Idempotency-Key": key})


def _error(response, status, kind):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == kind and error["message"] and isinstance(error["details"], dict)
    return error


def test_without_a_program_the_api_says_how_to_apply_one(client, keys):
    error = _error(client.get(BASE + "/members", headers=auth(keys["viewer"])), 409,
                   "NoProgramError")
    assert "loyalist program apply" in error["message"]


def test_keys_and_roles(client, keys, program):
    _error(client.get(BASE + "/members"), 401, "AuthError")
    assert client.get(BASE + "/members", headers=auth(keys["viewer"])).status_code == 200
    _error(_write(client, keys, "/members/m1/earn", {"points": 5}, "k1", role="viewer"), 403,
           "ForbiddenError")
    assert _write(client, keys, "/members/m1/earn", {"points": 5}, "k1").status_code == 201


def test_earn_is_idempotent_by_key(client, keys, program):
    first = _write(client, keys, "/members/m1/earn", {"points": 120, "reason": "welcome"}, "e1")
    assert first.status_code == 201 and first.json()["available"] == 120
    again = _write(client, keys, "/members/m1/earn", {"points": 120, "reason": "welcome"}, "e1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert {**again.json(), "replayed": False} == first.json()
    _error(_write(client, keys, "/members/m1/earn", {"points": 7}, "e1"), 409,
           "IdempotencyConflictError")
    missing = client.post(BASE + "/members/m1/earn", json={"points": 1},
                          headers=auth(keys["analyst"]))
    assert "Idempotency-Key" in _error(missing, 422, "ValidationError")["message"]
    for bad in ({"points": 0}, {"points": 1.5}, {"points": "10"}, {"points": 10**12}, {}):
        _error(_write(client, keys, "/members/m1/earn", bad, "e2"), 422, "ValidationError")
    balance = client.get(BASE + "/members/m1/balance", headers=auth(keys["viewer"])).json()
    assert (balance["available"], balance["total"]) == (120, 120)


def test_member_balance_statement_and_listing(client, keys, program):
    for i in range(3):
        _write(client, keys, f"/members/m{i}/earn", {"points": 100 * (i + 1)}, f"k{i}")
    _write(client, keys, "/members/m2/earn", {"points": 50, "pending": True}, "k-pending")
    viewer = auth(keys["viewer"])
    listing = client.get(BASE + "/members?page=2&page_size=2", headers=viewer).json()
    assert listing["total"] == 3 and [m["member_id"] for m in listing["items"]] == ["m2"]
    member = client.get(BASE + "/members/m2", headers=viewer).json()
    assert member["balance"]["available"] == 300 and member["balance"]["pending"] == 50
    assert member["tier"]["tier"] == "member" and member["tier"]["next_tier"] == "silver"
    assert {b["id"] for b in member["badges"]} >= {"first_review", "regular"}
    lines = client.get(BASE + "/members/m2/statement?page_size=1&page=2", headers=viewer).json()
    assert lines["total"] == 2 and lines["items"][0]["running_total"] == 350
    past = client.get(BASE + "/members/m2/balance?at=2000-01-01T00:00:00", headers=viewer)
    assert past.status_code == 200
    _error(client.get(BASE + "/members/nobody", headers=viewer), 404, "NotFoundError")
    _error(client.get(BASE + "/members/nobody/statement", headers=viewer), 404, "NotFoundError")
    _error(client.get(BASE + "/members/m1/balance?at=yesterday", headers=viewer), 422,
           "ValidationError")
    _error(client.get(BASE + "/members?page_size=5000", headers=viewer), 422, "ValidationError")


def test_redeem_rewards_and_points(client, keys, program):
    _write(client, keys, "/members/m1/earn", {"points": 900}, "seed")
    done = _write(client, keys, "/members/m1/redeem", {"reward_id": "five_off"}, "r1")
    assert done.status_code == 201 and done.json()["points"] == -500
    assert done.json()["available"] == 400
    refused = _write(client, keys, "/members/m1/redeem", {"reward_id": "five_off"}, "r2")
    _error(refused, 409, "InsufficientPointsError")
    _error(_write(client, keys, "/members/m1/redeem", {"reward_id": "five_off"}, "r2"), 409,
           "InsufficientPointsError")  # the refusal is the key's answer from now on
    _error(_write(client, keys, "/members/m1/redeem", {"reward_id": "masterclass"}, "r3"), 403,
           "NotEligibleError")  # gold members only
    _error(_write(client, keys, "/members/m1/redeem", {"reward_id": "nope"}, "r4"), 404,
           "NotFoundError")
    spent = _write(client, keys, "/members/m1/redeem", {"points": 300}, "r5")
    assert spent.status_code == 201 and spent.json()["available"] == 100
    for bad in ({}, {"reward_id": "coffee", "points": 5}):
        _error(_write(client, keys, "/members/m1/redeem", bad, "r6"), 400, "InputError")


def test_events_credit_points_within_limits(client, keys, program):
    review = _write(client, keys, "/members/m1/events", {"event": "review", "reference": "r-1"},
                    "ev1")
    assert review.status_code == 201 and review.json()["points"] == 50
    assert review.json()["badges"] == ["first_review"]
    _error(_write(client, keys, "/members/m1/events", {"event": "dancing"}, "ev2"), 400,
           "InputError")


def test_order_ingest_earns_once_and_claws_back_refunds(client, keys, program):
    order = {"order_id": "o1", "member_id": "m1", "amount": "80.00",
             "ordered_at": "2026-01-10T10:00:00"}
    first = _write(client, keys, "/orders", order, "o1")
    assert first.status_code == 201
    assert [r["points"] for r in first.json()["receipts"]] == [80]
    assert first.json()["receipts"][0]["pending"] == 80
    assert _write(client, keys, "/orders", order, "o1-again").status_code == 200
    refund = {**order, "refunded_amount": 20, "updated_at": "2026-01-12T10:00:00"}
    assert [r["points"] for r in _write(client, keys, "/orders", refund, "o1-r").json()[
        "receipts"]] == [80, -20]
    _error(_write(client, keys, "/orders", {**order, "refunded_amount": 100}, "o1-x"), 400,
           "InputError")
    _error(_write(client, keys, "/orders", {**order, "status": "lost"}, "o1-y"), 400,
           "InputError")
    for bad in ({"amount": -1}, {"amount": "12.345"}, {"amount": "abc"}, {"amount": "NaN"},
                {"ordered_at": "soon"}, {"order_id": ""}):
        _error(_write(client, keys, "/orders", {**order, **bad}, "o1-z"), 422, "ValidationError")


def test_catalogue_tiers_and_badges(client, keys, program):
    viewer = auth(keys["viewer"])
    rewards = client.get(BASE + "/rewards", headers=viewer).json()["items"]
    coffee = next(r for r in rewards if r["id"] == "coffee")
    assert (coffee["cost"], coffee["stock_left"]) == (300, 1000)
    tiers = client.get(BASE + "/tiers", headers=viewer).json()
    assert [t["id"] for t in tiers["levels"]] == ["member", "silver", "gold"]
    assert tiers["basis"] == "points_earned"
    badges = client.get(BASE + "/badges", headers=viewer).json()["items"]
    assert "golden" in {b["id"] for b in badges}


@hypothesis.settings(max_examples=40, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(member=st.text(min_size=0, max_size=250), key=st.text(max_size=250),
                  body=st.dictionaries(st.sampled_from(
                      ["points", "reward_id", "event", "reason", "pending", "reference"]),
                      st.one_of(st.none(), st.integers(), st.text(max_size=30), st.booleans(),
                                st.floats(allow_nan=False, allow_infinity=False)), max_size=4))
def test_bad_input_never_5xx(loyalty_fuzz, member, key, body):
    client, headers = loyalty_fuzz
    path = quote(member, safe="")
    ascii_key = key.encode("ascii", "ignore").decode().strip() or "k"
    for route in ("earn", "redeem", "events"):
        response = client.post(f"{BASE}/members/{path}/{route}", json=body,
                               headers={**headers, "Idempotency-Key": ascii_key})
        assert response.status_code < 500, response.text
    assert client.get(f"{BASE}/members/{path}", headers=headers).status_code < 500


@pytest.fixture(scope="module")
def loyalty_fuzz(tmp_path_factory):
    from fastapi.testclient import TestClient

    from loyalist.api import create_app
    from loyalist.config import Settings

    app = create_app(Settings(workspace=tmp_path_factory.mktemp("fuzz-loyalty")))
    apply_program(app.state.keys.engine, EXAMPLE.read_text())
    key = app.state.keys.create("analyst", "fuzz")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, auth(key)


def test_program_page_renders_from_the_ledger(client, keys, program):
    _write(client, keys, "/members/a/earn", {"points": 1200}, "p1")
    _write(client, keys, "/members/a/redeem", {"points": 300}, "p2")
    client.cookies.set("loyalist_key", keys["viewer"])
    html = client.get("/program").text
    assert ">Points liability</div><div class=\"v\">900 pts<" in html
    assert "<title>silver: 1</title>" in html and "25.0%" in html
