"""The shipped demo data sets map onto the canonical tables with every source line accounted for."""

from __future__ import annotations

import gzip

import pytest

from loyalist.data import load, rejects
from loyalist.data.datasets import prepare, shipped_file


def _load_all(name, workspace):
    source, parts = prepare(name)
    return {p.table: load(p.table, p.rows, workspace=workspace, source=source,
                          line_column=p.line_column, extra_rejects=p.rejects) for p in parts}


@pytest.mark.slow
def test_online_retail_every_line_loaded_or_rejected(workspace):
    results = _load_all("online-retail", workspace)
    with gzip.open(shipped_file("online_retail_I.csv.gz"), "rt") as handle:
        source_lines = sum(1 for _ in handle) - 1
    assert source_lines == 541_909
    lines, refunds = results["order_lines"], results["refunds"]
    assert lines.lines_read + refunds.lines_read == source_lines
    assert (lines.rows_loaded, lines.rows_rejected, refunds.rows_loaded) == (531_282, 1_339, 9_288)
    reasons = {r["reason"] for r in rejects(workspace)}
    assert reasons == {"bad-debt adjustment, not a sale",
                       "negative quantity outside a cancellation (stock adjustment), not a sale"}
    # a reject names its real source line: line 2408 of the file is a stock adjustment
    first = rejects(workspace)[0]
    with gzip.open(shipped_file("online_retail_I.csv.gz"), "rt") as handle:
        text = [line for i, line in enumerate(handle, start=1) if i == first["line"]][0]
    assert f",{first['value']}," in text


def test_cdnow_orders(workspace):
    results = _load_all("cdnow", workspace)
    assert (results["orders"].rows_loaded, results["orders"].rows_rejected) == (69_659, 0)
