"""The analytics workspace: a directory with one DuckDB file holding the canonical tables.

DuckDB lets one process hold a file read-write, and then no other process can open it at all, so
a workspace is opened per job or request and closed again (``with workspace.connect() as con``),
never held open by a long-running server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from loyalist.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    import ibis.backends.duckdb

#: Book-keeping tables: every rejected line, and one row per import.
REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS _rejects (
    import_id VARCHAR, table_name VARCHAR, file VARCHAR, line BIGINT,
    "column" VARCHAR, reason VARCHAR, value VARCHAR
)"""
IMPORTS_DDL = """
CREATE TABLE IF NOT EXISTS _imports (
    import_id VARCHAR, table_name VARCHAR, file VARCHAR, imported_at TIMESTAMP,
    lines_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT
)"""


class Workspace:
    """A workspace directory: ``analytics.duckdb`` plus reports and the operational store.

    Parameters
    ----------
    path
        The directory; created on first write.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    @property
    def database(self) -> Path:
        """Path of the DuckDB file."""
        return self.path / "analytics.duckdb"

    @property
    def exists(self) -> bool:
        """Whether the workspace has been written to."""
        return self.database.exists()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the DuckDB file for the duration of a ``with`` block.

        A read-write open creates the directory and the book-keeping tables when missing;
        the data layer creates the canonical tables (:func:`loyalist.data.tables.ensure_tables`).
        """
        if read_only and not self.exists:
            raise NotFoundError(
                f"no loyalist workspace at {self.path} (run `loyalist import` or `loyalist demo`)",
                file=str(self.path),
            )
        if not read_only:
            if self.path.exists() and not self.path.is_dir():
                raise ConfigError(f"workspace {self.path} is not a directory", key="workspace")
            self.path.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.database), read_only=read_only)
        try:
            if not read_only:
                con.execute(REJECTS_DDL)
                con.execute(IMPORTS_DDL)
            yield con
        finally:
            con.close()

    @contextmanager
    def attach(self, con: duckdb.DuckDBPyConnection, alias: str) -> Iterator[None]:
        """Attach the workspace file read-write to another connection as schema ``alias``."""
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"workspace {self.path} is not a directory", key="workspace")
        self.path.mkdir(parents=True, exist_ok=True)
        literal = str(self.database).replace("'", "''")
        con.execute(f"ATTACH '{literal}' AS {alias}")
        try:
            con.execute(REJECTS_DDL.replace("EXISTS _rejects", f"EXISTS {alias}._rejects"))
            con.execute(IMPORTS_DDL.replace("EXISTS _imports", f"EXISTS {alias}._imports"))
            yield
        finally:
            con.execute(f"DETACH {alias}")

    @contextmanager
    def ibis(self) -> Iterator[ibis.backends.duckdb.Backend]:
        """Open the workspace read-only as an Ibis backend for the duration of a ``with`` block."""
        import ibis

        with self.connect(read_only=True) as con:
            backend = ibis.duckdb.from_connection(con)
            yield backend


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """Run ``sql`` and return the first column of the first row (``None`` when empty)."""
    row = con.execute(sql, params or []).fetchone()
    return None if row is None else row[0]
