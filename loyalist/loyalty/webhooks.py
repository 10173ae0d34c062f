"""Webhook registrations: where outbox events go, and the secret each is signed with."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import sqlalchemy as sa

from loyalist.errors import InputError, NotFoundError
from loyalist.loyalty.outbox import Webhook, ensure_schema, from_row, utcnow, webhooks


def add_webhook(engine: sa.Engine, url: str, event_types: Iterable[str], *,
                secret: str | None = None) -> tuple[Webhook, str]:
    """Register ``url`` for ``event_types`` (``"*"``: all); return it and its signing secret.

    The secret is returned here only; give it to the receiver to verify signatures with.

    Examples
    --------
    >>> engine = sa.create_engine("sqlite://")
    >>> hook, secret = add_webhook(engine, "https://example.com/hook", ["points.earned"])
    >>> hook.wants("points.earned"), hook.wants("points.spent"), secret.startswith("whsec_")
    (True, False, True)
    """
    if not url.startswith(("http://", "https://")) or len(url) > 2000 or " " in url:
        raise InputError("a webhook URL must be an http:// or https:// URL", url=url[:200])
    types = tuple(sorted({t.strip() for t in event_types if t.strip()}))
    if not types or any("," in t or len(t) > 100 for t in types):
        raise InputError("give one or more event types (or '*')", event_types=list(types))
    secret = secret or "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook("wh_" + secrets.token_hex(8), url, types, True, utcnow())
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(webhooks.insert().values(
            id=hook.id, url=url, secret=secret, event_types=",".join(types), active=True,
            created_at=hook.created_at))
    return hook, secret


def list_webhooks(engine: sa.Engine) -> list[Webhook]:
    """Every webhook, oldest first (without secrets)."""
    ensure_schema(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(webhooks).order_by(webhooks.c.created_at, webhooks.c.id))
        return [from_row(r) for r in rows]


def set_webhook_active(engine: sa.Engine, webhook_id: str, active: bool) -> None:
    """Pause or resume a webhook; a paused webhook gets no new events."""
    ensure_schema(engine)
    with engine.begin() as conn:
        done = conn.execute(webhooks.update().where(webhooks.c.id == webhook_id)
                            .values(active=active))
    if done.rowcount == 0:
        raise NotFoundError(f"no webhook {webhook_id!r}", webhook_id=webhook_id)
