"""DuckDB connections that cannot touch files they were not given.

Every DuckDB connection loyalist opens on user data runs with external access off: it may read
the paths it was handed (a source file, the workspace snapshot's files) and write only inside the
directories it was handed (the one new snapshot file of a write), nothing else: no
``read_text('/etc/passwd')``, no ``COPY ... TO``, no ``ATTACH`` of the operational store, no
extension installs. DuckDB refuses to turn external access back on while a database runs, and the
configuration is locked on top, so even SQL that should never have been written cannot widen it.

Ibis sets two options when it wraps a connection (time zone, replacement scans), which a locked
configuration refuses: :func:`lock_down` sets them first, globally, and :func:`ibis_backend` wraps
a locked connection (or a cursor of one) without setting them again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

#: files DuckDB opens next to a database file it attaches
_COMPANIONS = ("", ".wal")


def lock_down(
    con: duckdb.DuckDBPyConnection,
    *,
    read: Iterable[Path | str] = (),
    attach: Iterable[Path | str] = (),
    write_dirs: Iterable[Path | str] = (),
) -> duckdb.DuckDBPyConnection:
    """Turn off file access on ``con`` except for the given paths; lock its configuration.

    Parameters
    ----------
    con
        A fresh connection (nothing of the user's run on it yet).
    read
        Files it may read (a CSV or Parquet source).
    attach
        DuckDB files it may attach (their write-ahead-log names are allowed with them).
    write_dirs
        Directories it may create and write files in (a new snapshot being written).

    Examples
    --------
    >>> con = lock_down(duckdb.connect())
    >>> con.execute("SELECT 42").fetchone()
    (42,)
    >>> try:
    ...     con.execute("SELECT * FROM read_text('/etc/hostname')")
    ... except duckdb.PermissionException:
    ...     print("refused")
    refused
    """
    paths = [str(Path(p).absolute()) for p in read]
    paths += [str(Path(p).absolute()) + suffix for p in attach for suffix in _COMPANIONS]
    dirs = [str(Path(d).absolute()).rstrip("/") + "/" for d in write_dirs]
    # what ibis would set on the connection; GLOBAL so every cursor of it has them too
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    con.execute("SET GLOBAL python_enable_replacements = false")
    if paths:
        con.execute("SET allowed_paths = ?", [paths])
    if dirs:
        con.execute("SET allowed_directories = ?", [dirs])
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET lock_configuration = true")
    return con


def compute_connection(
    *,
    read: Iterable[Path | str] = (),
    attach: Iterable[Path | str] = (),
    write_dirs: Iterable[Path | str] = (),
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection, locked down (see :func:`lock_down`)."""
    return lock_down(duckdb.connect(), read=read, attach=attach, write_dirs=write_dirs)


def ibis_backend(con: duckdb.DuckDBPyConnection) -> Any:
    """An Ibis DuckDB backend on a locked-down connection or on a cursor of one."""
    return _locked_backend_class().from_connection(con)


@functools.cache
def _locked_backend_class() -> Any:
    import ibis.backends.duckdb as ibis_duckdb  # imported when first needed: ibis is heavy

    class LockedBackend(ibis_duckdb.Backend):  # type: ignore[misc]
        def _post_connect(self, extensions: Any = None) -> None:
            # lock_down() already set what ibis sets here; the configuration is locked now
            self._record_batch_readers_consumed: dict[Any, Any] = {}

    return LockedBackend


__all__ = ["compute_connection", "ibis_backend", "lock_down"]
