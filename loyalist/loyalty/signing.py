"""Webhook signatures: HMAC-SHA256 over ``"<unix seconds>." + body``, checked with a tolerance.

See :mod:`loyalist.loyalty.outbox` for the ``X-Loyalist-Signature`` header they make.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Loyalist-Signature`` header value for ``body`` sent at ``timestamp``.

    Examples
    --------
    >>> sign("whsec_test", b"{}", 1700000000)[:13]
    't=1700000000,'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, body: bytes, header: str, *, now: int,
                     tolerance: int = 300) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now``.

    What a receiver runs; the timestamp bounds replays of a captured request.

    Examples
    --------
    >>> header = sign("s", b"{}", 100)
    >>> verify_signature("s", b"{}", header, now=130), verify_signature("x", b"{}", header, now=130)
    (True, False)
    """
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance or "v1" not in fields:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={fields['v1']}")
