"""Load test of survey response submission over HTTP on 127.0.0.1 (bounded in count and time).

Run: ``.venv/bin/python benchmarks/survey_load.py [--responses 3000 --clients 8]``. Starts the
app with uvicorn in a child process (SQLite WAL operational store), issues one signed link per
response, posts the answers from several client threads with keep-alive connections
(``http.client``: no extra dependency), and prints throughput and latency percentiles; then
checks that every accepted answer was stored once.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _http import free_port, latency_ms, post_json, run_clients, wait_until_up  # noqa: E402

from loyalist.config import Settings  # noqa: E402
from loyalist.store.operational import connect_operational, default_url  # noqa: E402
from loyalist.surveys.service import SurveyService  # noqa: E402
from loyalist.surveys.tables import responses  # noqa: E402
from tests.surveys.conftest import NPS  # noqa: E402

MAX_SECONDS = 120


def serve(workspace: str, port: int) -> None:
    import uvicorn

    from loyalist.api import create_app

    app = create_app(Settings(workspace=Path(workspace)), public_limit=None)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    workspace = Path(tempfile.mkdtemp(prefix="loyalist-load-"))
    engine = connect_operational(default_url(workspace))
    service = SurveyService(engine)
    service.define({**NPS, "throttle": {"cooldown_days": 0, "max_per_customer_days": 0}})
    tokens = [service.invite("nps", f"c{i}") for i in range(args.responses)]
    port = free_port()
    server = mp.get_context("spawn").Process(target=serve, args=(str(workspace), port))
    server.start()
    try:
        wait_until_up(port)
        latencies: list[float] = []
        failures: list[int] = []
        lock = threading.Lock()
        deadline = time.monotonic() + MAX_SECONDS

        def worker(mine: list[str]) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # keep-alive
            for i, token in enumerate(mine):
                if time.monotonic() > deadline:
                    break
                t0 = time.perf_counter()
                status, _ = post_json(conn, "/api/v1/surveys/responses", {
                    "token": token, "answers": {"nps": i % 11, "why": "fine"}})
                took = time.perf_counter() - t0
                with lock:
                    (latencies if status == 201 else failures).append(
                        took if status == 201 else status)
            conn.close()

        chunks = [tokens[i::args.clients] for i in range(args.clients)]
        threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
        elapsed = run_clients(threads)
    finally:
        server.terminate()
        server.join()
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count(sa.distinct(responses.c.nonce)))).scalar()
    print(f"responses accepted: {len(latencies):,}, refused: {len(failures)}, "
          f"in {elapsed:.2f} s with {args.clients} clients")
    print(f"throughput: {len(latencies) / elapsed:,.0f} responses/s")
    print(f"latency ms: {latency_ms(latencies)}")
    print(f"consistency: {stored:,} answered links stored for {len(latencies):,} accepted "
          f"-> {'OK' if stored == len(latencies) and not failures else 'MISMATCH'}")


if __name__ == "__main__":
    main()
