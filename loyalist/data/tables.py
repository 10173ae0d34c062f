"""Canonical tables inside a workspace: creation, counts and reading them back."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from loyalist.data.schema import TABLES, table, table_names
from loyalist.store.workspace import Workspace, scalar


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every canonical table that is missing, and add columns a newer schema declares."""
    for spec in TABLES:
        cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in spec.columns)
        con.execute(f'CREATE TABLE IF NOT EXISTS "{spec.name}" ({cols})')
        have = {r[0] for r in con.execute(f'DESCRIBE "{spec.name}"').fetchall()}
        for col in spec.columns:
            if col.name not in have:  # a workspace written by an older loyalist
                con.execute(f'ALTER TABLE "{spec.name}" ADD COLUMN "{col.name}" {col.sql_type}')


def counts(workspace: Workspace) -> dict[str, int]:
    """Number of rows in every canonical table (0 for tables never imported)."""
    with workspace.connect(read_only=True) as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return {
            name: int(scalar(con, f'SELECT count(*) FROM "{name}"')) if name in present else 0
            for name in table_names()
        }


def read_table(workspace: Workspace, name: str) -> pa.Table:
    """Return a canonical table as Arrow, ordered by its key."""
    spec = table(name)
    order = ", ".join(f'"{k}"' for k in spec.key)
    cols = ", ".join(f'"{c}"' for c in spec.column_names)
    with workspace.connect(read_only=True) as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if name not in present:
            return pa.table({c.name: pa.array([], _arrow_type(c.type)) for c in spec.columns})
        return con.execute(f'SELECT {cols} FROM "{name}" ORDER BY {order}').to_arrow_table()


def _arrow_type(kind: str) -> pa.DataType:
    return {
        "string": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }[kind]
