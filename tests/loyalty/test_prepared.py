"""Prepared statements bind and read values exactly as SQLAlchemy's own execution does."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from loyalist.loyalty.prepared import Prepared

table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("at", sa.DateTime, nullable=True))
TIMES = [dt.datetime(2026, 6, 1), dt.datetime(2026, 6, 1, 10, 30, 5, 7),
         dt.datetime(987, 6, 5, 4, 3, 2), dt.datetime(9999, 12, 31, 23, 59, 59, 999999), None]


def test_datetimes_round_trip_as_through_sqlalchemy(sqlite_engine):
    table.create(sqlite_engine)
    insert, select = Prepared(table.insert(), ("id", "at")), Prepared(
        sa.select(table.c.id, table.c.at).order_by(table.c.id))
    with sqlite_engine.begin() as conn:
        insert.many(conn, [{"id": i, "at": t} for i, t in enumerate(TIMES)])
        conn.execute(table.insert(), [{"id": 10, "at": TIMES[1]}])  # written by SQLAlchemy
        conn.exec_driver_sql("INSERT INTO t VALUES (11, '2026-06-01 10:30:05')")  # short text
        ours = select.all(conn)
        theirs = [tuple(r) for r in conn.execute(sa.select(table.c.id, table.c.at)
                                                 .order_by(table.c.id))]
    assert ours == theirs
    assert [t for _, t in ours[:5]] == TIMES
