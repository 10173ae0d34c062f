"""Per-process cache of computed results for the web app.

Pages and API calls ask for the same results (segments as of a date, headline numbers, value
scores, the CLV page's charts) again and again; computing them scans every order (seconds on
10M orders). The first request computes and keeps the result; later ones read it. The key holds
the workspace's state -- modification time and size of the DuckDB file and of its write-ahead
log -- so any import, fit or other write invalidates it, and results of an earlier state are
dropped when a new one is seen; the cache keeps the last ``MAX_ENTRIES`` results. Call
:func:`remember` while the workspace is open (read-only, so no other process can write in
between): the state then matches the data the result is built from.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyalist.clv.stored import customer_prediction, stored_predictions
from loyalist.segments.customer360 import customer_360
from loyalist.segments.maps import SegmentMap
from loyalist.segments.movement import segments_at
from loyalist.store.workspace import Workspace

T = TypeVar("T")
_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
MAX_ENTRIES = 24
#: a customer with more orders is read with one scan rather than fetched row by row
MAX_FETCHED_ORDERS = 64


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def state(workspace: Workspace) -> tuple[Hashable, ...]:
    """What changes whenever the workspace's data change: the file's and its WAL's mtime/size."""
    database = workspace.database
    wal = database.with_name(database.name + ".wal")  # writes not yet checkpointed
    return os.fspath(database.resolve()), _stat(database), _stat(wal)


def remember(workspace: Workspace, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """The result of ``build()``, computed once per workspace state and ``key``."""
    now = state(workspace)
    full = (now, *key)
    with _LOCK:
        for old in [k for k in _CACHE if k[0][0] == now[0] and k[0] != now]:
            del _CACHE[old]  # the workspace changed: nothing of before is asked for again
        hit = _CACHE.get(full, _CACHE)
        if hit is not _CACHE:
            _CACHE.move_to_end(full)
            return hit
    value = build()
    with _LOCK:
        _CACHE[full] = value
        while len(_CACHE) > MAX_ENTRIES:
            _CACHE.popitem(last=False)
    return value


def cached_arrow(workspace: Workspace, backend: Any, key: tuple[Hashable, ...],
                 build: Callable[[], ir.Table]) -> pa.Table:
    """The result of ``build()`` fetched as Arrow, once per workspace state."""
    return remember(workspace, ("arrow", *key), lambda: backend.to_pyarrow(build()))


def cached(workspace: Workspace, backend: Any, key: tuple[Hashable, ...],
           build: Callable[[], ir.Table]) -> ir.Table:
    """The result of ``build()`` as an in-memory table, computed once per workspace state."""
    return ibis.memtable(cached_arrow(workspace, backend, key, build))


def segments_arrow(workspace: Workspace, backend: Any, t: dict[str, ir.Table], day: dt.date,
                   seg_map: SegmentMap) -> pa.Table:
    """Segments as of ``day`` as Arrow (cached)."""
    key = ("segments", day.isoformat(), seg_map.name, repr(seg_map.segments))
    return cached_arrow(workspace, backend, key, lambda: segments_at(
        t["orders"], as_of=day, segment_map=seg_map, refunds=t["refunds"]))


def cached_segments(workspace: Workspace, backend: Any, t: dict[str, ir.Table], day: dt.date,
                    seg_map: SegmentMap) -> ir.Table:
    """Segments as of ``day`` (cached)."""
    return ibis.memtable(segments_arrow(workspace, backend, t, day, seg_map))


def customer_view(workspace: Workspace, backend: Any, t: dict[str, ir.Table], customer_id: str,
                  day: dt.date, seg_map: SegmentMap) -> dict[str, Any]:
    """Customer 360 as of ``day``, its tables of all customers (segments, value...) cached."""
    def everyone(name: str, build: Callable[[], ir.Table]) -> pa.Table:
        key = (name,) if name == "customers" else (name, day)  # customers do not age
        return cached_arrow(workspace, backend, key, build)

    return customer_360(
        backend, t, customer_id, as_of=day, segment_map=seg_map, everyone=everyone,
        segments=lambda d: segments_arrow(workspace, backend, t, d, seg_map),
        orders_of=lambda cid: customer_orders(workspace, backend, cid))


def customer_orders(workspace: Workspace, backend: Any, customer_id: str) -> pd.DataFrame | None:
    """All of one customer's orders (``order_id``, ``ordered_at``, ``amount``) without a scan.

    Finding one customer's orders among millions means a scan of the whole table (orders are
    stored in arrival order; an index would slow every import). Instead the DuckDB row ids of
    each customer's orders are collected once per workspace state -- a row id is stable while
    the file does not change, which the state in the key guarantees -- and the rows are then
    fetched by id, which DuckDB does without a scan. ``None`` (let the engine scan) when there
    is no orders table or the customer has more than ``MAX_FETCHED_ORDERS`` orders.
    """
    def collect() -> pa.Table | None:
        if "orders" not in backend.list_tables():
            return None
        return backend.con.execute("SELECT customer_id, list(rowid) AS row_ids FROM orders "
                                   "WHERE customer_id IS NOT NULL GROUP BY customer_id"
                                   ).to_arrow_table()

    where = remember(workspace, ("order_rows",), collect)
    if where is None:
        return None
    at = pc.index(where["customer_id"], customer_id).as_py()
    ids: list[int] = where["row_ids"][at].as_py() if at >= 0 else []
    if len(ids) > MAX_FETCHED_ORDERS:
        return None
    one = "SELECT order_id, ordered_at, amount FROM orders WHERE rowid = ?"
    sql = " UNION ALL ".join([one] * len(ids)) if ids else one.replace("rowid = ?", "false")
    frame: pd.DataFrame = backend.con.execute(sql, ids).df()
    return frame


def clv_prediction(workspace: Workspace, backend: Any, customer_id: str) -> dict[str, Any] | None:
    """One customer's stored CLV prediction (``None`` if absent), from the cached predictions."""
    def fetch() -> pa.Table | None:
        stored = stored_predictions(backend)
        return None if stored is None else backend.to_pyarrow(stored)

    fetched = remember(workspace, ("clv_predictions",), fetch)
    if fetched is None:
        return None
    return customer_prediction(backend, customer_id, fetched=fetched)


def clear() -> None:
    """Forget every cached result."""
    with _LOCK:
        _CACHE.clear()
