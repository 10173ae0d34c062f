"""Transactional outbox: events written with the ledger entry that caused them, delivered later.

:func:`emit` inserts an event in the caller's open transaction, so an event exists if and only if
the change behind it committed. A :class:`Dispatcher` later fans each new event out to the active
webhooks subscribed to its type and POSTs it, signed with HMAC-SHA256::

    X-Loyalist-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Failed attempts are retried with exponential backoff (``base_delay * 2 ** (attempt - 1)``, capped
at ``max_delay``) until ``max_attempts``; then the delivery is ``failed`` and waits for
:meth:`Dispatcher.replay`. Every attempt is one row of the delivery log. Delivery is at least
once: an attempt that crashed mid-flight is retried once its lease expires, so receivers should
deduplicate on the event id (``X-Loyalist-Event-Id``). Webhook secrets are stored to sign with,
but never returned by listings, logged or put in error messages.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from loyalist.errors import InputError, NotFoundError
from loyalist.loyalty.prepared import Prepared
from loyalist.loyalty.signing import sign
from loyalist.loyalty.signing import verify_signature as verify_signature  # re-exported

log = logging.getLogger("loyalist.outbox")
metadata = sa.MetaData()

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(24), nullable=False, unique=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("fanned_out", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_outbox_fanned_out", "fanned_out"),
)

webhooks = sa.Table(
    "webhooks", metadata,
    sa.Column("id", sa.String(24), primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("event_types", sa.String(2000), nullable=False),  # comma-separated, "*" = all
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# One row per attempt. ``next_attempt_at`` is set on the newest attempt of a delivery while it is
# in flight (its lease) or waiting for a retry, and cleared once a later attempt takes over.
deliveries = sa.Table(
    "webhook_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),  # shown as dlv_<id>
    sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id"), nullable=False),
    sa.Column("webhook_id", sa.String(24), sa.ForeignKey("webhooks.id"), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(12), nullable=False),  # sending, delivered, retrying, failed
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", sa.String(500), nullable=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=True),
    sa.Index("ix_deliveries_due", "next_attempt_at"),
    sa.Index("ix_deliveries_event", "outbox_id", "webhook_id"),
)

_KEY_USED = sa.select(outbox.c.id).where(outbox.c.key == sa.bindparam("key")).limit(1)
# Engines that can skip a duplicate key in the insert itself (one statement for many events).
_KEYS = ("event_id", "key", "event_type", "payload", "created_at", "fanned_out")
_INSERT_NEW = {"sqlite": Prepared(sqlite.insert(outbox).on_conflict_do_nothing(), _KEYS),
               "postgresql": Prepared(postgresql.insert(outbox).on_conflict_do_nothing(), _KEYS)}

HttpPost = Callable[[str, bytes, dict[str, str]], int]
"""Send ``body`` to a URL with headers and return the HTTP status; raise ``OSError`` on failure."""


def ensure_schema(engine: sa.Engine) -> None:
    """Create the outbox, webhook and delivery tables if they do not exist."""
    metadata.create_all(engine)


def utcnow() -> dt.datetime:
    """The current time in UTC, naive (as the operational store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def emit(conn: sa.Connection, event_type: str, payload: dict[str, Any], *, key: str) -> None:
    """Record an event in the caller's open transaction; a key already used is a no-op.

    The insert only commits with the caller's transaction. Replaying a write with the same key
    adds nothing: the key is looked up first (the ledger's member lock serialises writers of a
    key), and the unique index refuses a concurrent duplicate outright.

    Examples
    --------
    >>> engine = sa.create_engine("sqlite://")
    >>> ensure_schema(engine)
    >>> with engine.begin() as conn:
    ...     emit(conn, "points.earned", {"member": "m1", "points": 10}, key="order-1")
    ...     emit(conn, "points.earned", {"member": "m1", "points": 10}, key="order-1")
    >>> with engine.connect() as conn:
    ...     conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar()
    1
    """
    emit_many(conn, [(event_type, payload, key)])


def _check(event_type: str, payload: dict[str, Any], key: str) -> None:
    if not event_type or len(event_type) > 100:
        raise InputError("an event type needs 1 to 100 characters", event_type=event_type)
    if not key or len(key) > 200:
        raise InputError("an event key needs 1 to 200 characters", key=key)
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"event payload is not JSON: {exc}", event_type=event_type) from exc


def emit_many(conn: sa.Connection, events: list[tuple[str, dict[str, Any], str]], *,
              checked: bool = False) -> None:
    """Record ``(event_type, payload, key)`` events in one statement; a used key is skipped.

    ``checked``: the caller built the events itself (the ledger), skip checking them again.
    """
    now, first = utcnow(), dict[str, dict[str, Any]]()
    for kind, payload, key in events:
        if not checked:
            _check(kind, payload, key)
        if key not in first:
            first[key] = {"event_id": "evt_" + secrets.token_hex(10), "key": key,
                          "event_type": kind, "payload": payload, "created_at": now,
                          "fanned_out": False}
    rows = list(first.values())
    insert = _INSERT_NEW.get(conn.dialect.name)
    if insert is not None:
        insert.many(conn, rows)
        return
    for row in rows:  # any other engine: each key is looked up first
        if conn.execute(_KEY_USED, {"key": row["key"]}).first() is None:
            conn.execute(outbox.insert(), row)


@dataclass(frozen=True)
class Webhook:
    """A registered endpoint (its secret is never part of this object)."""

    id: str
    url: str
    event_types: tuple[str, ...]
    active: bool
    created_at: dt.datetime

    def wants(self, event_type: str) -> bool:
        """Whether this webhook subscribes to ``event_type``."""
        return self.active and ("*" in self.event_types or event_type in self.event_types)


def from_row(row: Any) -> Webhook:
    """A :class:`Webhook` from a ``webhooks`` row."""
    return Webhook(row.id, row.url, tuple(row.event_types.split(",")), bool(row.active),
                   row.created_at)


def urllib_post(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> int:
    """POST with the standard library; an HTTP error status is returned, not raised."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _body(event: Any) -> bytes:
    created = event.created_at.replace(microsecond=0).isoformat() + "Z"
    return json.dumps({"id": event.event_id, "type": event.event_type, "created_at": created,
                       "data": event.payload}, sort_keys=True, separators=(",", ":")).encode()


def _timestamp(now: dt.datetime) -> int:
    return int(now.replace(tzinfo=dt.UTC).timestamp())


def _new_attempt(conn: sa.Connection, outbox_id: int, webhook_id: str, attempt: int,
                 lease_until: dt.datetime, now: dt.datetime) -> int:
    """Insert an in-flight attempt (leased until ``lease_until``) and return its id."""
    new = conn.execute(deliveries.insert().values(
        outbox_id=outbox_id, webhook_id=webhook_id, attempt=attempt, outcome="sending", at=now,
        next_attempt_at=lease_until)).inserted_primary_key
    return int(new[0]) if new is not None else -1


class Dispatcher:
    """Delivers outbox events to subscribed webhooks, with retries and a log of every attempt.

    Parameters
    ----------
    engine
        The operational store holding the outbox.
    http_post
        ``(url, body, headers) -> status``; default :func:`urllib_post` (10 s timeout).
    clock
        Current UTC time (naive) when ``run_once``/``replay`` get no ``now``.
    max_attempts
        Attempts before a delivery is ``failed`` (a replay starts again at attempt 1).
    base_delay, max_delay
        Retry ``n`` waits ``base_delay * 2 ** (n - 1)``, at most ``max_delay``.
    lease
        How long an attempt may stay in flight before another run retries it.
    """

    def __init__(self, engine: sa.Engine, *, http_post: HttpPost | None = None,
                 clock: Callable[[], dt.datetime] | None = None, max_attempts: int = 8,
                 base_delay: dt.timedelta = dt.timedelta(seconds=30),
                 max_delay: dt.timedelta = dt.timedelta(hours=6),
                 lease: dt.timedelta = dt.timedelta(minutes=5), batch: int = 100) -> None:
        if max_attempts < 1:
            raise InputError("max_attempts must be at least 1", max_attempts=max_attempts)
        self.engine = engine
        self.http_post = http_post or urllib_post
        self.clock = clock or utcnow
        self.max_attempts, self.base_delay, self.max_delay = max_attempts, base_delay, max_delay
        self.lease, self.batch = lease, batch
        ensure_schema(engine)

    def backoff(self, attempt: int) -> dt.timedelta:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.base_delay * 2 ** (attempt - 1), self.max_delay)

    def run_once(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Fan out new events, then make every attempt due at ``now``; count the outcomes."""
        now = now or self.clock()
        self._fan_out(now)
        counts = {"delivered": 0, "retrying": 0, "failed": 0}
        while True:
            with self.engine.connect() as conn:
                due = conn.execute(sa.select(deliveries).where(
                    deliveries.c.next_attempt_at <= now).order_by(
                    deliveries.c.next_attempt_at, deliveries.c.id).limit(self.batch)).all()
            claimed = [c for c in (self._claim(row, now) for row in due) if c is not None]
            for delivery_id in claimed:
                counts[self._attempt(delivery_id, now)] += 1
            if len(due) < self.batch:
                return counts

    def replay(self, delivery_or_event_id: str, now: dt.datetime | None = None) -> list[str]:
        """Send failed deliveries again now (``dlv_...``: that one; ``evt_...``: all of them).

        Returns the outcomes of the new attempts; a replay starts a new run of
        ``max_attempts``.
        """
        now = now or self.clock()
        with self.engine.begin() as conn:
            pairs = self._failed_pairs(conn, delivery_or_event_id)
            new_ids = [_new_attempt(conn, outbox_id, webhook_id, 1, now + self.lease, now)
                       for outbox_id, webhook_id in pairs]
        return [self._attempt(delivery_id, now) for delivery_id in new_ids]

    def log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest delivery attempts with event and webhook ids (never secrets)."""
        query = (sa.select(deliveries, outbox.c.event_id, outbox.c.event_type)
                 .join(outbox, outbox.c.id == deliveries.c.outbox_id)
                 .order_by(deliveries.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [{**r._mapping, "id": f"dlv_{r.id}"} for r in conn.execute(query)]

    def _fan_out(self, now: dt.datetime) -> None:
        """Queue a delivery per subscribed webhook for new events, ``batch`` events a commit."""
        while True:
            with self.engine.begin() as conn:
                hooks = [from_row(r) for r in conn.execute(sa.select(webhooks).where(
                    webhooks.c.active.is_(True)))]
                events = conn.execute(sa.select(outbox.c.id, outbox.c.event_type).where(
                    outbox.c.fanned_out.is_(False)).order_by(outbox.c.id).limit(self.batch)).all()
                for event in events:
                    taken = conn.execute(outbox.update().where(
                        outbox.c.id == event.id, outbox.c.fanned_out.is_(False)).values(
                        fanned_out=True)).rowcount
                    rows = [{"outbox_id": event.id, "webhook_id": hook.id, "attempt": 1,
                             "outcome": "queued", "at": now, "next_attempt_at": now}
                            for hook in hooks if hook.wants(event.event_type)]
                    if taken and rows:
                        conn.execute(deliveries.insert(), rows)
            if len(events) < self.batch:
                return

    def _claim(self, row: Any, now: dt.datetime) -> int | None:
        """Take a due delivery (compare-and-set, so concurrent dispatchers never share one)."""
        with self.engine.begin() as conn:
            if row.outcome == "queued":
                taken = conn.execute(deliveries.update().where(
                    deliveries.c.id == row.id, deliveries.c.outcome == "queued").values(
                    outcome="sending", at=now, next_attempt_at=now + self.lease)).rowcount
                return int(row.id) if taken else None
            taken = conn.execute(deliveries.update().where(
                deliveries.c.id == row.id,
                deliveries.c.next_attempt_at == row.next_attempt_at).values(
                next_attempt_at=None)).rowcount
            if not taken:
                return None
            return _new_attempt(conn, row.outbox_id, row.webhook_id, row.attempt + 1,
                                now + self.lease, now)

    def _attempt(self, delivery_id: int, now: dt.datetime) -> str:
        """POST one claimed delivery and record its outcome."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(deliveries.c.attempt, outbox, webhooks.c.url,
                                         webhooks.c.secret)
                               .join(outbox, outbox.c.id == deliveries.c.outbox_id)
                               .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
                               .where(deliveries.c.id == delivery_id)).one()
        body = _body(row)
        headers = {"Content-Type": "application/json", "User-Agent": "loyalist-webhooks",
                   "X-Loyalist-Event": row.event_type, "X-Loyalist-Event-Id": row.event_id,
                   "X-Loyalist-Delivery": f"dlv_{delivery_id}",
                   "X-Loyalist-Signature": sign(row.secret, body, _timestamp(now))}
        status, error = None, None
        try:
            status = self.http_post(row.url, body, headers)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        if status is not None and 200 <= status < 300:
            outcome, next_at = "delivered", None
        elif row.attempt < self.max_attempts:
            outcome, next_at = "retrying", now + self.backoff(row.attempt)
        else:
            outcome, next_at = "failed", None
        with self.engine.begin() as conn:
            conn.execute(deliveries.update().where(deliveries.c.id == delivery_id).values(
                outcome=outcome, status_code=status, error=error or (
                    None if outcome == "delivered" else f"HTTP {status}"),
                next_attempt_at=next_at))
        log.info("delivery dlv_%d of %s (attempt %d): %s", delivery_id, row.event_id, row.attempt,
                 outcome)
        return outcome

    def _failed_pairs(self, conn: sa.Connection, ident: str) -> list[tuple[int, str]]:
        """(event, webhook) pairs behind ``ident`` whose newest attempt failed."""
        d = deliveries
        if ident.startswith("dlv_") and ident[4:].isdigit():
            found = conn.execute(sa.select(d.c.outbox_id, d.c.webhook_id).where(
                d.c.id == int(ident[4:]))).first()
            scope = (d.c.outbox_id == found.outbox_id) & (d.c.webhook_id == found.webhook_id) \
                if found else None
        elif ident.startswith("evt_"):
            found = conn.execute(sa.select(outbox.c.id).where(outbox.c.event_id == ident)).first()
            scope = d.c.outbox_id == found.id if found else None
        else:
            raise InputError("replay takes a delivery id (dlv_...) or an event id (evt_...)",
                             id=ident)
        if scope is None:
            raise NotFoundError(f"no delivery or event {ident!r}", id=ident)
        newest: dict[tuple[int, str], str] = {}
        for r in conn.execute(sa.select(d.c.outbox_id, d.c.webhook_id, d.c.outcome)
                              .where(scope).order_by(d.c.id)):
            newest[(r.outbox_id, r.webhook_id)] = r.outcome
        ready = sorted(pair for pair, outcome in newest.items() if outcome == "failed")
        if not ready and ident.startswith("dlv_"):
            raise InputError(f"delivery {ident} has not failed (or is being retried)", id=ident)
        return ready
