"""Many threads and processes redeeming against one member: no overspend, each once."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from loyalist.loyalty.tables import entries, requests
from tests.loyalty import workers

THREADS, ATTEMPTS = 6, 8


def _prepare(engine: sa.Engine) -> None:
    ledger = workers.ledger_at(engine.url.render_as_string(hide_password=False))
    ledger.engine.dispose()
    ledger.engine = engine
    ledger.ensure_schema()
    ledger.earn("m", 1000, key="seed", at=workers.AT)


def _check(engine: sa.Engine, accepted: list[str]) -> None:
    ledger = workers.ledger_at(engine.url.render_as_string(hide_password=False))
    ledger.engine.dispose()
    ledger.engine = engine
    assert len(accepted) == len(set(accepted))
    with engine.connect() as conn:
        spent = conn.execute(sa.select(entries.c.idempotency_key, entries.c.points)
                             .where(entries.c.kind == "spend")).all()
        answered = conn.execute(sa.select(sa.func.count()).select_from(requests).where(
            requests.c.key != "seed")).scalar()
    assert sorted(k for k, _ in spent) == sorted(accepted)  # each accepted one exactly once
    mugs = sum(1 for _, p in spent if p == -30)
    total = -sum(p for _, p in spent)
    bal = ledger.balance("m", at=workers.AT)
    assert total <= 1000 and bal.available == 1000 - total >= 0  # zero overspend
    assert bal.available < 30 or ledger.stock("mug") == 0 and bal.available < 70
    assert ledger.stock("mug") == 12 - mugs >= 0
    assert answered == THREADS * ATTEMPTS  # every key has its one stored answer


def _threads(engine: sa.Engine) -> list[str]:
    url = engine.url.render_as_string(hide_password=False)
    ledgers = [workers.ledger_at(url) for _ in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(workers.redeem_some, ledgers, range(THREADS),
                                [ATTEMPTS] * THREADS))
    for ledger in ledgers:
        ledger.engine.dispose()
    return [k for keys in results for k in keys]


def _processes(engine: sa.Engine) -> list[str]:
    url = engine.url.render_as_string(hide_password=False)
    with multiprocessing.get_context("spawn").Pool(THREADS) as pool:
        results = pool.starmap(workers.redeem_process,
                               [(url, w, ATTEMPTS) for w in range(THREADS)])
    return [k for keys in results for k in keys]


@pytest.mark.parametrize("run", [_threads, _processes], ids=["threads", "processes"])
def test_sqlite_redemptions_never_overspend(sqlite_engine, run):
    _prepare(sqlite_engine)
    _check(sqlite_engine, run(sqlite_engine))


@pytest.mark.postgres
@pytest.mark.parametrize("run", [_threads, _processes], ids=["threads", "processes"])
def test_postgres_redemptions_never_overspend(pg_engine, run):
    _prepare(pg_engine)
    _check(pg_engine, run(pg_engine))
