"""Helpers shared by the HTTP load scripts: a free port, waiting for the server, keep-alive JSON.

Standard library only (``http.client``), so that the load scripts need nothing beyond the base
install.
"""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import threading
import time
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(port: int, seconds: float = 30.0, path: str = "/api/v1/health") -> None:
    """Poll ``path`` on 127.0.0.1:``port`` until the server answers; ``RuntimeError`` if not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start within {seconds:.0f} s")


def post_json(conn: http.client.HTTPConnection, path: str, body: Any,
              headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """POST ``body`` as JSON on a kept-alive connection; return the status and the body read."""
    conn.request("POST", path, body=json.dumps(body),
                 headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    return response.status, response.read()


def run_clients(threads: list[threading.Thread]) -> float:
    """Start the client threads together, wait for all of them; the seconds it took."""
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def latency_ms(latencies: list[float]) -> str:
    """``p50 …, p95 …, p99 …`` in milliseconds of latencies given in seconds."""
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return f"p50 {q[49] * 1000:.1f}, p95 {q[94] * 1000:.1f}, p99 {q[98] * 1000:.1f}"
