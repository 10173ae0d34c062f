"""A synthetic shop with a stored CLV fit (``loyalist clv fit`` results in the workspace)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from loyalist.clv.workflow import fit_clv, predict_customers, save_clv
from loyalist.data.importer import load
from loyalist.data.views import tables
from loyalist.store.workspace import Workspace


def clv_orders(n_customers: int = 400, seed: int = 3) -> pd.DataFrame:
    """Customers acquired over 8 weeks who buy at their own rate until they leave (2024)."""
    rng = np.random.default_rng(seed)
    rows = []
    start = dt.datetime(2024, 1, 1)
    for c in range(n_customers):
        first = int(rng.integers(0, 56))
        rate, life = rng.gamma(0.9, 1 / 20), rng.exponential(200)
        day = first
        while day <= 364 and day - first <= life:
            rows.append((f"o{len(rows)}", f"c{c}", start + dt.timedelta(days=day),
                         float(np.round(rng.gamma(4, 8), 2))))
            day += max(1, int(rng.exponential(1 / rate)))
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "amount"])


def make_clv_workspace(path: Path, *, fitted: bool = True) -> Workspace:
    """The shop's orders; with ``fitted`` a BG/NBD fit validated after 2024-07-31, stored."""
    ws = Workspace(path)
    load("orders", clv_orders(), workspace=ws, source="synthetic")
    if fitted:
        with ws.ibis() as backend:
            fit = fit_clv(backend, tables(backend), observation_end=dt.date(2024, 12, 30),
                          calibration_end=dt.date(2024, 7, 31))
        with ws.connect() as con:
            save_clv(con, fit, predict_customers(fit))
    return ws
