"""Who is calling.

The API key comes from ``Authorization: Bearer``, ``X-API-Key`` or the cookie the dashboard sets,
and is checked against the operational store; open access only when asked for. A key the store
verified a moment ago (see :class:`~loyalist.access.keys.KeyStore`) is accepted on the event loop;
any other is looked up in a worker thread, so the loop never waits for the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from loyalist.access.keys import ApiKey, KeyStore, require_role

COOKIE = "loyalist_key"
OPEN_KEY = ApiKey("open", "open access (127.0.0.1)", "admin", dt.datetime(2000, 1, 1))


def token_of(request: Request) -> str | None:
    """The key the request carries, if any."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key") or request.cookies.get(COOKIE)


def requires(role: str) -> Callable[[Request], Awaitable[ApiKey]]:
    """A dependency that returns the caller's key, requiring at least ``role``."""

    async def dependency(request: Request) -> ApiKey:
        if request.app.state.open_access:
            return OPEN_KEY
        store: KeyStore = request.app.state.keys
        token = token_of(request)
        key = store.cached(token)
        if key is None:  # not verified lately: the store is read, off the event loop
            key = await run_in_threadpool(store.verify, token)
        require_role(key, role)
        return key

    dependency.__name__ = f"requires_{role}"
    return dependency
