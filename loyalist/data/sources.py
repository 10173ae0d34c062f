"""Staging a source (CSV, Parquet, Arrow/pandas) as a temporary all-text view ``_stage``.

Every source is first read as text; ``_rn`` is the 1-based row number in source order, so that
one validation step (:mod:`loyalist.data.validate`) can name the line and column of every bad
value. CSV rows DuckDB cannot split into the right number of fields, or that are not UTF-8, are
kept by ``read_csv(store_rejects=true)`` with their file line; those become structural rejects in
``_structural(line, column, reason, value)``, which every staging creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from loyalist.errors import ImportFileError


@dataclass(frozen=True)
class Staged:
    """What staging produced: the source's column names and how to turn ``_rn`` into a line."""

    file: str
    columns: list[str]
    header_lines: int
    structural_rejects: int
    pending: bool = False  # structural rejects known only once the file has been read
    has_rn: bool = False  # ``_stage._rn`` holds source lines; otherwise rows count in order


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, *, delimiter: str = ","
) -> Staged:
    """Stage a CSV (optionally gzip-compressed) or Parquet file into ``_stage``."""
    if not path.exists():
        raise ImportFileError(f"{path}: no such file", file=str(path))
    if not path.is_file():
        raise ImportFileError(f"{path}: not a file", file=str(path))
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read ({exc.strerror})", file=str(path)) from exc
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pq" in suffixes:
        return _stage_parquet(con, path)
    return _stage_csv(con, path, delimiter)


def stage_arrow(
    con: duckdb.DuckDBPyConnection,
    data: Any,
    source: str,
    *,
    line_column: str | None = None,
    extra_rejects: pa.Table | None = None,
) -> Staged:
    """Stage an in-memory pandas DataFrame or Arrow table into ``_stage``.

    ``line_column`` names a column holding each row's line in an original source file (it is
    used for reject lines and not loaded); ``extra_rejects`` are source lines a caller already
    rejected (columns ``line``, ``column``, ``reason``, ``value``), counted in the summary.
    """
    if isinstance(data, pa.Table):
        arrow = data
    elif hasattr(data, "to_dict") and hasattr(data, "columns"):  # pandas-like
        arrow = pa.Table.from_pandas(data, preserve_index=False)
    else:
        try:
            arrow = pa.table(data)
        except (TypeError, ValueError, pa.ArrowException) as exc:
            raise ImportFileError(
                f"{source}: expected a pandas DataFrame or Arrow table, got {type(data).__name__}",
                file=source,
            ) from exc
    con.register("_src", arrow)  # stays registered while the staging connection lives
    columns = [c for c in arrow.column_names if c != line_column]
    _text_copy(con, "_src", columns, line_column)
    structural = 0
    if extra_rejects is not None and extra_rejects.num_rows:
        con.register("_extra_src", extra_rejects)
        con.execute('CREATE TEMP TABLE _structural AS SELECT CAST(line AS BIGINT) AS line, '
                    '"column", reason, value FROM _extra_src')
        con.unregister("_extra_src")
        row = con.execute("SELECT count(DISTINCT line) FROM _structural").fetchone()
        structural = int(row[0]) if row else 0
    else:
        _empty_structural(con)
    return Staged(source, columns, header_lines=0, structural_rejects=structural,
                  has_rn=line_column is not None)


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Staged:
    try:
        literal = str(path).replace("'", "''")  # a view cannot take a bound parameter
        con.execute(f"CREATE TEMP VIEW _src AS SELECT * FROM read_parquet('{literal}')")
        columns = [r[0] for r in con.execute("DESCRIBE _src").fetchall()]
    except duckdb.Error as exc:
        raise ImportFileError(f"{path}: not a readable Parquet file ({_first_line(exc)})",
                              file=str(path)) from exc
    _text_copy(con, "_src", columns)
    _empty_structural(con)
    return Staged(str(path), columns, header_lines=0, structural_rejects=0)


def _stage_csv(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str) -> Staged:
    # A lazy view: validation reads the file once, in the same pass that parses the values.
    literal = str(path).replace("'", "''")
    delim = delimiter.replace("'", "''")
    options = (
        f"all_varchar=true, header=true, delim='{delim}', quote='\"', escape='\"', "
        "store_rejects=true, rejects_table='_csv_errors', rejects_scan='_csv_scans'"
    )
    try:
        con.execute(f"CREATE TEMP VIEW _stage AS SELECT * FROM read_csv('{literal}', {options})")
        columns = [r[0] for r in con.execute("DESCRIBE _stage").fetchall()]
    except duckdb.Error as exc:
        raise ImportFileError(f"{path}: cannot read as CSV ({_first_line(exc)})",
                              file=str(path)) from exc
    return Staged(str(path), columns, header_lines=1, structural_rejects=0, pending=True)


def collect_structural(con: duckdb.DuckDBPyConnection, staged: Staged) -> Staged:
    """After the file was read, keep the lines DuckDB could not split in ``_structural``.

    A file that is not UTF-8 is unusable as a whole: :class:`ImportFileError`.
    """
    if not staged.pending:
        return staged
    encoding = con.execute(
        "SELECT min(line) FROM _csv_errors WHERE error_type = 'INVALID ENCODING'"
    ).fetchone()
    if encoding is not None and encoding[0] is not None:
        raise ImportFileError(
            f"{staged.file}: not UTF-8 encoded (first bad byte on line {encoding[0]}); "
            "convert it to UTF-8 and import again",
            file=staged.file, line=int(encoding[0]),
        )
    con.execute(
        'CREATE TEMP TABLE _structural AS SELECT line, column_name AS "column", '
        "lower(error_type) || ': ' || error_message AS reason, csv_line AS value FROM _csv_errors"
    )
    row = con.execute("SELECT count(DISTINCT line) FROM _structural").fetchone()
    count = int(row[0]) if row else 0
    return Staged(staged.file, staged.columns, staged.header_lines, count, pending=False,
                  has_rn=staged.has_rn)


def _text_copy(
    con: duckdb.DuckDBPyConnection, source: str, columns: list[str], line_column: str | None = None
) -> None:
    cast = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
    rn = f', CAST("{line_column}" AS BIGINT) AS _rn' if line_column else ""
    con.execute(f"CREATE TEMP VIEW _stage AS SELECT {cast}{rn} FROM {source}")


def _empty_structural(con: duckdb.DuckDBPyConnection) -> None:
    con.execute('CREATE TEMP TABLE _structural (line BIGINT, "column" VARCHAR, reason VARCHAR, '
                "value VARCHAR)")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
