"""Every registry metric on 10M orders / 1M customers, then three of them against pandas.

Run: ``.venv/bin/python benchmarks/metrics_speed.py [--orders 10000000 --customers 1000000]``
(goal: all metrics together in 10 s or less at full size). Synthetic data is written straight into
a workspace: customers with channels, orders, refunds, events (half as many as orders),
subscriptions, tickets, survey answers, referrals, community activity and marketing spend. Each
metric of ``METRICS`` runs on DuckDB through Ibis with its full result fetched as Arrow, all on one
connection whose tables were read once before the clock starts.

Then cohort retention (monthly, "on"), repeat purchase rate and revenue concentration (top 20 %
share and Gini) run from the same Parquet file both ways, loading included, best of two runs each:
DuckDB through Ibis (``read_parquet`` into a table; the three scalars in one query) and idiomatic
pandas (``read_parquet``, ``drop_duplicates``, ``groupby``), with the ratio printed.
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from loyalist.data.derived import refresh_workspace
from loyalist.data.tables import ensure_tables
from loyalist.data.views import tables
from loyalist.metrics.concentration import customer_revenue, gini, top_share
from loyalist.metrics.overview import repeat_purchase_rate
from loyalist.metrics.registry import METRICS
from loyalist.metrics.retention import cohort_retention
from loyalist.store.workspace import Workspace

AS_OF = "2024-12-31"
CHANNELS = "['ads', 'social', 'search', 'email', 'referral', 'organic']"


def _ts(seed: str, days: int = 3 * 365) -> str:
    return f"TIMESTAMP '2022-01-01' + to_seconds((hash({seed}) % ({days} * 86400))::BIGINT)"


def make_workspace(path: Path, orders: int, customers: int) -> Path:
    n, m = orders, customers
    inserts = {
        "customers (customer_id, signup_at, acquisition_channel, plan)":
            f"SELECT 'c' || i, {_ts('i * 3', 365)}, {CHANNELS}[1 + (hash(i * 5) % 6)::BIGINT], "
            f"['basic', 'pro'][1 + (hash(i) % 2)::BIGINT] FROM range({m}) t(i)",
        "orders (order_id, customer_id, ordered_at, amount)":
            f"SELECT 'o' || i, 'c' || (hash(i) % {m}), {_ts('i * 7')}, "
            f"round(5 + (hash(i * 13) % 20000) / 100.0, 2) FROM range({n}) t(i)",
        "refunds (refund_id, customer_id, refunded_at, amount)":
            f"SELECT 'r' || i, 'c' || (hash(i * 50) % {m}), {_ts('i * 11')}, 10.0 "
            f"FROM range({n // 50}) t(i)",
        "events (event_id, customer_id, occurred_at, event_type, feature)":
            f"SELECT 'e' || i, 'c' || (hash(i * 17) % {m}), {_ts('i * 19')}, "
            f"['login', 'session', 'feature_use', 'key_action', 'community_view'][1 + i % 5], "
            f"['a', 'b', 'c'][1 + i % 3] FROM range({n // 2}) t(i)",
        "subscriptions (subscription_id, customer_id, plan, started_at, current_period_end, "
        "mrr, status)":
            f"SELECT 's' || i, 'c' || i, 'pro', {_ts('i * 23', 900)}, "
            f"TIMESTAMP '2025-01-01' + to_days((hash(i) % 365)::INT), 20.0, 'active' "
            f"FROM range({m // 5}) t(i)",
        "tickets (ticket_id, customer_id, opened_at, resolved_at, csat)":
            f"SELECT 't' || i, 'c' || i, {_ts('i * 29')}, {_ts('i * 29')} + INTERVAL 1 DAY, "
            f"1 + i % 5 FROM range({m // 10}) t(i)",
        "survey_responses (response_id, customer_id, question, answered_at, score, answer)":
            f"SELECT 'q' || i, 'c' || i, ['nps', 'csat', 'ces', 'heard_about'][1 + i % 4], "
            f"{_ts('i * 31')}, i % 11, 'referral' FROM range({m // 2}) t(i)",
        "referrals (referral_id, referrer_id, referred_id, referred_at, converted_at)":
            f"SELECT 'f' || i, 'c' || i, 'c' || (i + 1), {_ts('i')}, {_ts('i')} "
            f"FROM range({m // 20}) t(i)",
        "community_activity (activity_id, customer_id, occurred_at, kind, response_minutes, "
        "satisfaction)":
            f"SELECT 'a' || i, 'c' || (i % {m}), {_ts('i * 37')}, "
            f"['post', 'question', 'answer', 'share'][1 + i % 4], i % 120, 1 + i % 5 "
            f"FROM range({m // 5}) t(i)",
        "marketing_spend (channel, month, amount)":
            f"SELECT c, DATE '2022-01-01' + to_months(k::INT), 1000.0 FROM "
            f"unnest({CHANNELS}) u(c), range(36) r(k)",
    }
    ws = Workspace(path)
    with ws.connect() as con:
        ensure_tables(con)
        for target, select in inserts.items():
            con.execute(f"INSERT INTO {target} {select}")
        con.execute(f"COPY orders TO '{path / 'orders.parquet'}' (FORMAT parquet)")
    return path / "orders.parquet"


def _warm_up(backend: ibis.BaseBackend, t: dict[str, ibis.Table]) -> None:
    """Read every column of the big tables once, so no metric pays for the first disk read."""
    for name in ("orders", "events", "customers", "subscriptions"):
        table = t[name]
        backend.execute(table.aggregate(**{c: table[c].max() for c in table.columns}))


def run_registry(ws: Workspace) -> dict[str, float]:
    """Seconds per metric, each built, compiled, run and fetched in full as Arrow.

    All metrics run on one connection, warmed up first.
    """
    options = {"as_of": AS_OF, "period": None, "variant": None, "share": None, "by": None}
    timings = {}
    with ws.ibis() as backend:
        t = tables(backend)
        _warm_up(backend, t)
        for name in sorted(METRICS):
            t0 = time.perf_counter()
            backend.to_pyarrow(METRICS[name].build(t, options))
            timings[name] = time.perf_counter() - t0
    return timings


def loyalist_three(parquet: Path) -> float:
    """Load the Parquet file into DuckDB, then cohorts and one row of the three scalars."""
    t0 = time.perf_counter()
    con = ibis.duckdb.connect()
    orders = con.create_table("orders", con.read_parquet(parquet))
    con.to_pyarrow(cohort_retention(orders))
    rev = customer_revenue(orders)
    scalars = orders.aggregate(repeat_purchase_rate=repeat_purchase_rate(orders).as_scalar(),
                               top_share=top_share(rev, 0.2).as_scalar(),
                               gini=gini(rev).as_scalar())
    con.to_pyarrow(scalars)
    elapsed = time.perf_counter() - t0
    con.disconnect()
    return elapsed


def pandas_three(parquet: Path) -> float:
    """The same three in idiomatic pandas, loading included."""
    t0 = time.perf_counter()
    df = pd.read_parquet(parquet, columns=["order_id", "customer_id", "ordered_at", "amount"])
    df = df[df.customer_id.notna()]
    m = df[["customer_id"]].assign(m=df.ordered_at.dt.year * 12 + df.ordered_at.dt.month - 1)
    m = m.drop_duplicates()  # one row per customer and month: count rows
    m["cohort"] = m.groupby("customer_id").m.transform("min")
    counts = m.groupby(["cohort", m.m - m.cohort]).size()
    sizes = counts.xs(0, level=1)
    (counts / sizes.reindex(counts.index.get_level_values(0)).to_numpy()).to_frame("rate")
    per_orders = df.groupby("customer_id").order_id.nunique()
    float((per_orders >= 2).mean())
    revenue = np.sort(df.groupby("customer_id").amount.sum().to_numpy())
    k = math.ceil(0.2 * len(revenue))
    revenue[-k:].sum() / revenue.sum()
    i = np.arange(1, len(revenue) + 1)
    2 * (i * revenue).sum() / (len(revenue) * revenue.sum()) - (len(revenue) + 1) / len(revenue)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loyalist-metrics-bench-"))
    try:
        t0 = time.perf_counter()
        parquet = make_workspace(tmp, args.orders, args.customers)
        print(f"data: {args.orders:,} orders, {args.customers:,} customers "
              f"(generated in {time.perf_counter() - t0:.1f} s)")
        t0 = time.perf_counter()
        refresh_workspace(Workspace(tmp))  # what the first command after an import does
        print(f"stored per-customer tables (once, by the first reader after an import): "
              f"{time.perf_counter() - t0:.1f} s")
        timings = run_registry(Workspace(tmp))
        print(f"{'metric (DuckDB, full result fetched)':<40}{'seconds':>9}")
        for name, seconds in timings.items():
            print(f"{name:<40}{seconds:>9.2f}")
        total = sum(timings.values())
        print(f"{'total, ' + str(len(timings)) + ' metrics (goal <= 10 s)':<40}{total:>9.2f}")
        ours = min(loyalist_three(parquet) for _ in range(2))  # best of two, both sides
        theirs = min(pandas_three(parquet) for _ in range(2))
        print(f"{'cohorts + repeat rate + concentration, load included':<58}{'seconds':>9}")
        print(f"{'loyalist (Ibis on DuckDB, read_parquet)':<58}{ours:>9.2f}")
        print(f"{'pandas (read_parquet)':<58}{theirs:>9.2f}")
        print(f"speed-up: {theirs / ours:.1f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
