"""Validation: turn the text table ``_stage`` into typed values and a list of bad cells.

Rules, one reason per bad cell (a row with any bad cell is rejected whole):

- ``missing required value``: a required or key column is empty;
- ``not a valid <type>``: the text does not parse (dates are ISO 8601 unless a format is given);
- ``negative value not allowed``: a negative amount, duration or count;
- ``below minimum``/``above maximum``/``not one of``: range and choice rules of the schema;
- ``duplicate key``: a second row with the same key in one file (the first one wins).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from loyalist.data.schema import Column, Table
from loyalist.errors import ImportFileError


@dataclass(frozen=True)
class Mapping:
    """Which source column feeds each canonical column (``None`` when absent)."""

    sources: dict[str, str | None]


def resolve_mapping(
    spec: Table, columns: list[str], mapping: dict[str, str] | None, file: str
) -> Mapping:
    """Match canonical columns to source columns, by explicit mapping, then name (any case)."""
    mapping = dict(mapping or {})
    for target in mapping:
        if target not in spec.column_names:
            raise ImportFileError(
                f"{file}: --map names unknown column {target!r} of table {spec.name} "
                f"(columns: {', '.join(spec.column_names)})", file=file, column=target)
    by_lower = {c.lower(): c for c in columns}
    sources: dict[str, str | None] = {}
    for col in spec.columns:
        wanted = mapping.get(col.name, col.name)
        found = wanted if wanted in columns else by_lower.get(wanted.lower())
        if found is None and col.name in mapping:
            raise ImportFileError(
                f"{file}: mapped source column {wanted!r} (for {col.name}) is not in the file",
                file=file, column=wanted)
        if found is None and col.name in spec.required:
            raise ImportFileError(
                f"{file}: missing required column {col.name!r} for table {spec.name}"
                + (f" (found: {', '.join(columns)})" if columns else ""),
                file=file, column=col.name)
        sources[col.name] = found
    return Mapping(sources)


def _text(source: str, trim: bool) -> str:
    """Return SQL for the source text of a column.

    Strings lose surrounding blanks and a blank string is no value; ``trim`` runs only where
    there are blanks, since trimming every value costs a third of an import.
    """
    col = f'"{source}"'
    if not trim:  # casts ignore surrounding blanks or retry trimmed (_parse_expr)
        return col
    return (f"CASE WHEN starts_with({col}, ' ') OR ends_with({col}, ' ') "
            f"THEN NULLIF(trim({col}), '') ELSE NULLIF({col}, '') END")


def _parse_expr(col: Column, raw: str, date_format: str | None) -> str:
    kind = col.type
    if kind == "string":
        return raw
    if kind in ("timestamp", "date", "bool"):
        target = "BOOLEAN" if kind == "bool" else "TIMESTAMP"
        # coalesce evaluates the trimmed retry only for values that did not parse as they are
        parsed = f"coalesce(TRY_CAST({raw} AS {target}), TRY_CAST(trim({raw}) AS {target}))"
        if date_format and kind != "bool":
            fmt = date_format.replace("'", "''")
            parsed = f"coalesce(TRY_STRPTIME(trim({raw}), '{fmt}'), {parsed})"
        return f"CAST({parsed} AS DATE)" if kind == "date" else parsed
    if kind == "float":  # inf and nan parse; the reject rule refuses them (one cast, not two)
        return f"TRY_CAST({raw} AS DOUBLE)"
    if kind == "int":  # TRY_CAST('2.5' AS BIGINT) rounds to 3: accept whole numbers only
        whole = f"regexp_full_match(trim({raw}), '[+-]?[0-9]+')"
        return f"(CASE WHEN {whole} THEN TRY_CAST({raw} AS BIGINT) END)"
    return f"TRY_CAST({raw} AS {col.sql_type})"


def build_typed(
    con: duckdb.DuckDBPyConnection,
    spec: Table,
    mapping: Mapping,
    date_format: str | None,
    *,
    has_rn: bool = False,
) -> None:
    """Create ``_typed``: each canonical column parsed, next to its raw text ``<col>__raw``.

    ``_rn`` comes from the stage when it carries source lines; otherwise it is the table's
    ``rowid`` + 1: a new table's rowids follow insertion order, which DuckDB keeps from the scan
    (``row_number() OVER ()`` would cost a sixth of an import).
    """
    parts = ["_rn"] if has_rn else []
    for col in spec.columns:
        source = mapping.sources[col.name]
        if source is None:
            parts.append(f'CAST(NULL AS {col.sql_type}) AS "{col.name}"')
            continue
        raw = _text(source, col.type == "string")
        if col.type != "string":  # a string column is its own raw text: no second copy
            parts.append(f'{raw} AS "{col.name}__raw"')
        parts.append(f'{_parse_expr(col, raw, date_format)} AS "{col.name}"')
    con.execute(f"CREATE TEMP TABLE _typed_rows AS SELECT {', '.join(parts)} FROM _stage")
    rn = "" if has_rn else "rowid + 1 AS _rn, "
    con.execute(f"CREATE TEMP VIEW _typed AS SELECT {rn}* FROM _typed_rows")


def _raw(col: Column) -> str:
    return f'"{col.name}"' if col.type == "string" else f'"{col.name}__raw"'


def _reason_expr(col: Column, required: bool) -> str | None:
    v, raw = f'"{col.name}"', _raw(col)
    cases = []
    if required:
        cases.append(f"WHEN {raw} IS NULL THEN 'missing required value'")
        if col.type != "string":  # blank text of a typed column
            cases.append(f"WHEN {v} IS NULL AND trim({raw}) = '' THEN 'missing required value'")
    if col.type != "string":
        invalid = f"{v} IS NULL" if col.type != "float" else f"({v} IS NULL OR NOT isfinite({v}))"
        cases.append(f"WHEN {raw} IS NOT NULL AND {invalid} THEN 'not a valid {col.type}'")
    if col.nonnegative:
        cases.append(f"WHEN {v} < 0 THEN 'negative value not allowed'")
    if col.minimum is not None:
        cases.append(f"WHEN {v} < {col.minimum} THEN 'below minimum {col.minimum:g}'")
    if col.maximum is not None:
        cases.append(f"WHEN {v} > {col.maximum} THEN 'above maximum {col.maximum:g}'")
    if col.choices:
        allowed = ", ".join(f"'{c}'" for c in col.choices)
        cases.append(f"WHEN {v} NOT IN ({allowed}) THEN 'not one of {'/'.join(col.choices)}'")
    return f"CASE {' '.join(cases)} END" if cases else None


def build_bad_cells(con: duckdb.DuckDBPyConnection, spec: Table, mapping: Mapping) -> None:
    """Create ``_bad(_rn, column, reason, value, ref_rn)``: one row per bad cell or duplicate.

    Columns the source lacks are optional (required ones were checked by the mapping), so they
    cannot hold a bad value and are not scanned.
    """
    selects = []
    for col in spec.columns:
        reason = _reason_expr(col, col.name in spec.required)
        if mapping.sources[col.name] is None or reason is None:
            continue
        selects.append(
            f"SELECT _rn, '{col.name}' AS \"column\", {reason} AS reason, "
            f"{_raw(col)} AS value, CAST(NULL AS BIGINT) AS ref_rn FROM _typed"
        )
    keys = ", ".join(f'"{k}"' for k in spec.key)
    not_null = " AND ".join(f'"{k}" IS NOT NULL' for k in spec.key)
    key_text = " || '|' || ".join(f'CAST("{k}" AS VARCHAR)' for k in spec.key)
    # Find repeated keys with a hash aggregate first; the window then sees only those rows.
    repeated = f"SELECT {keys} FROM _typed WHERE {not_null} GROUP BY {keys} HAVING count(*) > 1"
    selects.append(
        f"SELECT _rn, '{'+'.join(spec.key)}', 'duplicate key', {key_text}, first_rn FROM ("
        f"SELECT _rn, {keys}, min(_rn) OVER (PARTITION BY {keys}) AS first_rn "
        f"FROM _typed SEMI JOIN ({repeated}) USING ({keys})) WHERE _rn > first_rn"
    )
    union = " UNION ALL ".join(selects)
    con.execute(f"CREATE TEMP TABLE _bad AS SELECT * FROM ({union}) WHERE reason IS NOT NULL")


def line_expr(rn: str, header_lines: int, shifted: bool = True) -> str:
    """SQL turning a staged row number into its file line.

    CSV lines DuckDB rejected structurally are not staged, so a row's line is its row number plus
    the header plus the structural rejects that precede it. (A quoted field spanning several lines
    shifts the lines after it; such files are rare in exports.)
    """
    if header_lines == 0:
        return rn
    if not shifted:  # no line was skipped: the cheap form
        return f"({rn} + {header_lines})"
    return (
        f"({rn} + {header_lines} + (SELECT count(*) FROM (SELECT line - {header_lines} - "
        f"row_number() OVER (ORDER BY line) AS g FROM (SELECT DISTINCT line FROM _structural)) "
        f"WHERE g < {rn}))"
    )
