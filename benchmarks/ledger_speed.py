"""Throughput of loyalty ledger writes (earn + redeem mix) on SQLite WAL and PostgreSQL.

Library calls, no HTTP. Each write is one locked transaction with its idempotency record and
outbox events. Goal (issue #8): >= 2,000 writes/s on SQLite. Each engine runs on a fresh
database: one thread, then ``--threads`` threads, then one thread with ``--batch`` writes
committed together (``Ledger.batch``, what order replays use: each write still checks,
writes its entries, events and idempotency record). Besides writes/s (wall clock) it prints the
client CPU per write (this process's CPU time / writes: Python, plus SQLite itself on SQLite),
which a busy machine inflates less than wall-clock figures. After each run a consistency check
compares, for every member, the sum of entries with the derived balance, looks for balances
below the policy floor and runs ``Ledger.reconcile`` (the derived rows writes read,
recomputed from the entries).

    .venv/bin/python benchmarks/ledger_speed.py --n 20000 --threads 2 --batch 100
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loyalist.loyalty.errors import RedemptionError  # noqa: E402
from loyalist.loyalty.ledger import Ledger  # noqa: E402
from loyalist.loyalty.program import example_program  # noqa: E402
from loyalist.loyalty.tables import entries  # noqa: E402
from loyalist.store.operational import connect_operational  # noqa: E402

AT = dt.datetime(2026, 6, 1)


def _work(ledger: Ledger, worker: int, n: int, members: int,
          threads: int, batch: int = 0) -> tuple[int, int]:
    """``n`` writes: 3 orders to 1 redemption, the clock moving 3 minutes a write (of all).

    An order's points are pending for the program's 30 days, so redemptions start to succeed
    after about 2,500 writes a thread (a member's orders then cover a 500-point reward).
    ``batch``: writes committed together (:meth:`Ledger.batch`); 0: a transaction each.
    """
    writes = refused = 0
    for first in range(0, n, batch or 1):
        with ledger.batch() if batch else contextlib.nullcontext():
            for i in range(first, min(first + (batch or 1), n)):
                member = f"m{(worker * 7919 + i // 2) % members}"  # not tied to i % 4
                key = f"w{worker}-{i}"
                at = AT + dt.timedelta(minutes=3 * (i * threads + worker))
                try:
                    if i % 4 == 3:
                        ledger.redeem(member, "five_off", key=key, at=at)
                    else:
                        ledger.earn_for_order(member, key, 100 + i % 400, key=key, at=at)
                except RedemptionError:
                    refused += 1
                writes += 1
    return writes, refused


def _check(ledger: Ledger, end: dt.datetime) -> str:
    with ledger.engine.connect() as conn:
        sums = dict(conn.execute(sa.select(entries.c.member_id, sa.func.sum(entries.c.points))
                                 .group_by(entries.c.member_id)).all())
    bad = 0
    for member, total in sums.items():
        bal = ledger.balance(member, at=end)
        if bal.total != total or bal.available < 0 or \
                bal.available + bal.pending + bal.expired - bal.expired_recorded != total:
            bad += 1
    derived = ledger.reconcile()
    return (f"consistency: {len(sums)} members, {bad} balance mismatches, "
            f"{len(derived)} reconcile mismatches")


def run(engine: sa.Engine, label: str, n: int, threads: int, members: int,
        batch: int = 0) -> None:
    ledger = Ledger(engine, example_program())
    ledger.ensure_schema()
    per = n // threads
    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda w: _work(ledger, w, per, members, threads, batch),
                                range(threads)))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    writes = sum(w for w, _ in results)
    mode = f"batches of {batch}" if batch else f"{threads} thread{'s' if threads > 1 else ' '}"
    print(f"{label:<11} {mode:<16} {writes:>7} writes "
          f"{seconds:6.2f} s {writes / seconds:7.0f} writes/s "
          f"{cpu / writes * 1e6:5.0f} us client CPU/write "
          f"(refused {sum(r for _, r in results)}; goal 2,000) "
          f"{_check(ledger, AT + dt.timedelta(minutes=3 * n))}", flush=True)
    engine.dispose()


@contextmanager
def _postgres_databases() -> Iterator[Callable[[str], str]]:
    """A throw-away server; yields a function making a fresh database (its URL) by name."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")

        def create(name: str) -> str:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
            return sa.engine.make_url(url).set(database=name).render_as_string(
                hide_password=False)

        try:
            yield create
        finally:
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="writes per run")
    parser.add_argument("--threads", type=int, default=2, help="threads of the second run")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--batch", type=int, default=100,
                        help="writes per transaction of the batched run (0: no such run)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    runs = [(t, 0) for t in sorted({1, args.threads})] + ([(1, args.batch)] if args.batch else [])
    with tempfile.TemporaryDirectory() as tmp:
        for threads, batch in runs:
            engine = connect_operational(
                f"sqlite:///{Path(tmp) / f'ops{threads}-{batch}.sqlite'}")
            run(engine, "sqlite-wal", args.n, threads, args.members, batch)
    if not args.no_postgres:
        with _postgres_databases() as database:
            for threads, batch in runs:
                engine = connect_operational(database(f"ledger_speed_{threads}_{batch}"))
                run(engine, "postgresql", args.n, threads, args.members, batch)


if __name__ == "__main__":
    main()
