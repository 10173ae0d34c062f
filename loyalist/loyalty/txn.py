"""Write transactions that serialise every write of one member (the check-and-write guard).

SQLite has one writer: ``BEGIN IMMEDIATE`` takes the write lock before the first read, so a
balance read and the spend it allows can never interleave with another writer, in this process
or another. Threads of one process also queue on an in-process lock first, because SQLite's
busy handler sleeps in steps of up to 100 ms. PostgreSQL locks the member's row
(``SELECT ... FOR UPDATE``): writes of one member queue, writes of different members run in
parallel. This module is the one place where the two engines differ.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from loyalist.loyalty.prepared import cursor
from loyalist.loyalty.tables import members

_LOCKS: weakref.WeakKeyDictionary[sa.Engine, threading.Lock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _process_lock(engine: sa.Engine) -> threading.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    with _GUARD:
        lock = _LOCKS.get(engine)
        if lock is None:
            lock = _LOCKS[engine] = threading.Lock()
        return lock


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection in a write transaction; commits on success, rolls back on error."""
    lock = _process_lock(engine)
    if lock is not None:
        lock.acquire()
    try:
        with engine.connect() as conn:
            conn.begin()  # pysqlite emits nothing here: it begins lazily (and only DEFERRED)
            if lock is not None:  # so start the SQLite transaction ourselves, on the cursor
                cursor(conn).execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
    finally:
        if lock is not None:
            lock.release()


_BATCH_CACHE = 32768  # KiB of page cache for a connection that runs batches (default: 2,000)


def roomy(conn: sa.Connection) -> None:
    """Give ``conn`` a bigger page cache if it is SQLite's (a batch is a long transaction).

    A transaction's changed pages stay in the cache until it commits; once they fill SQLite's
    default 2 MB, it writes them to the WAL early and reads them back (a batch of 100 writes
    changes several MB). The connection keeps the size (pages are cached as they are read):
    the next batch finds its pages still there.
    """
    if conn.dialect.name != "sqlite":
        return
    cur = cursor(conn)
    size = int(cur.execute("PRAGMA cache_size").fetchone()[0])
    if size > 0:  # in pages, not KiB
        size = -size * int(cur.execute("PRAGMA page_size").fetchone()[0]) // 1024
    if -size < _BATCH_CACHE:
        cur.execute(f"PRAGMA cache_size=-{_BATCH_CACHE}")


@contextmanager
def savepoint(conn: sa.Connection) -> Iterator[None]:
    """A part of ``conn``'s transaction undone alone on error (one write of a batch)."""
    cur = cursor(conn)
    cur.execute("SAVEPOINT loyalist_write")
    try:
        yield
    except BaseException:
        cur.execute("ROLLBACK TO SAVEPOINT loyalist_write")
        cur.execute("RELEASE SAVEPOINT loyalist_write")
        raise
    cur.execute("RELEASE SAVEPOINT loyalist_write")


def serialised(conn: sa.Connection) -> bool:
    """Whether ``conn``'s write transaction excludes every other writer (SQLite).

    Then what it reads is current. Otherwise a statement that waited for a row lock still
    reads as of its start (PostgreSQL's read committed): what a write reads must come after
    the statement that locks the member.
    """
    return conn.dialect.name == "sqlite"


_LOCK = sa.select(members.c.joined_at, members.c.segment).where(
    members.c.member_id == sa.bindparam("member_id")).with_for_update()
_INSERT = members.insert()
_INSERT_PG = postgresql.insert(members).on_conflict_do_nothing()


def lock_member(conn: sa.Connection, member_id: str, at: dt.datetime) -> Any:
    """Lock (creating it if needed) the member's row; return it (``joined_at``, ``segment``)."""
    key = {"member_id": member_id}
    row = conn.execute(_LOCK, key).first()
    if row is not None:
        return row
    values = {"member_id": member_id, "joined_at": at, "segment": None, "created_at": at}
    # SQLite: BEGIN IMMEDIATE already excludes other writers, a plain insert is safe
    conn.execute(_INSERT_PG if conn.dialect.name == "postgresql" else _INSERT, values)
    return conn.execute(_LOCK, key).one()
