"""SQLAlchemy statements compiled once per dialect and run straight on the DBAPI cursor.

A ledger write runs about ten small statements. SQLAlchemy's cached execution still spends
~50 µs of Python per statement (execution context, result proxy), several times what SQLite
takes to run one, so the hot statements of the write path are compiled once per dialect here,
with their bind and result processors, and run on the connection's own cursor (the same
transaction). The SQL and the value conversions are SQLAlchemy's own: no SQL text is written by
hand and nothing differs between engines here.

Examples
--------
>>> import datetime as dt
>>> table = sa.Table("t", sa.MetaData(), sa.Column("at", sa.DateTime))
>>> engine = sa.create_engine("sqlite://")
>>> table.create(engine)
>>> insert = Prepared(table.insert(), keys=("at",))
>>> select = Prepared(sa.select(table.c.at).where(table.c.at >= sa.bindparam("since")))
>>> with engine.begin() as conn:
...     insert.many(conn, [{"at": dt.datetime(2025, 1, 2)}])
...     select.all(conn, since=dt.datetime(2025, 1, 1))
[(datetime.datetime(2025, 1, 2, 0, 0),)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

Processor = Callable[[Any], Any] | None


class _Form:
    """One statement compiled for one dialect."""

    def __init__(self, stmt: Any, dialect: sa.Dialect, keys: Sequence[str] | None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        self.compiled = compiled
        self.sql = compiled.string
        self.names: list[str] | None = list(compiled.positiontup or []) \
            if compiled.positional else None
        self.binds: dict[str, Processor] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()}
        columns = list(getattr(stmt, "exported_columns", ()))  # selected or RETURNING
        self.results: list[Processor] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]

    def params(self, values: dict[str, Any]) -> Any:
        full = self.compiled.construct_params(values, _check=False)
        for name, proc in self.binds.items():
            if proc is not None and name in full:
                full[name] = proc(full[name])
        return full if self.names is None else [full[n] for n in self.names]

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(v if p is None or v is None else p(v) for p, v in zip(self.results, raw,
                                                                        strict=True))


class Prepared:
    """A statement compiled once per dialect (``keys``: the columns an insert sets)."""

    def __init__(self, stmt: Any, keys: Sequence[str] | None = None) -> None:
        self.stmt, self.keys = stmt, keys
        self._forms: dict[str, _Form] = {}

    def _form(self, conn: sa.Connection) -> _Form:
        dialect = conn.dialect
        form = self._forms.get(dialect.name)
        if form is None:
            form = self._forms[dialect.name] = _Form(self.stmt, dialect, self.keys)
        return form

    def run(self, conn: sa.Connection, **values: Any) -> Any:
        """Execute once; return the DBAPI cursor (for ``rowcount``)."""
        form = self._form(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(form.sql, form.params(values))
        return cursor

    def all(self, conn: sa.Connection, **values: Any) -> list[tuple[Any, ...]]:
        """Execute and return every row, converted as SQLAlchemy would."""
        form = self._form(conn)
        cursor = self.run(conn, **values)
        return [form.row(r) for r in cursor.fetchall()]

    def first(self, conn: sa.Connection, **values: Any) -> tuple[Any, ...] | None:
        """Execute and return the first row (or ``None``)."""
        rows = self.all(conn, **values)
        return rows[0] if rows else None

    def many(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        """Execute once per row of values (one ``executemany``)."""
        if not rows:
            return
        form = self._form(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(form.sql, [form.params(r) for r in rows])
