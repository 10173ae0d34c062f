"""Per-process cache of computed results for the web app.

Pages and API calls ask for the same results (segments as of a date, headline numbers, value
scores) again and again; computing them scans every order (seconds on 10M orders). The first
request computes and keeps the result as Arrow; later ones read it. The key includes the DuckDB
file's modification time and size, so any import invalidates it; the cache keeps the last
``MAX_ENTRIES`` results.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loyalist.segments.maps import SegmentMap
from loyalist.segments.movement import segments_at
from loyalist.store.workspace import Workspace

_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[Any, ...], pa.Table] = OrderedDict()
MAX_ENTRIES = 24


def cached(workspace: Workspace, backend: Any, key: tuple[Hashable, ...],
           build: Callable[[], ir.Table]) -> ir.Table:
    """The result of ``build()`` as an in-memory table, computed once per workspace state."""
    stat = workspace.database.stat()
    full = (str(workspace.database.resolve()), stat.st_mtime_ns, stat.st_size, *key)
    with _LOCK:
        hit = _CACHE.get(full)
        if hit is not None:
            _CACHE.move_to_end(full)
    if hit is None:
        hit = backend.to_pyarrow(build())
        with _LOCK:
            _CACHE[full] = hit
            while len(_CACHE) > MAX_ENTRIES:
                _CACHE.popitem(last=False)
    return ibis.memtable(hit)


def cached_segments(workspace: Workspace, backend: Any, t: dict[str, ir.Table], day: dt.date,
                    seg_map: SegmentMap) -> ir.Table:
    """Segments as of ``day`` (cached)."""
    key = ("segments", day.isoformat(), seg_map.name, repr(seg_map.segments))
    return cached(workspace, backend, key, lambda: segments_at(
        t["orders"], as_of=day, segment_map=seg_map, refunds=t["refunds"]))


def clear() -> None:
    """Forget every cached result."""
    with _LOCK:
        _CACHE.clear()
