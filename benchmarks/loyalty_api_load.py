"""Load test of the loyalty API's writes over HTTP on 127.0.0.1 (bounded in count and time).

Run: ``.venv/bin/python benchmarks/loyalty_api_load.py [--requests 4000 --clients 8
--backend sqlite|postgres|both]``. Starts the app with uvicorn in a child process, then client
threads with keep-alive connections (``http.client``: no extra dependency) send earns and
redeems (points) with idempotency keys to a few hundred members; one write in ten repeats the
key of the thread's previous write, which must be answered as a replay. Prints throughput and
latency percentiles, then checks consistency:
every member's balance equals the sum of its entries and what the clients were told was
written (accepted earns minus accepted spends), no member is below zero, and
``Ledger.reconcile`` finds the derived rows equal to their values recomputed from entries.

Goal (issue #8): >= 500 requests/s and p99 <= 50 ms. PostgreSQL runs on a throw-away server
started like the tests' (``tests/support/postgres.py``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import multiprocessing as mp
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _http import free_port, latency_ms, post_json, run_clients, wait_until_up  # noqa: E402

from loyalist.access.keys import KeyStore  # noqa: E402
from loyalist.config import Settings  # noqa: E402
from loyalist.loyalty.applied import LedgerSource, apply_program  # noqa: E402
from loyalist.loyalty.tables import entries  # noqa: E402
from loyalist.store.operational import connect_operational, default_url  # noqa: E402

MAX_SECONDS = 120
PROGRAM = "id: bench\nname: Load test\npending_days: 0\n"


def serve(workspace: str, url: str, port: int) -> None:
    import uvicorn

    from loyalist.api import create_app

    app = create_app(Settings(workspace=Path(workspace), operational_url=url),
                     public_limit=None)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


class Tally:
    """What the clients saw: latencies, status codes, points written per member."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: collections.Counter[int] = collections.Counter()
        self.points: collections.Counter[str] = collections.Counter()
        self.bad_replays = 0

    def record(self, took: float, status: int, member: str, change: int, replay: bool) -> None:
        with self.lock:
            self.latencies.append(took)
            self.statuses[status] += 1
            if replay and status not in (200, 409):
                self.bad_replays += 1
            if status == 201:
                self.points[member] += change


def worker(port: int, token: str, indices: range, members: int, tally: Tally,
           deadline: float) -> None:
    rng = random.Random(indices.start)
    last: tuple[str, str, str, int] | None = None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # keep-alive
    for i in indices:
        if time.monotonic() > deadline:
            break
        replay = last is not None and i % 10 == 0
        if replay and last is not None:
            key, member, op, points = last
        else:
            member, key = f"m{rng.randrange(members)}", f"bench-{i}"
            op, points = ("earn" if rng.random() < 0.6 else "redeem"), rng.randint(1, 100)
        t0 = time.perf_counter()
        status, _ = post_json(conn, f"/api/v1/loyalty/members/{member}/{op}", {"points": points},
                              {"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        change = points if op == "earn" else -points
        tally.record(time.perf_counter() - t0, status, member, change, replay)
        last = (key, member, op, points)
    conn.close()


def check(url: str, tally: Tally) -> str:
    engine = connect_operational(url)
    ledger = LedgerSource(engine).ledger()
    with engine.connect() as conn:
        sums = dict(conn.execute(sa.select(entries.c.member_id, sa.func.sum(entries.c.points))
                                 .group_by(entries.c.member_id)).all())
    problems = 0
    for member in ledger.member_ids():
        balance = ledger.balance(member)
        stored = int(sums.get(member, 0))
        if not (balance.total == stored == tally.points[member] and balance.available >= 0):
            problems += 1
    derived = len(ledger.reconcile())
    engine.dispose()
    return "OK" if problems == derived == tally.bad_replays == 0 else (
        f"MISMATCH ({problems} member(s), {tally.bad_replays} bad replay(s), "
        f"{derived} reconcile mismatch(es))")


def run(label: str, url: str, args: argparse.Namespace) -> None:
    workspace = Path(tempfile.mkdtemp(prefix="loyalist-loyalty-load-"))
    engine = connect_operational(url)
    apply_program(engine, PROGRAM)
    token = KeyStore(engine).create("analyst", "load test")
    engine.dispose()
    port = free_port()
    server = mp.get_context("spawn").Process(target=serve, args=(str(workspace), url, port))
    server.start()
    try:
        wait_until_up(port)
        tally = Tally()
        deadline = time.monotonic() + MAX_SECONDS
        shares = [range(c, args.requests, args.clients) for c in range(args.clients)]
        threads = [threading.Thread(target=worker, args=(port, token, s, args.members, tally,
                                                         deadline)) for s in shares]
        elapsed = run_clients(threads)
    finally:
        server.terminate()
        server.join()
    done = len(tally.latencies)
    print(f"[{label}] {done:,} requests in {elapsed:.2f} s with {args.clients} clients, "
          f"{args.members} members; status {dict(sorted(tally.statuses.items()))}")
    print(f"[{label}] throughput: {done / elapsed:,.0f} req/s (goal >= 500)")
    print(f"[{label}] latency ms: {latency_ms(tally.latencies)} (goal p99 <= 50)")
    print(f"[{label}] consistency (balance == sum of entries == accepted writes, >= 0, "
          f"replays answered): {check(url, tally)}")


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="loyalist-loyalty-sqlite-"))
        run("sqlite", default_url(folder), args)
    if args.backend in ("postgres", "both"):
        with postgres() as url:
            run("postgresql", url, args)


if __name__ == "__main__":
    main()
