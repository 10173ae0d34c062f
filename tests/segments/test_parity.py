"""RFM scores and segments are identical on DuckDB, PostgreSQL and Spark, on real CDNOW data."""

from __future__ import annotations

import pyarrow as pa
import pytest

from loyalist.data.datasets import prepare
from loyalist.data.views import tables as view_tables
from loyalist.segments.movement import migration_matrix, movement, segments_at
from tests.support.backends import load_backend

DATES = ("1997-09-30", "1998-06-30")
# py4j hands its sockets to the garbage collector, which reports them as unraisable warnings
SPARK_SOCKETS = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
MARKS = {"postgres": [pytest.mark.postgres], "spark": [pytest.mark.spark, SPARK_SOCKETS]}


@pytest.fixture(scope="module")
def cdnow_orders():
    _, parts = prepare("cdnow")
    raw = parts[0].rows
    return pa.table({
        "order_id": raw["order_id"], "customer_id": raw["customer_id"],
        "ordered_at": pa.compute.cast(pa.compute.strptime(raw["ordered_at"], "%Y-%m-%d", "us"),
                                      pa.timestamp("us")),
        "amount": pa.compute.cast(raw["amount"], pa.float64()),
    })


def _segments(backend):
    t = view_tables(backend)
    out = {}
    for day in DATES:
        seg = segments_at(t["orders"], as_of=day, refunds=t["refunds"])
        out[day] = backend.execute(seg.order_by("customer_id")).drop(columns=["last_order"])
    before = segments_at(t["orders"], as_of=DATES[0])
    now = segments_at(t["orders"], as_of=DATES[1])
    matrix = backend.execute(migration_matrix(movement(before, now)))
    out["migration"] = matrix.fillna("(new)").sort_values(["segment_before", "segment"])
    return out


@pytest.fixture(scope="module")
def reference(cdnow_orders):
    with load_backend("duckdb", {"orders": cdnow_orders}) as backend:
        return _segments(backend)


@pytest.mark.parametrize("engine", [pytest.param(e, marks=MARKS[e]) for e in MARKS])
def test_same_scores_and_segments(engine, cdnow_orders, reference, request):
    url = request.getfixturevalue("postgres_url") if engine == "postgres" else None
    with load_backend(engine, {"orders": cdnow_orders}, postgres_url=url) as backend:
        got = _segments(backend)
    for day in DATES:
        ref, other = reference[day].reset_index(drop=True), got[day].reset_index(drop=True)
        assert len(ref) == len(other) > 20_000
        for column in ("customer_id", "recency_days", "frequency", "r", "f", "m", "fm",
                       "segment", "segment_rank"):
            diff = (ref[column].astype(str) != other[column].astype(str)).sum()
            assert diff == 0, f"{engine} {day}: {diff} differences in {column}"
        rel = ((ref.monetary - other.monetary).abs() / ref.monetary.abs().clip(lower=1e-12))
        assert rel.max() <= 1e-9
    ref_m = reference["migration"].reset_index(drop=True)
    got_m = got["migration"].reset_index(drop=True)
    assert ref_m.astype(str).equals(got_m.astype(str))
