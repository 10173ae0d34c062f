from __future__ import annotations

import pytest

from loyalist.errors import ConfigError
from loyalist.store.operational import connect_operational, default_url


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = connect_operational(default_url(tmp_path))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert (tmp_path / "operational.sqlite").exists()


def test_bad_url():
    with pytest.raises(ConfigError, match="not a database URL"):
        connect_operational("::nope::")


def test_a_postgres_connection_idle_a_while_is_pinged_and_replaced_when_dead(
        postgres_url, monkeypatch):
    import sqlalchemy as sa

    from loyalist.store import operational

    engine = operational.connect_operational(postgres_url)
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("select pg_backend_pid()").scalar()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"select pg_terminate_backend({pid})")
        monkeypatch.setattr(operational, "PING_AFTER_IDLE", 0.0)
        with engine.connect() as conn:  # the pooled connection is dead: pinged, replaced
            assert conn.exec_driver_sql("select pg_backend_pid()").scalar() != pid
    finally:
        engine.dispose()
        admin.dispose()
