"""Every canonical table survives a round trip through CSV and Parquet import."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from loyalist.data import import_file
from loyalist.data.schema import TABLES, Column, Table
from loyalist.data.tables import read_table


def _value(col: Column, i: int) -> object:
    if col.choices:
        return col.choices[i % len(col.choices)]
    return {
        "string": f"{col.name}-{i}",
        "int": max(int(col.minimum or 0), 1) + i % 3,
        "float": min(float(col.maximum or 1e9), 1.25 + i),
        "bool": i % 2 == 0,
        "date": dt.date(2024, 1 + i % 12, 1),
        "timestamp": dt.datetime(2024, 1, 1 + i, 8, 30, 15),
    }[col.type]


def _rows(spec: Table, n: int = 4) -> pa.Table:
    return pa.table({c.name: [_value(c, i) for i in range(n)] for c in spec.columns})


@pytest.mark.parametrize("spec", TABLES, ids=[t.name for t in TABLES])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip(spec, fmt, workspace, tmp_path):
    rows = _rows(spec)
    path = tmp_path / f"{spec.name}.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(rows, path)
    else:
        pq.write_table(rows, path)
    result = import_file(workspace, spec.name, path)
    assert (result.rows_loaded, result.rows_rejected) == (rows.num_rows, 0)
    back = read_table(workspace, spec.name).to_pylist()
    assert back == sorted(rows.to_pylist(), key=lambda r: tuple(r[k] for k in spec.key))
