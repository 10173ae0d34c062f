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
