"""SQLAlchemy statements compiled once per dialect and run straight on the DBAPI cursor.

A ledger write runs about ten small statements. SQLAlchemy's cached execution still spends
~50 µs of Python per statement (execution context, result proxy), several times what SQLite
takes to run one, so the hot statements of the write path are compiled once per dialect here,
with their bind and result processors, and run on the connection's own cursor (the same
transaction). The SQL and the value conversions are SQLAlchemy's own: no SQL text is written by
hand and nothing differs between engines here. Each form keeps a plan of its parameters (name,
converter, constant), so a call builds its parameters in one loop without SQLAlchemy's
``construct_params``; a write's timestamps are converted once (one value remembered per
converter), and each connection keeps one cursor for every statement run through here.

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

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

Processor = Callable[[Any], Any] | None
_UNSET = object()


def _remember_last(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``proc`` remembering its last value: a write binds the same timestamp several times."""
    last: list[Any] = [_UNSET, None]

    def convert(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        out = proc(value)
        last[0], last[1] = value, out
        return out

    return convert


# Texts of the naive datetimes formatted lately, by any statement: a write binds the same few
# times (its time, the end of the pending period, the expiry) in most of its statements.
_TEXTS: dict[dt.datetime, str] = {}


def _isoformat(proc: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
    """``proc`` by ``datetime.isoformat`` if it formats naive datetimes just so (SQLite's)."""
    samples = (dt.datetime(2001, 2, 3, 4, 5, 6, 7), dt.datetime(987, 6, 5, 4, 3, 2))
    if any(proc(d) != d.isoformat(" ", "microseconds") for d in samples):
        return None

    def convert(value: Any) -> Any:
        if type(value) is dt.datetime and value.tzinfo is None:
            text = _TEXTS.get(value)
            if text is None:
                if len(_TEXTS) >= 256:
                    _TEXTS.clear()
                text = _TEXTS[value] = value.isoformat(" ", "microseconds")
            return text
        return proc(value)

    return convert


def _fromisoformat(proc: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
    """``proc`` by ``datetime.fromisoformat`` on the text it reads just so (SQLite's)."""
    samples = ("2001-02-03 04:05:06.000007", "0987-06-05 04:03:02.000000")
    if any(proc(text) != dt.datetime.fromisoformat(text) for text in samples):
        return None
    parse = dt.datetime.fromisoformat

    def convert(value: Any) -> Any:
        if type(value) is str and len(value) == 26 and value[10] == " ":
            return parse(value)
        return proc(value)

    return convert


def _result_processor(column: Any, dialect: sa.Dialect) -> Processor:
    proc = column.type.dialect_impl(dialect).result_processor(dialect, None)
    if proc is not None and isinstance(column.type, sa.DateTime):
        return _fromisoformat(proc) or proc  # the same datetimes, several times faster
    return proc


def _bind_processor(bind: Any, dialect: sa.Dialect) -> Processor:
    proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
    if proc is not None and isinstance(bind.type, sa.DateTime):
        # the same text, several times faster; else: a write binds its time several times
        return _isoformat(proc) or _remember_last(proc)
    return proc


def _inline_literals(stmt: Any, dialect: sa.Dialect) -> Any:
    """``stmt`` with its constants (``kind = 'earn'``, ``remaining > 0``) written in the SQL.

    Bound as parameters they cost a bind each and hide from the planner what it could use:
    SQLite takes a partial index (``WHERE remaining > 0``) only for a query whose condition
    states it, and folds constant expressions once instead of per row. The text of each
    constant is the dialect's own literal rendering.
    """

    def replace(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter) and not element.required and \
                element.callable is None and element.value is not None and \
                not element.expanding and type(element.value) in _LITERAL_TYPES:
            text = element.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            return sa.literal_column(str(text), element.type)
        return None

    return visitors.replacement_traverse(stmt, {}, replace)


_LITERAL_TYPES = (int, str, bool)


class _Form:
    """One statement compiled for one dialect."""

    def __init__(self, stmt: Any, dialect: sa.Dialect, keys: Sequence[str] | None) -> None:
        stmt = _inline_literals(stmt, dialect)
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        if compiled.escaped_bind_names:  # pragma: no cover - only plain names are used here
            raise ValueError(f"bind names need escaping: {compiled.escaped_bind_names}")
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        # (name, converter, value when the caller gives none: a literal of the statement)
        self.names = names
        self.plan: list[tuple[str, Processor, Any]] = [
            (name, _bind_processor(compiled.binds[name], dialect),
             compiled.binds[name].effective_value) for name in names]
        # Fast path: the statement's literals merged in, every value fetched at once, and the
        # converters applied to their positions only.
        self.literals = {name: const for name, _, const in self.plan
                         if not compiled.binds[name].required}
        self.get = itemgetter(*[name for name, _, _ in self.plan]) if self.plan else None
        self.converters = [(i, proc) for i, (_, proc, _) in enumerate(self.plan)
                           if proc is not None]
        columns = list(getattr(stmt, "exported_columns", ()))  # selected or RETURNING
        results = [_result_processor(c, dialect) for c in columns]
        self.results: list[tuple[int, Callable[[Any], Any]]] = [
            (i, p) for i, p in enumerate(results) if p is not None]

    def params(self, values: dict[str, Any]) -> Any:
        if self.get is None:
            return [] if self.positional else {}
        if self.literals:
            values = {**values, **self.literals}
        try:
            got = self.get(values)
        except KeyError:  # a value left out: the bind's own (None), as SQLAlchemy would
            return self._params(values)
        out = list(got) if len(self.plan) > 1 else [got]
        for i, proc in self.converters:
            out[i] = proc(out[i])
        return out if self.positional else dict(zip(self.names, out, strict=True))

    def _params(self, values: dict[str, Any]) -> Any:
        get = values.get
        out = [get(name, const) if proc is None else proc(get(name, const))
               for name, proc, const in self.plan]
        return out if self.positional else dict(zip(self.names, out, strict=True))

    def rows(self, raw: list[Any]) -> list[tuple[Any, ...]]:
        if not self.results:
            return [tuple(r) for r in raw]
        out = []
        for r in raw:
            row = list(r)
            for i, proc in self.results:
                if row[i] is not None:
                    row[i] = proc(row[i])
            out.append(tuple(row))
        return out


_LAST = threading.local()  # the last connection asked about in this thread, and its cursor


def cursor(conn: sa.Connection) -> Any:
    """The DBAPI cursor kept for ``conn``'s DBAPI connection (one per connection, reused)."""
    last = getattr(_LAST, "pair", None)
    if last is not None and last[0] is conn:
        return last[1]
    dbapi = conn.connection.dbapi_connection
    kept = conn.info.get("loyalist_cursor")
    if kept is None or kept[0] is not dbapi:
        kept = conn.info["loyalist_cursor"] = (dbapi, dbapi.cursor())  # type: ignore[union-attr]
    _LAST.pair = (conn, kept[1])
    return kept[1]


def _translated(conn: sa.Connection, exc: Exception, sql: str, params: Any) -> Exception:
    """A DBAPI error as SQLAlchemy's (``IntegrityError``...), as ``conn.execute`` raises it."""
    error = conn.dialect.loaded_dbapi.Error
    if isinstance(exc, error):
        return sa.exc.DBAPIError.instance(sql, params, exc, error)
    return exc


@contextmanager
def batched(conn: sa.Connection) -> Iterator[None]:
    """Send the statements run inside together where the driver can (one round trip).

    psycopg's pipeline mode queues statements and waits for them at the end (or when a result
    is fetched); an error of any of them is raised on leaving. Other drivers run them as usual.
    """
    pipeline = getattr(conn.connection.dbapi_connection, "pipeline", None)
    if pipeline is None:
        yield
        return
    try:
        with pipeline():
            yield
    except Exception as exc:
        raise _translated(conn, exc, "(pipeline)", None) from exc


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
        cur, params = cursor(conn), form.params(values)
        try:
            cur.execute(form.sql, params)
        except Exception as exc:
            raise _translated(conn, exc, form.sql, params) from exc
        return cur

    def all(self, conn: sa.Connection, **values: Any) -> list[tuple[Any, ...]]:
        """Execute and return every row, converted as SQLAlchemy would."""
        cur = self.run(conn, **values)
        return self._form(conn).rows(cur.fetchall())

    def first(self, conn: sa.Connection, **values: Any) -> tuple[Any, ...] | None:
        """Execute and return the first row (or ``None``)."""
        rows = self.all(conn, **values)
        return rows[0] if rows else None

    def many(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
        """Execute once per row of values (one ``executemany``; a single row: ``execute``)."""
        if not rows:
            return
        form = self._form(conn)
        params = [form.params(r) for r in rows]
        try:
            if len(params) == 1:
                cursor(conn).execute(form.sql, params[0])
            else:
                cursor(conn).executemany(form.sql, params)
        except Exception as exc:
            raise _translated(conn, exc, form.sql, params) from exc
