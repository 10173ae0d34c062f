"""Signed survey links: ``<payload>.<signature>``, HMAC-SHA256 over the payload.

The payload names the survey, the customer, a random nonce and an expiry. A link cannot be forged
(signature), used after its expiry, used for another customer (the customer comes only from the
signed payload) or used twice (the nonce's invitation row is marked used in the same transaction
that stores the answers).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from loyalist.errors import LoyalistError


class LinkError(LoyalistError):
    """The link is forged, malformed or expired."""

    status = 403


class LinkUsedError(LoyalistError):
    """The link was already used to answer."""

    status = 409


@dataclass(frozen=True)
class LinkClaims:
    """What a valid link says."""

    survey_id: str
    customer_id: str
    nonce: str
    expires_at: dt.datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, claims: LinkClaims) -> str:
    """Make the token of a link."""
    payload = json.dumps({"s": claims.survey_id, "c": claims.customer_id, "n": claims.nonce,
                          "e": int(claims.expires_at.timestamp())}, separators=(",", ":"))
    body = _b64(payload.encode())
    mac = hmac.new(secret, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(secret: bytes, token: str, now: dt.datetime) -> LinkClaims:
    """Check a token's signature and expiry; return its claims."""
    try:
        body, mac = token.split(".")
        expected = hmac.new(secret, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise LinkError("this survey link is not valid")
        data = json.loads(_unb64(body))
        claims = LinkClaims(str(data["s"]), str(data["c"]), str(data["n"]),
                            dt.datetime.fromtimestamp(int(data["e"]), dt.UTC)
                            .replace(tzinfo=None))
    except LinkError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise LinkError("this survey link is not valid") from exc
    if claims.expires_at <= now:
        raise LinkError("this survey link has expired", expired_at=claims.expires_at.isoformat())
    return claims
