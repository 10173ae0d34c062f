"""A per-client request limit for the public survey endpoints, kept in memory only.

Client addresses are used as counter keys for the current window and dropped with it; nothing is
stored (no IP addresses stored unless asked).
"""

from __future__ import annotations

import threading
import time

from fastapi import Request

from loyalist.errors import LoyalistError


class RateLimited(LoyalistError):
    """Too many requests from one client."""

    status = 429


class RateLimiter:
    """At most ``limit`` requests per client per ``window`` seconds (fixed windows)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._counts: dict[str, int] = {}

    def check(self, request: Request) -> None:
        """Count a request; raise :class:`RateLimited` over the limit."""
        client = request.client.host if request.client else "unknown"
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= self.window:
                self._window_start, self._counts = now, {}
            self._counts[client] = self._counts.get(client, 0) + 1
            over = self._counts[client] > self.limit
        if over:
            raise RateLimited("too many requests; try again in a minute",
                              retry_after_seconds=int(self.window))


def limit_public(request: Request) -> None:
    """Dependency applying the app's public rate limit (none when not configured)."""
    limiter: RateLimiter | None = getattr(request.app.state, "public_limit", None)
    if limiter is not None:
        limiter.check(request)
