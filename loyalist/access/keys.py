"""API keys with roles: ``viewer`` reads, ``analyst`` also imports, ``admin`` also manages keys.

A key is ``lk_<id>_<secret>``: the id finds the row, the 32-byte random secret is checked against
its SHA-256 (a key with that much entropy needs no slow hash; the raw secret is shown once and
never stored or logged). Revoked keys stay in the table for the audit trail.

A :class:`KeyStore` remembers the keys it verified for ``cache_seconds`` (2 s by default), by
key id and secret digest, so that a server under load does not look its caller's key up on every
request. Revoking through the same store forgets the key at once; a key revoked elsewhere (the
CLI, another server process) is refused by this one within ``cache_seconds``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from loyalist.errors import InputError, LoyalistError, NotFoundError

ROLES = ("viewer", "analyst", "admin")

metadata = sa.MetaData()
api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)


class AuthError(LoyalistError):
    """Missing, malformed, unknown or revoked key."""

    status = 401


class ForbiddenError(LoyalistError):
    """A valid key whose role does not allow the action."""

    status = 403


@dataclass(frozen=True)
class ApiKey:
    """A stored key (without its secret)."""

    key_id: str
    name: str
    role: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None

    def allows(self, role: str) -> bool:
        """Whether this key's role is at least ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_CACHE_SIZE = 10_000  # verified keys remembered at most (then forgotten all at once)


def _parse(token: str | None) -> tuple[str, str]:
    """``(key id, secret digest)`` of a token; :class:`AuthError` when it is none."""
    if not token:
        raise AuthError("an API key is required (header 'Authorization: Bearer <key>')")
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "lk":
        raise AuthError("malformed API key")
    return parts[1], _digest(parts[2])


class KeyStore:
    """API keys in the operational store (SQLite or PostgreSQL through SQLAlchemy).

    Keys verified are remembered for ``cache_seconds`` (``0``: look every key up).
    """

    def __init__(self, engine: sa.Engine, *, cache_seconds: float = 2.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        # (key id, secret digest) -> (monotonic time until which it holds, the key)
        self._verified: dict[tuple[str, str], tuple[float, ApiKey]] = {}
        metadata.create_all(engine)

    def create(self, role: str, name: str = "", *, now: dt.datetime | None = None) -> str:
        """Create a key and return it in full; this is the only time the secret is available."""
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}", role=role)
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(api_keys.insert().values(
                key_id=key_id, name=name or role, role=role, secret_sha256=_digest(secret),
                created_at=now or dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        return f"lk_{key_id}_{secret}"

    def cached(self, token: str | None) -> ApiKey | None:
        """The key behind ``token`` if verified less than ``cache_seconds`` ago, else ``None``.

        Never reads the store (a server can call it on its event loop).
        """
        try:
            found = self._verified.get(_parse(token))
        except AuthError:
            return None
        return found[1] if found is not None and found[0] > time.monotonic() else None

    def verify(self, token: str | None) -> ApiKey:
        """Return the key behind ``token``; :class:`AuthError` when it is not a live key."""
        key_id, digest = _parse(token)
        found = self._verified.get((key_id, digest))
        now = time.monotonic()
        if found is not None and found[0] > now:
            return found[1]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None or not hmac.compare_digest(row.secret_sha256, digest):
            raise AuthError("unknown API key")
        if row.revoked_at is not None:
            self._verified.pop((key_id, digest), None)
            raise AuthError("revoked API key")
        key = ApiKey(row.key_id, row.name, row.role, row.created_at, row.revoked_at)
        if self.cache_seconds > 0:
            if len(self._verified) >= _CACHE_SIZE:
                self._verified.clear()
            self._verified[(key_id, digest)] = (now + self.cache_seconds, key)
        return key

    def list(self) -> list[ApiKey]:
        """Every key, newest first (secrets are never returned)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_keys).order_by(api_keys.c.created_at.desc(),
                                                             api_keys.c.key_id)).all()
        return [ApiKey(r.key_id, r.name, r.role, r.created_at, r.revoked_at) for r in rows]

    def revoke(self, key_id: str, *, now: dt.datetime | None = None) -> None:
        """Revoke a key (idempotent)."""
        with self.engine.begin() as conn:
            done = conn.execute(api_keys.update().where(api_keys.c.key_id == key_id).values(
                revoked_at=sa.func.coalesce(api_keys.c.revoked_at,
                                            now or dt.datetime.now(dt.UTC).replace(tzinfo=None))))
        for cached in [k for k in list(self._verified) if k[0] == key_id]:
            self._verified.pop(cached, None)  # this store refuses it at once
        if done.rowcount == 0:
            raise NotFoundError(f"no API key {key_id!r}", key_id=key_id)


def require_role(key: ApiKey, role: str) -> None:
    """Raise :class:`ForbiddenError` unless ``key`` has at least ``role``."""
    if not key.allows(role):
        raise ForbiddenError(f"this key has role {key.role!r}; {role!r} is needed",
                             role=key.role, needed=role)
