"""Import files and data frames into a workspace: validate, keep every reject, upsert atomically.

An import reads the whole source, rejects bad rows (kept with file, line, column and reason in the
workspace's ``_rejects`` table) and, in one transaction, replaces the rows whose key it carries and
the rejects an earlier import of the same file left. Importing the same file twice therefore
changes nothing, and a failure leaves the workspace as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from loyalist.data.schema import Table, table
from loyalist.data.sources import Staged, collect_structural, stage_arrow, stage_file
from loyalist.data.tables import ensure_tables
from loyalist.data.validate import build_bad_cells, build_typed, line_expr, resolve_mapping
from loyalist.errors import ImportFileError, StrictImportError
from loyalist.store.workspace import Workspace, scalar

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImportResult:
    """Summary of one import; ``lines_read == rows_loaded + rows_rejected`` always."""

    import_id: str
    table: str
    file: str
    lines_read: int
    rows_loaded: int
    rows_rejected: int

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as a plain dict (the CLI's ``--format json``)."""
        return asdict(self)


def import_file(
    workspace: Workspace,
    table_name: str,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    strict: bool = False,
    date_format: str | None = None,
    delimiter: str = ",",
    progress: Progress | None = None,
) -> ImportResult:
    """Import a CSV (``.csv``, ``.csv.gz``, other delimiters) or Parquet file into ``table_name``.

    Parameters
    ----------
    workspace
        Where to load.
    table_name
        Canonical table (see ``loyalist schema``).
    path
        The file.
    mapping
        ``{canonical column: source column}`` for columns named differently in the file.
    strict
        Reject the whole file when any row is bad.
    date_format
        ``strptime`` format tried before ISO 8601 for date and timestamp columns.
    delimiter
        CSV field separator.
    progress
        Called with the name of each step.
    """
    spec = table(table_name)
    path = Path(path)
    return _run(workspace, spec, lambda con: stage_file(con, path, delimiter=delimiter),
                mapping, strict, date_format, progress)


def load(
    table_name: str,
    data: Any,
    *,
    workspace: Workspace | str | Path = "loyalist-data",
    mapping: dict[str, str] | None = None,
    strict: bool = False,
    source: str = "<dataframe>",
    line_column: str | None = None,
    extra_rejects: Any = None,
) -> ImportResult:
    """Load a pandas DataFrame or Arrow table into a canonical table, with the file import's rules.

    Line numbers of rejects are 1-based row positions in ``data``, or the values of
    ``line_column`` when the rows come from a file a caller transformed (the demo does this);
    ``extra_rejects`` (an Arrow table with ``line``, ``column``, ``reason``, ``value``) are source
    lines the caller rejected by its own documented rules, stored and counted with the rest.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> ws = tempfile.mkdtemp()
    >>> df = pd.DataFrame({"order_id": ["a", "b"], "ordered_at": ["2024-01-05", "never"],
    ...                    "amount": [10.0, 5.0]})
    >>> load("orders", df, workspace=ws)
    ImportResult(import_id=..., table='orders', file='<dataframe>', lines_read=2, rows_loaded=1, rows_rejected=1)
    """  # noqa: E501
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    def stage(con: duckdb.DuckDBPyConnection) -> Staged:
        return stage_arrow(con, data, source, line_column=line_column,
                           extra_rejects=extra_rejects)

    return _run(ws, table(table_name), stage, mapping, strict, None, None)


def _run(
    workspace: Workspace,
    spec: Table,
    stage: Callable[[duckdb.DuckDBPyConnection], Staged],
    mapping: dict[str, str] | None,
    strict: bool,
    date_format: str | None,
    progress: Progress | None,
) -> ImportResult:
    step = progress or (lambda _name: None)
    staging = duckdb.connect()  # in-memory: nothing touches the workspace until the write
    try:
        step("read")
        staged = stage(staging)
        columns = resolve_mapping(spec, staged.columns, mapping, staged.file)
        step("validate")
        try:
            build_typed(staging, spec, columns, date_format, has_rn=staged.has_rn)
        except duckdb.Error as exc:
            raise ImportFileError(f"{staged.file}: cannot read ({str(exc).splitlines()[0]})",
                                  file=staged.file) from exc
        staged = collect_structural(staging, staged)
        build_bad_cells(staging, spec, columns)
        result = _summarise(staging, spec, staged)
        if strict and result.rows_rejected:
            raise _strict_error(staging, staged, result)
        step("write")
        _write(workspace, staging, spec, staged, result)
        return result
    finally:
        staging.close()


def _summarise(con: duckdb.DuckDBPyConnection, spec: Table, staged: Staged) -> ImportResult:
    staged_rows = int(scalar(con, "SELECT count(*) FROM _typed"))  # _stage may be a file view
    bad_rows = int(scalar(con, "SELECT count(DISTINCT _rn) FROM _bad"))
    read = staged_rows + staged.structural_rejects
    rejected = bad_rows + staged.structural_rejects
    return ImportResult(uuid.uuid4().hex[:12], spec.name, staged.file, read, read - rejected,
                        rejected)


def _rejects_query(staged: Staged) -> tuple[str, list[Any]]:
    shifted = staged.structural_rejects > 0
    line = line_expr("_rn", staged.header_lines, shifted)
    ref = line_expr("ref_rn", staged.header_lines, shifted)
    reason = (f"CASE WHEN ref_rn IS NULL THEN reason "
              f"ELSE reason || ' (first at line ' || {ref} || ')' END")
    sql = f'SELECT ? AS file, {line} AS line, "column", {reason} AS reason, value FROM _bad'
    sql += ' UNION ALL SELECT ?, line, "column", reason, value FROM _structural'
    params: list[Any] = [staged.file, staged.file]
    return f"SELECT * FROM ({sql}) ORDER BY line, \"column\"", params


def _strict_error(
    con: duckdb.DuckDBPyConnection, staged: Staged, result: ImportResult
) -> StrictImportError:
    sql, params = _rejects_query(staged)
    first = con.execute(sql + " LIMIT 1", params).fetchone()
    assert first is not None  # rows_rejected > 0
    _, line, column, reason, _value = first
    return StrictImportError(
        f"{staged.file}: --strict and {result.rows_rejected} row(s) rejected, nothing loaded; "
        f"first: line {line}, column {column}: {reason}",
        file=staged.file, line=line, column=column, rows_rejected=result.rows_rejected,
    )


def _write(
    workspace: Workspace,
    con: duckdb.DuckDBPyConnection,
    spec: Table,
    staged: Staged,
    result: ImportResult,
) -> None:
    """Upsert the good rows and replace this file's rejects, in one transaction.

    The workspace file is attached to the staging connection, so rows go from the validated
    temporary table to disk without a copy through Python.
    """
    cols = ", ".join(f'"{c}"' for c in spec.column_names)
    keys = ", ".join(f'"{k}"' for k in spec.key)
    match = " AND ".join(f't."{k}" = g."{k}"' for k in spec.key)
    sql, params = _rejects_query(staged)
    con.execute(f"CREATE TEMP TABLE _new_rejects AS {sql}", params)
    with workspace.attach(con, "ws"):
        con.execute("USE ws")
        ensure_tables(con)
        con.execute("USE memory")
        con.execute("BEGIN TRANSACTION")
        try:
            good = "(SELECT * FROM _typed WHERE _rn NOT IN (SELECT _rn FROM _bad))"
            if scalar(con, f'SELECT count(*) > 0 FROM ws."{spec.name}"'):
                con.execute(f'DELETE FROM ws."{spec.name}" t USING (SELECT {keys} FROM {good}) '
                            f"g WHERE {match}")
            con.execute(f'INSERT INTO ws."{spec.name}" ({cols}) SELECT {cols} FROM {good}')
            con.execute("DELETE FROM ws._rejects WHERE table_name = ? AND file = ?",
                        [spec.name, staged.file])
            con.execute(
                "INSERT INTO ws._rejects SELECT ?, ?, file, line, \"column\", reason, value "
                "FROM _new_rejects", [result.import_id, spec.name])
            _record_import(con, result)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _record_import(con: duckdb.DuckDBPyConnection, result: ImportResult) -> None:
    con.execute("INSERT INTO ws._imports VALUES (?, ?, ?, now(), ?, ?, ?)",
                [result.import_id, result.table, result.file, result.lines_read,
                 result.rows_loaded, result.rows_rejected])


def rejects(workspace: Workspace, table_name: str | None = None) -> list[dict[str, Any]]:
    """Every kept reject (optionally of one table), ordered by table, file and line."""
    if table_name is not None:
        table(table_name)  # unknown table -> SchemaError
    if not workspace.exists:
        return []
    with workspace.connect(read_only=True) as con:
        where = "WHERE table_name = ?" if table_name else ""
        cur = con.execute(
            f'SELECT table_name AS "table", file, line, "column", reason, value FROM _rejects '
            f"{where} ORDER BY table_name, file, line, \"column\"",
            [table_name] if table_name else [],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


__all__ = ["ImportFileError", "ImportResult", "import_file", "load", "rejects"]
