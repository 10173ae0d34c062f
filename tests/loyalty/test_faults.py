"""A writer killed with SIGKILL mid-burst: after the client retries its keys, nothing is lost
or doubled and the balances reconcile."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from loyalist.loyalty.tables import entries
from tests.loyalty import workers

ROOT = Path(__file__).resolve().parents[2]
N = 300


def _books(engine: sa.Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        return sorted((r.idempotency_key, r.kind, int(r.points)) for r in conn.execute(
            sa.select(entries.c.idempotency_key, entries.c.kind, entries.c.points)))


def _kill_mid_burst(url: str) -> int:
    done = 0
    with subprocess.Popen([sys.executable, "-m", "tests.loyalty.workers", url, str(N)],
                          cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        for _ in proc.stdout:
            done += 1
            if done == N // 3:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return done


def _crash_and_retry(engine: sa.Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    setup = workers.ledger_at(url)
    setup.ensure_schema()
    setup.engine.dispose()
    assert _kill_mid_burst(url) == N // 3
    assert 0 < len(_books(engine)) < N  # the burst did stop part-way
    again = workers.ledger_at(url)
    workers.run_burst(again, N)  # the client retries every key after the crash
    reference = workers.ledger_at("sqlite://")
    reference.ensure_schema()
    workers.run_burst(reference, N)
    assert _books(engine) == _books(reference.engine)
    bal, expected = again.balance("m", at=workers.AT), reference.balance("m", at=workers.AT)
    assert bal == expected and bal.total == sum(p for _, _, p in _books(engine))
    again.engine.dispose()


def test_sqlite_writer_killed_mid_burst(sqlite_engine):
    _crash_and_retry(sqlite_engine)


@pytest.mark.postgres
def test_postgres_writer_killed_mid_burst(pg_engine):
    _crash_and_retry(pg_engine)
