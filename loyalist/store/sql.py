"""The one place where names and text reach SQL written as a string.

Values are always bound (``?`` / ``$1`` / SQLAlchemy parameters). Two things cannot be bound in
DuckDB: identifiers (table and column names) and a few literals (a file path in ``CREATE VIEW``,
an option of ``read_csv``). Those go through :func:`ident` and :func:`literal` and nowhere else,
so a column named ``x" AS VARCHAR); COPY ... --`` stays one name.

Examples
--------
>>> ident('customer_id')
'"customer_id"'
>>> ident('a"b; DROP TABLE t; --')
'"a""b; DROP TABLE t; --"'
>>> literal("it's")
"'it''s'"
>>> qualified("ws", "orders")
'"ws"."orders"'
"""

from __future__ import annotations

from loyalist.errors import InputError

#: longest identifier accepted (DuckDB has no limit; PostgreSQL cuts names at 63 bytes)
MAX_IDENT = 1024


def ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (quotes doubled).

    A NUL, an empty name or one longer than :data:`MAX_IDENT` characters cannot be a column
    of ours: :class:`InputError`.
    """
    if not isinstance(name, str):
        raise InputError(f"a column or table name must be text, got {type(name).__name__}")
    if not name:
        raise InputError("a column or table name must not be empty", value=name)
    if "\x00" in name:
        raise InputError("a column or table name must not contain a NUL character",
                         value=name.replace("\x00", "\\0")[:80])
    if len(name) > MAX_IDENT:
        raise InputError(f"a column or table name is longer than {MAX_IDENT} characters",
                         value=name[:80] + "...")
    return '"' + name.replace('"', '""') + '"'


def qualified(*parts: str) -> str:
    """A dotted name, every part quoted: ``qualified("ws", "orders")`` -> ``"ws"."orders"``."""
    return ".".join(ident(p) for p in parts)


def literal(text: str) -> str:
    """``text`` as a single-quoted SQL string literal, for the few places that cannot bind.

    Only for text DuckDB does not accept as a parameter (a file path inside ``CREATE VIEW``,
    ``ATTACH``, a ``read_csv`` option): everything else is bound.
    """
    if "\x00" in text:
        raise InputError("text passed to SQL must not contain a NUL character",
                         value=text.replace("\x00", "\\0")[:80])
    return "'" + text.replace("'", "''") + "'"


__all__ = ["MAX_IDENT", "ident", "literal", "qualified"]
