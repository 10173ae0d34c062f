"""Throughput of loyalty ledger writes (earn + redeem mix) on SQLite WAL and PostgreSQL.

Library calls, no HTTP. Each write is one locked transaction with its idempotency record and
outbox events. Goal: >= 2,000 writes/s. After the run a consistency check compares, for every
member, the sum of entries with the derived balance, looks for balances below the policy floor
and runs ``Ledger.reconcile`` (the derived rows writes read, recomputed from the entries).

    .venv/bin/python benchmarks/ledger_speed.py --n 2000 --threads 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loyalist.loyalty.errors import RedemptionError  # noqa: E402
from loyalist.loyalty.ledger import Ledger  # noqa: E402
from loyalist.loyalty.program import example_program  # noqa: E402
from loyalist.loyalty.tables import entries  # noqa: E402
from loyalist.store.operational import connect_operational  # noqa: E402

AT = dt.datetime(2026, 6, 1)


def _work(ledger: Ledger, worker: int, n: int, members: int) -> tuple[int, int]:
    writes = refused = 0
    for i in range(n):
        member = f"m{(worker * 7919 + i) % members}"
        key = f"w{worker}-{i}"
        try:
            if i % 4 == 3:
                ledger.redeem(member, "five_off", key=key, at=AT)
            else:
                ledger.earn_for_order(member, key, 100 + i % 400, key=key, at=AT)
        except RedemptionError:
            refused += 1
        writes += 1
    return writes, refused


def _check(ledger: Ledger) -> str:
    with ledger.engine.connect() as conn:
        sums = dict(conn.execute(sa.select(entries.c.member_id, sa.func.sum(entries.c.points))
                                 .group_by(entries.c.member_id)).all())
    bad = 0
    for member, total in sums.items():
        bal = ledger.balance(member, at=AT)
        if bal.total != total or bal.available < 0 or \
                bal.available + bal.pending + bal.expired - bal.expired_recorded != total:
            bad += 1
    derived = ledger.reconcile()
    return (f"consistency: {len(sums)} members, {bad} balance mismatches, "
            f"{len(derived)} reconcile mismatches")


def run(engine: sa.Engine, label: str, n: int, threads: int, members: int) -> None:
    ledger = Ledger(engine, example_program())
    ledger.ensure_schema()
    per = n // threads
    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda w: _work(ledger, w, per, members), range(threads)))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    writes = sum(w for w, _ in results)
    # writes per CPU-second of this process: what the client side costs on a busy machine
    print(f"{label:<11} {writes:>7} writes {seconds:6.2f} s {writes / seconds:8.0f} writes/s "
          f"({writes / cpu:.0f} per client CPU-second) "
          f"(refused {sum(r for _, r in results)}; goal 2,000) {_check(ledger)}", flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="writes per engine")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = connect_operational(f"sqlite:///{Path(tmp) / 'ops.sqlite'}")
        run(engine, "sqlite-wal", args.n, args.threads, args.members)
    if not args.no_postgres:
        from tests.support.postgres import postgres_server

        with postgres_server() as url:
            run(connect_operational(url), "postgresql", args.n, args.threads, args.members)


if __name__ == "__main__":
    main()
