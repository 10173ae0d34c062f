"""Validated import: every reject kept with file, line, column and reason; atomic; idempotent."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loyalist.data import import_file, importer, load, rejects
from loyalist.data.tables import read_table
from loyalist.errors import ImportFileError, SchemaError, StrictImportError
from loyalist.store.workspace import Workspace

GOOD = ("order_id,customer_id,ordered_at,amount\n"
        "o1,c1,2024-01-05,10.5\no2,c2,2024-02-01 10:00:00,3\n")


def snapshot(ws: Workspace) -> tuple[list, list]:
    return (read_table(ws, "orders").to_pylist(), rejects(ws))


@pytest.mark.parametrize(
    ("header", "row", "column", "reason", "value"),
    [
        ("order_id,ordered_at,amount", "o1,,5", "ordered_at", "missing required value", None),
        ("order_id,ordered_at,amount", ",2024-01-01,5", "order_id", "missing required value", None),
        ("order_id,ordered_at,amount", "o1,31/01/2024,5", "ordered_at", "not a valid timestamp",
         "31/01/2024"),
        ("order_id,ordered_at,amount", "o1,2024-01-01,12abc", "amount", "not a valid float",
         "12abc"),
        ("order_id,ordered_at,amount", "o1,2024-01-01,inf", "amount", "not a valid float", "inf"),
        ("order_id,ordered_at,amount", "o1,2024-01-01,-5", "amount", "negative value not allowed",
         "-5"),
        ("order_id,line_no,quantity,unit_price", "o1,1,2.5,3", "quantity", "not a valid int",
         "2.5"),
        ("order_id,line_no,quantity,unit_price", "o1,0,2,3", "line_no", "below minimum 1", "0"),
        ("order_id,line_no,quantity,unit_price,line_kind", "o1,1,2,3,gift", "line_kind",
         "not one of product/fee/adjustment", "gift"),
        ("ticket_id,customer_id,opened_at,csat", "t1,c1,2024-01-01,9", "csat", "above maximum 5",
         "9"),
        ("ticket_id,customer_id,opened_at,is_complaint", "t1,c1,2024-01-01,maybe", "is_complaint",
         "not a valid bool", "maybe"),
        ("channel,month,amount", "ads,2024-13-01,5", "month", "not a valid date", "2024-13-01"),
    ],
)
def test_each_rejection_reason_names_line_and_column(workspace, write, header, row, column,
                                                     reason, value):
    table = {"order_id,line_no": "order_lines", "ticket_id": "tickets",
             "channel": "marketing_spend"}
    name = next((t for prefix, t in table.items() if header.startswith(prefix)), "orders")
    good = {"orders": "ok1,2024-01-01,1", "order_lines": "ok,1,1,1",
            "tickets": "ok,c,2024-01-01," + ("1" if "csat" in header else "true"),
            "marketing_spend": "web,2024-01-01,1"}[name]
    if header.endswith("line_kind"):
        good += ",product"
    path = write("in.csv", f"{header}\n{good}\n{row}\n")
    result = import_file(workspace, name, path)
    assert (result.lines_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    [reject] = rejects(workspace, name)
    assert reject == {"table": name, "file": str(path), "line": 3, "column": column,
                      "reason": reason, "value": value}


def test_duplicate_key_keeps_first_and_names_its_line(workspace, write):
    path = write("d.csv", GOOD + "o3,c3,2024-03-01,1\no1,c9,2024-04-01,2\n")
    result = import_file(workspace, "orders", path)
    assert (result.lines_read, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    [reject] = rejects(workspace)
    assert (reject["line"], reject["column"], reject["value"]) == (5, "order_id", "o1")
    assert reject["reason"] == "duplicate key (first at line 2)"
    kept = {r["order_id"]: r["customer_id"] for r in read_table(workspace, "orders").to_pylist()}
    assert kept["o1"] == "c1"


def test_composite_key_duplicates(workspace, write):
    path = write("l.csv", "order_id,line_no,quantity,unit_price\na,1,1,1\na,2,1,1\na,1,5,5\n")
    result = import_file(workspace, "order_lines", path)
    assert result.rows_rejected == 1
    assert rejects(workspace)[0]["column"] == "order_id+line_no"


def test_malformed_lines_keep_their_file_line(workspace, write):
    text = GOOD + "o3,c3\no4,c4,2024-01-01,1,extra\no5,c5,bad-date,1\n"
    path = write("m.csv", text)
    result = import_file(workspace, "orders", path)
    assert (result.lines_read, result.rows_loaded, result.rows_rejected) == (5, 2, 3)
    lines = {(r["line"], r["column"]) for r in rejects(workspace)}
    assert (6, "ordered_at") in lines  # line numbers stay right after skipped lines
    assert {line for line, _ in lines} == {4, 5, 6}
    reasons = " ".join(r["reason"] for r in rejects(workspace))
    assert "missing columns" in reasons and "too many columns" in reasons


def test_counts_always_add_up(workspace, write):
    path = write("c.csv", GOOD + "o3,,2024-01-01,-1\no4,c,never,x\n")
    result = import_file(workspace, "orders", path)
    assert result.lines_read == result.rows_loaded + result.rows_rejected == 4
    assert len({r["line"] for r in rejects(workspace)}) == result.rows_rejected


def test_strict_rejects_whole_file_and_changes_nothing(workspace, write):
    import_file(workspace, "orders", write("a.csv", GOOD))
    before = snapshot(workspace)
    bad = write("b.csv", "order_id,ordered_at,amount\no9,2024-01-01,1\no10,nope,1\n")
    with pytest.raises(StrictImportError) as info:
        import_file(workspace, "orders", bad, strict=True)
    assert info.value.details["line"] == 3 and info.value.details["column"] == "ordered_at"
    assert snapshot(workspace) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("order_id,amount\no1,5\n", "missing required column 'ordered_at'"),
        (b"order_id,ordered_at,amount\no1,2024-01-01,5\no2,2024-01-01,\xff\xfe\n", "not UTF-8"),
    ],
)
def test_unusable_file_loads_nothing(workspace, write, text, message):
    import_file(workspace, "orders", write("a.csv", GOOD))
    before = snapshot(workspace)
    with pytest.raises(ImportFileError, match=message):
        import_file(workspace, "orders", write("bad.csv", text))
    assert snapshot(workspace) == before


def test_missing_file_and_unknown_table(workspace, tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        import_file(workspace, "orders", tmp_path / "nope.csv")
    with pytest.raises(SchemaError, match="unknown table 'ordrs'"):
        import_file(workspace, "ordrs", tmp_path / "nope.csv")
    with pytest.raises(ImportFileError, match="not a readable Parquet"):
        import_file(workspace, "orders", _write_bytes(tmp_path / "x.parquet", b"not parquet"))


def _write_bytes(path, data):
    path.write_bytes(data)
    return path


def test_failure_during_write_rolls_back(workspace, write, monkeypatch):
    """A crash at the last statement of the write transaction leaves earlier data intact."""
    import_file(workspace, "orders", write("a.csv", GOOD + "o3,c3,bad,1\n"))
    before = snapshot(workspace)

    def crash(con, result):
        raise duckdb.IOException("disk full (injected)")

    monkeypatch.setattr(importer, "_record_import", crash)
    with pytest.raises(duckdb.IOException):
        import_file(workspace, "orders",
                    write("b.csv", "order_id,ordered_at,amount\no1,2024-05-05,99\no7,x,1\n"))
    monkeypatch.undo()
    assert snapshot(workspace) == before


def test_reimport_changes_nothing(workspace, write):
    path = write("a.csv", GOOD + "o3,c3,bad,1\n")
    first = import_file(workspace, "orders", path)
    before = snapshot(workspace)
    second = import_file(workspace, "orders", path)
    assert snapshot(workspace) == before
    assert (first.lines_read, first.rows_loaded, first.rows_rejected) == (
        second.lines_read, second.rows_loaded, second.rows_rejected)


def test_upsert_replaces_rows_by_key(workspace, write):
    import_file(workspace, "orders", write("a.csv", GOOD))
    import_file(workspace, "orders",
                write("b.csv", "order_id,ordered_at,amount\no2,2024-02-02,7\n"))
    rows = {r["order_id"]: r["amount"] for r in read_table(workspace, "orders").to_pylist()}
    assert rows == {"o1": 10.5, "o2": 7.0}


def test_column_mapping_and_date_format(workspace, write):
    path = write("m.csv", "InvoiceNo;Client;Date;Total\nA1;c1;05/01/2024;10\n")
    result = import_file(workspace, "orders", path, delimiter=";", date_format="%d/%m/%Y",
                         mapping={"order_id": "InvoiceNo", "customer_id": "Client",
                                  "ordered_at": "Date", "amount": "Total"})
    assert result.rows_loaded == 1
    [row] = read_table(workspace, "orders").to_pylist()
    assert row["ordered_at"].isoformat() == "2024-01-05T00:00:00"


def test_bad_mapping_is_an_error(workspace, write):
    path = write("m.csv", GOOD)
    with pytest.raises(ImportFileError, match="unknown column 'total'"):
        import_file(workspace, "orders", path, mapping={"total": "amount"})
    with pytest.raises(ImportFileError, match="'Total' .* not in the file"):
        import_file(workspace, "orders", path, mapping={"amount": "Total"})


def test_parquet_and_gzip(workspace, tmp_path, write):
    pq.write_table(pa.table({"order_id": ["p1", "p2"], "ordered_at": pa.array(
        [pd.Timestamp("2024-01-01"), None], pa.timestamp("us")), "amount": [1.0, 2.0]}),
        tmp_path / "o.parquet")
    result = import_file(workspace, "orders", tmp_path / "o.parquet")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert rejects(workspace)[0]["line"] == 2  # row position for Parquet
    import gzip

    (tmp_path / "g.csv.gz").write_bytes(gzip.compress(GOOD.encode()))
    assert import_file(workspace, "orders", tmp_path / "g.csv.gz").rows_loaded == 2


def test_load_dataframe(workspace):
    df = pd.DataFrame({"order_id": ["a", "b", "c"], "ordered_at": ["2024-01-05", "x", None],
                       "amount": [1.0, 2.0, 3.0]})
    result = load("orders", df, workspace=workspace)
    assert (result.lines_read, result.rows_loaded, result.rows_rejected) == (3, 1, 2)
    assert [r["line"] for r in rejects(workspace)] == [2, 3]
    with pytest.raises(ImportFileError, match="expected a pandas DataFrame"):
        load("orders", 42, workspace=workspace)
