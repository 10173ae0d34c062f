"""A tiny shop with hand-checked RFM numbers (see tests/segments/test_rfm.py)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from loyalist.data import load
from loyalist.store.workspace import Workspace

ORDERS = [  # order_id, customer_id, ordered_at, amount, margin, discount
    ("a1", "a", "2024-03-30", 100.0, None, None), ("a2", "a", "2024-03-01", 50.0, None, None),
    ("a3", "a", "2024-02-01", 50.0, None, None), ("a4", "a", "2024-04-02", 999.0, None, None),
    ("b1", "b", "2024-03-20", 30.0, None, None),
    ("c1", "c", "2024-01-10", 500.0, None, None), ("c2", "c", "2024-01-20", 500.0, None, None),
    ("d1", "d", "2023-06-30", 20.0, None, None),
    ("e1", "e", "2024-03-20", 10.0, None, None), ("e2", "e", "2024-03-25", 10.0, None, None),
    ("e3", "e", "2024-03-26", 10.0, None, None), ("e4", "e", "2024-03-27 18:00:00", 10.0, None,
                                                  None),
    ("g1", None, "2024-03-31", 75.0, None, None),
]
REFUNDS = [("r1", "c", "2024-02-01", 100.0)]


def _orders(rows):
    cols = list(zip(*rows, strict=True))
    return pa.table({"order_id": cols[0], "customer_id": cols[1], "ordered_at": cols[2],
                     "amount": cols[3], "margin": pa.array(cols[4], pa.float64()),
                     "discount_amount": pa.array(cols[5], pa.float64())})


def make_rfm_workspace(path: Path) -> Workspace:
    ws = Workspace(path)
    load("orders", _orders(ORDERS), workspace=ws)
    r = list(zip(*REFUNDS, strict=True))
    load("refunds", pa.table({"refund_id": r[0], "customer_id": r[1], "refunded_at": r[2],
                              "amount": r[3]}), workspace=ws)
    return ws
