"""The operational store: points ledger, surveys, tasks and API keys.

SQLite in WAL mode by default (a file in the workspace), PostgreSQL in production, both through
SQLAlchemy 2 Core. WAL lets readers run while one writer commits; ``busy_timeout`` makes writers
wait for each other instead of failing. A PostgreSQL connection that sat in the pool for more
than :data:`PING_AFTER_IDLE` seconds is pinged before use (a dead one is replaced); one in steady
use is not, which saves a round trip per checkout (a ledger write is one checkout).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from loyalist.errors import ConfigError

PING_AFTER_IDLE = 10.0
_IDLE_SINCE = "loyalist_idle_since"


def default_url(workspace: Path) -> str:
    """Return the URL of the default SQLite operational store inside ``workspace``."""
    return f"sqlite:///{(workspace / 'operational.sqlite').resolve()}"


def connect_operational(url: str) -> sa.Engine:
    """Create an engine for the operational store at ``url``.

    Examples
    --------
    >>> engine = connect_operational("sqlite://")
    >>> with engine.connect() as conn:
    ...     conn.exec_driver_sql("select 1").scalar()
    1
    """
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"not a database URL: {url!r}", key="operational_url") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = sa.create_engine(parsed)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: sa.Engine) -> None:
    """``pool_pre_ping`` for connections idle a while: the pool replaces a dead one."""
    dialect = engine.dialect

    def checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    def checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise sa.exc.DisconnectionError(f"idle connection lost: {exc}") from exc
        if not alive:
            raise sa.exc.DisconnectionError("idle connection lost")

    sa.event.listen(engine, "checkin", checkin)
    sa.event.listen(engine, "checkout", checkout)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL: concurrent readers with one writer; NORMAL sync is durable in WAL mode across app
    # crashes (only an OS crash can lose the last commits).
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A checkpoint every 10,000 WAL pages (~40 MB) instead of SQLite's 1,000: a ledger write
    # dirties about a dozen index pages, and frequent checkpoints copy the same hot pages back
    # to the database file again and again (a commit took ~3x longer at 1,000). Still durable:
    # in WAL with synchronous=NORMAL every commit is in the WAL before it returns, so an app
    # crash loses nothing; checkpoints only happen less often.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    # After a checkpoint resets the WAL, truncate the file back to 64 MB so that a burst (or a
    # long reader holding a checkpoint back) does not leave a huge WAL on disk for good.
    cursor.execute("PRAGMA journal_size_limit=67108864")
    cursor.close()
