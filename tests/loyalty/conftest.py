from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from loyalist.loyalty.ledger import Ledger
from loyalist.loyalty.program import parse_program
from loyalist.loyalty.program_schema import Program
from loyalist.store.operational import connect_operational

T0 = dt.datetime(2025, 1, 1, 12)


def days(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def make_program(**overrides: Any) -> Program:
    base: dict[str, Any] = {
        "id": "test",
        "earning": [{"id": "buy", "kind": "order", "per": "currency_unit", "points": 1}],
    }
    base.update(overrides)
    return parse_program(base)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = connect_operational(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def ledger_for(sqlite_engine: sa.Engine) -> Callable[..., Ledger]:
    def make(**overrides: Any) -> Ledger:
        ledger = Ledger(sqlite_engine, make_program(**overrides))
        ledger.ensure_schema()
        return ledger

    return make


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[sa.Engine]:
    """A fresh database on the session's throw-away PostgreSQL server."""
    name = "ledger_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.engine.make_url(postgres_url).set(database=name)
    engine = connect_operational(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name}")
    admin.dispose()
