from __future__ import annotations

import json

from typer.testing import CliRunner

from loyalist.cli import app

runner = CliRunner()
GOOD = "order_id,customer_id,ordered_at,amount\no1,c1,2024-01-05,10.5\no2,c2,bad,3\n"


def run(*args, ws):
    return runner.invoke(app, ["--workspace", str(ws), *map(str, args)])


def test_import_json_summary_and_rejects(tmp_path, write):
    ws = tmp_path / "ws"
    result = run("import", "orders", write("o.csv", GOOD), "--format", "json", ws=ws)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"table": "orders", "file": str(tmp_path / "o.csv"),
                                         "lines_read": 2, "rows_loaded": 1, "rows_rejected": 1}
    listed = json.loads(run("rejects", "--format", "json", ws=ws).stdout)
    assert [(r["line"], r["column"]) for r in listed] == [(3, "ordered_at")]
    as_csv = run("rejects", "orders", "--format", "csv", ws=ws).stdout.splitlines()
    assert as_csv[0] == "table,file,line,column,reason,value" and len(as_csv) == 2


def test_import_with_map(tmp_path, write):
    path = write("o.csv", "id,when,total\n1,2024-01-01,3\n")
    result = run("import", "orders", path, "--map", "order_id=id", "--map", "ordered_at=when",
                 "--map", "amount=total", ws=tmp_path / "ws")
    assert result.exit_code == 0 and "1 loaded, 0 rejected" in result.stdout


def test_expected_errors_print_one_line_without_traceback(tmp_path, write):
    cases = [
        ("import", "orders", tmp_path / "missing.csv"),
        ("import", "nope", write("o.csv", GOOD)),
        ("import", "orders", write("o2.csv", "order_id\n1\n")),
        ("import", "orders", write("o3.csv", GOOD), "--strict"),
        ("import", "orders", write("o4.csv", GOOD), "--map", "oops"),
        ("rejects", "--format", "xml"),
        ("report",),
    ]
    for args in cases:
        result = run(*args, ws=tmp_path / "ws-err")
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr


def test_bad_setting_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALIST_PROGRESS", "maybe")
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 2 and "LOYALIST_PROGRESS" in result.stderr


def test_schema(tmp_path):
    result = run("schema", "orders", ws=tmp_path)
    assert result.exit_code == 0
    assert "order_id" in result.stdout and "key, required" in result.stdout


def test_demo_cdnow_writes_report(tmp_path):
    result = run("demo", "--dataset", "cdnow", "--into", tmp_path / "demo", ws=tmp_path)
    assert result.exit_code == 0, result.output
    summary = "orders <- CDNOW_master.txt: 69,659 lines read, 69,659 loaded, 0 rejected"
    assert summary in result.stdout
    assert (tmp_path / "demo" / "report.html").exists()
    again = run("demo", "--dataset", "cdnow", "--into", tmp_path / "demo", ws=tmp_path)
    assert again.exit_code == 0 and "69,659 loaded" in again.stdout


def test_refresh_rebuilds_the_stored_tables(tmp_path, write):
    import duckdb

    ws = tmp_path / "ws"
    assert run("import", "orders", write("o.csv", GOOD), ws=ws).exit_code == 0
    with duckdb.connect(str(ws / "analytics.duckdb"), read_only=True) as con:
        assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = '_order_days'"
                               ).fetchall()  # an import leaves them to the next reader
    result = run("metrics", "repeat_purchase_rate", "--format", "json", ws=ws)
    assert result.exit_code == 0 and "per-customer tables of orders" in result.output
    with duckdb.connect(str(ws / "analytics.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM _order_days").fetchone() == (1,)
    with duckdb.connect(str(ws / "analytics.duckdb")) as con:  # a write outside import
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, amount) "
                    "VALUES ('o9', 'c1', TIMESTAMP '2024-02-01', 1.0)")
    result = run("refresh", ws=ws)
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(ws / "analytics.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT source, \"rows\" FROM _derived WHERE source = 'orders'"
                           ).fetchall()
        days = con.execute("SELECT count(*) FROM _order_days").fetchone()
    assert rows == [("orders", 2)] and days == (2,)
    missing = run("refresh", ws=tmp_path / "nowhere")
    assert missing.exit_code != 0 and "no loyalist workspace" in missing.output
