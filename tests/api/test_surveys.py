"""Survey endpoints: admin routes with keys, public JSON and hosted page with signed tokens."""

from __future__ import annotations

from urllib.parse import quote

import hypothesis
from hypothesis import strategies as st

from loyalist.api import create_app
from loyalist.config import Settings
from tests.api.conftest import auth
from tests.surveys.conftest import NPS


def _setup(client, keys):
    h = auth(keys["analyst"])
    assert client.put("/api/v1/surveys/nps", json=NPS, headers=h).status_code == 200
    made = client.post("/api/v1/surveys/nps/invitations", json={"customer_id": "c1"},
                       headers=h).json()
    return made["token"], made["url"]


def test_define_invite_answer_results(client, keys):
    token, url = _setup(client, keys)
    again = client.post("/api/v1/surveys/nps/invitations", json={"customer_id": "c1"},
                        headers=auth(keys["analyst"])).json()
    assert again == {"token": None, "url": None, "throttled": True}
    questions = client.get(f"/api/v1/surveys/widget/{token}").json()["questions"]
    assert [q["type"] for q in questions] == ["nps", "choice", "text"]
    sent = client.post("/api/v1/surveys/responses", json={"token": token,
                                                          "answers": {"nps": 9}})
    assert sent.status_code == 201 and sent.json()["followups"] == ["referral_ask_candidate"]
    reused = client.post("/api/v1/surveys/responses", json={"token": token,
                                                           "answers": {"nps": 9}})
    assert reused.status_code == 409 and reused.json()["error"]["type"] == "LinkUsedError"
    results = client.get("/api/v1/surveys/nps/results", headers=auth(keys["viewer"])).json()
    assert (results["n"], results["nps"]) == (1, 100.0)


def test_survey_admin_needs_keys_and_valid_definitions(client, keys):
    assert client.put("/api/v1/surveys/nps", json=NPS).status_code == 401
    assert client.put("/api/v1/surveys/nps", json=NPS,
                      headers=auth(keys["viewer"])).status_code == 403
    bad = client.put("/api/v1/surveys/x", json={**NPS, "id": "x", "questions": [
        {"id": "q", "type": "stars", "prompt": "?"}]}, headers=auth(keys["analyst"]))
    assert bad.status_code == 400 and bad.json()["error"]["details"]["key"] == "questions[0].type"
    assert client.get("/api/v1/surveys/nope/results",
                      headers=auth(keys["viewer"])).status_code == 404


def test_hosted_page_works_without_javascript(client, keys):
    _token, url = _setup(client, keys)
    page = client.get(url)
    assert page.status_code == 200 and "<script" not in page.text
    assert 'name="viewport"' in page.text and "<legend>" in page.text
    assert page.text.count('type="radio" name="nps"') == 11
    done = client.post(url, data={"nps": "4", "heard": "Google", "why": "slow"})
    assert done.status_code == 200 and "Thank you" in done.text
    assert client.post(url, data={"nps": "4"}).status_code == 409
    assert client.get(url).status_code == 409
    assert client.get("/s/forged.token").status_code == 403


@hypothesis.settings(max_examples=60, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(token=st.text(min_size=0, max_size=300),
                  answers=st.dictionaries(st.text(max_size=20), st.one_of(
                      st.none(), st.integers(), st.text(max_size=50),
                      st.floats(allow_nan=False, allow_infinity=False),
                      st.lists(st.integers(), max_size=3)), max_size=4))
def test_public_endpoints_fuzz_never_5xx(fuzz_client, token, answers):
    client, good = fuzz_client
    for target in (token, good):
        path = quote(target, safe="")  # what a client sends for any text in a path
        for response in (
            client.post("/api/v1/surveys/responses", json={"token": target, "answers": answers}),
            client.get(f"/api/v1/surveys/widget/{path}"),
            client.post(f"/s/{path}", data={str(k): str(v) for k, v in answers.items()}),
        ):
            assert response.status_code < 500, response.text[:200]


def test_raw_bodies_with_nan_and_broken_json(fuzz_client):
    """What a JSON encoder cannot produce, a client can still send."""
    client, good = fuzz_client
    headers = {"content-type": "application/json"}
    for body in (b'{"token": "%s", "answers": {"nps": NaN}}' % good.encode(),
                 b'{"token": "%s", "answers": {"nps": Infinity}}' % good.encode(),
                 b'{"token": 1e999, "answers": []}', b"{", b"null", b"\xff\xfe"):
        response = client.post("/api/v1/surveys/responses", content=body, headers=headers)
        assert 400 <= response.status_code < 500, (body, response.text[:200])


def test_public_rate_limit(rfm_workspace):
    from fastapi.testclient import TestClient

    app = create_app(Settings(workspace=rfm_workspace.path), public_limit=5)
    with TestClient(app) as client:
        codes = [client.get("/s/abc.def").status_code for _ in range(7)]
    assert codes[:5] == [403] * 5 and codes[5:] == [429, 429]
