"""Signed single-use links: forgery, reuse, expiry, cross-customer use."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from loyalist.surveys.links import LinkError, LinkUsedError
from loyalist.surveys.service import SurveyService
from tests.surveys.conftest import NOW


def test_a_link_answers_once(service):
    token = service.invite("nps", "c1", now=NOW)
    assert service.respond(token, {"nps": "10"}, now=NOW)["answered"] == 1
    with pytest.raises(LinkUsedError):
        service.respond(token, {"nps": "0"}, now=NOW)
    with pytest.raises(LinkUsedError):
        service.open(token, now=NOW)


def test_forged_signature_and_garbage(service):
    token = service.invite("nps", "c1", now=NOW)
    body, mac = token.split(".")
    for bad in (body + "." + mac[:-2] + "AA", "x.y", "nodot", body + "." + "A" * 43, ""):
        with pytest.raises(LinkError, match="not valid"):
            service.open(bad, now=NOW)


def test_other_secret_cannot_sign(service):
    other = SurveyService(service.engine, secret=b"another-secret")
    token = other.invite("nps", "c2", now=NOW)
    with pytest.raises(LinkError, match="not valid"):
        service.open(token, now=NOW)


def test_expired(service):
    token = service.invite("nps", "c1", now=NOW)
    with pytest.raises(LinkError, match="expired"):
        service.respond(token, {"nps": "9"}, now=NOW + dt.timedelta(days=15))


def test_cannot_be_used_for_another_customer(service):
    """Re-signing a payload with another customer needs the secret; swapping payloads between
    two valid links breaks the signature; a payload re-signed with the right secret but a
    customer the nonce was not issued to is refused by the invitation check."""
    t1, t2 = service.invite("nps", "c1", now=NOW), service.invite("nps", "c2", now=NOW)
    body1, _ = t1.split(".")
    _, mac2 = t2.split(".")
    with pytest.raises(LinkError):
        service.open(f"{body1}.{mac2}", now=NOW)
    claims = json.loads(base64.urlsafe_b64decode(body1 + "=="))
    claims["c"] = "c2"
    from loyalist.surveys.links import LinkClaims, sign

    forged = sign(b"test-secret", LinkClaims(claims["s"], "c2", claims["n"],
                                             NOW + dt.timedelta(days=1)))
    with pytest.raises(LinkError, match="not valid"):
        service.open(forged, now=NOW)
    # the answer is stored for the customer in the token, whatever the body says
    service.respond(t2, {"nps": "7"}, now=NOW)
    from loyalist.surveys.tables import responses

    with service.engine.connect() as conn:
        owners = {r.customer_id for r in conn.execute(responses.select())}
    assert owners == {"c2"}
