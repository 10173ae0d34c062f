"""Import speed: a 1M-row orders CSV through `loyalist.import_file`, against plain pandas.

Run: ``.venv/bin/python benchmarks/import_speed.py [--rows 1000000]``. Prints rows/s for
loyalist (validation, reject keeping and an atomic upsert included) and, side by side, for
``pandas.read_csv`` with dtype parsing and nothing else (what a user would otherwise start with).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from loyalist.data import import_file
from loyalist.store import Workspace


def make_orders(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00")
    seconds = rng.integers(0, 730 * 86400, rows)
    stamps = (start + seconds.astype("timedelta64[s]")).astype(str)
    table = pa.table({
        "order_id": np.char.add("o", np.arange(rows).astype(str)),
        "customer_id": np.char.add("c", rng.integers(0, rows // 10, rows).astype(str)),
        "ordered_at": np.char.replace(stamps, "T", " "),
        "amount": np.round(rng.gamma(2.0, 30.0, rows), 2),
        "channel": rng.choice(["web", "app", "store"], rows),
        "country": rng.choice(["GB", "DE", "FR", "US"], rows),
    })
    pacsv.write_csv(table, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loyalist-bench-"))
    try:
        csv_path = tmp / "orders.csv"
        make_orders(csv_path, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"orders.csv: {args.rows:,} rows, {size_mb:.0f} MB")
        best_loyalist = best_pandas = float("inf")
        for i in range(args.repeat):
            ws = Workspace(tmp / f"ws{i}")
            t0 = time.perf_counter()
            result = import_file(ws, "orders", csv_path)
            best_loyalist = min(best_loyalist, time.perf_counter() - t0)
            assert result.rows_loaded == args.rows and result.rows_rejected == 0
            t0 = time.perf_counter()
            frame = pd.read_csv(csv_path, parse_dates=["ordered_at"],
                                dtype={"order_id": str, "customer_id": str})
            best_pandas = min(best_pandas, time.perf_counter() - t0)
            assert len(frame) == args.rows
        print(f"{'tool':<44}{'seconds':>9}{'rows/s':>14}")
        print(f"{'loyalist import (validate + keep rejects + upsert)':<44}"
              f"{best_loyalist:>9.2f}{args.rows / best_loyalist:>14,.0f}")
        print(f"{'pandas.read_csv (parse only)':<44}{best_pandas:>9.2f}"
              f"{args.rows / best_pandas:>14,.0f}")
        ratio = best_pandas / best_loyalist
        print(f"loyalist / pandas speed: {ratio:.1f}x (best of {args.repeat})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
