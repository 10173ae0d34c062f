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


def test_constants_are_written_in_the_sql_where_a_partial_index_can_see_them(sqlite_engine):
    lots = sa.Table("lots", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("member", sa.String), sa.Column("kind", sa.String),
                    sa.Column("left", sa.Integer),
                    sa.Index("ix_open", "member", sqlite_where=sa.text('"left" > 0')))
    lots.create(sqlite_engine)
    query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(lots.c.left), 0)).where(
        lots.c.member == sa.bindparam("member"), lots.c.left > 0, lots.c.kind == "earn")
    prepared = Prepared(query)
    rows = [{"id": i, "member": f"m{i % 3}", "kind": ("earn", "spend")[i % 2], "left": i % 4}
            for i in range(40)]
    with sqlite_engine.begin() as conn:
        conn.execute(lots.insert(), rows)
        form = prepared._form(conn)
        assert '"left" > 0' in form.sql and "kind = 'earn'" in form.sql
        assert form.names == ["member"]  # the only parameter left
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + form.sql, ("m1",)).all()
        assert "ix_open" in str(plan)
        for member in ("m0", "m1", "m2"):
            assert prepared.first(conn, member=member) == \
                tuple(conn.execute(query, {"member": member}).one())
