"""Churn-risk signals + declarative score for ~1M customers / 10M orders on DuckDB.

Run: ``.venv/bin/python benchmarks/risk_speed.py [--orders 10000000 --customers 1000000]``.
Reuses the synthetic shop of ``segments_speed.py`` and adds one customers row per buyer (sign-up =
first order). Prints the time to compute every signal and the score (with the trend, which
scores a second date) and fetch the full result, without and with ``p_alive_drop`` (a BG/NBD fit
as of the day and P(alive) at two dates, in numpy, joined in as an in-memory table).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from segments_speed import AS_OF, make_workspace  # noqa: E402

from loyalist.data.derived import refresh_workspace  # noqa: E402
from loyalist.data.views import tables  # noqa: E402
from loyalist.risk import health_scores, load_spec, risk_signals, score_signals  # noqa: E402
from loyalist.risk.palive import p_alive_source, p_alive_table  # noqa: E402
from loyalist.store.workspace import Workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loyalist-risk-bench-"))
    try:
        make_workspace(tmp, args.orders, args.customers)
        ws = Workspace(tmp)
        with ws.connect() as con:
            con.execute("INSERT INTO customers (customer_id, signup_at) SELECT customer_id, "
                        "min(ordered_at) FROM orders GROUP BY customer_id")
        t0 = time.perf_counter()  # what the first command after an import does
        refresh_workspace(ws)
        print(f"stored per-customer tables (once, after an import): "
              f"{time.perf_counter() - t0:.1f} s")
        spec = load_spec()
        runs = {
            "signals + score (one date)": lambda b, t: score_signals(
                risk_signals(t, as_of=AS_OF), spec),
            "  + p_alive_drop": lambda b, t: score_signals(risk_signals(
                t, as_of=AS_OF, p_alive=p_alive_table(b, t, as_of=AS_OF)), spec),
            "signals + score + 30-day trend (two dates)": lambda b, t: health_scores(
                t, spec, as_of=AS_OF),
            "  + p_alive_drop (two fits)": lambda b, t: health_scores(
                t, spec, as_of=AS_OF, p_alive=p_alive_source(b, t)),
        }
        for label, build in runs.items():
            best = float("inf")
            for _ in range(2):
                t0 = time.perf_counter()
                with ws.ibis() as backend:
                    result = backend.to_pyarrow(build(backend, tables(backend)))
                best = min(best, time.perf_counter() - t0)
            print(f"{label:<46}{best:>7.2f} s  ({result.num_rows:,} customers, best of 2)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
