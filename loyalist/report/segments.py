"""Report sections for best customers and those falling off (RFM grid, migration, lists)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.report.html import Section, absent
from loyalist.report.tables import heat_grid, table
from loyalist.segments.maps import SegmentMap, load_map
from loyalist.segments.movement import (
    best_customers,
    falling_off,
    migration_matrix,
    movement,
    segment_summary,
    segments_then_and_now,
)

COMPARE_DAYS = 90


def segment_sections(backend: Any, t: dict[str, ir.Table], as_of: dt.date | None,
                     seg_map: SegmentMap | None = None) -> list[Section]:
    """RFM grid, segment sizes, migration since 90 days before, best and falling-off lists."""
    if as_of is None:
        return [absent("Best customers and those falling off",
                       "Import orders with customer ids (`loyalist import orders FILE`).")]
    chosen = seg_map or load_map()
    before_day = as_of - dt.timedelta(days=COMPARE_DAYS)
    before, now = segments_then_and_now(t, as_of=as_of, before=before_day, segment_map=chosen)
    # each ranking once: the five views below read these two in-memory tables
    now = ibis.memtable(backend.to_pyarrow(now))
    moves = ibis.memtable(backend.to_pyarrow(
        movement(before, now, recency_threshold_days=COMPARE_DAYS)))
    grid = backend.execute(now.group_by(["r", "f"]).aggregate(
        customers=now.customer_id.count(), revenue=now.monetary.sum(),
        segment=now.segment.max()))
    summary = backend.execute(segment_summary(now))
    matrix = backend.execute(migration_matrix(moves))
    best = backend.execute(best_customers(now).limit(10))
    falling = backend.execute(falling_off(moves).limit(10))
    return [
        _grid_section(grid, chosen, as_of),
        Section(f"Segments as of {as_of}", table(
            ["segment", "customers", "share of customers", "revenue", "share of revenue"],
            [(r.segment, int(r.customers), f"{r.customer_share:.1%}", float(r.revenue),
              f"{r.revenue_share:.1%}") for r in summary.itertuples()]),
            f"Segments of the {chosen.name} map, best first. Revenue: customers' order amounts "
            "net of refunds to date."),
        _migration_section(matrix, chosen, before_day, as_of),
        Section("Best customers", table(
            ["customer", "segment", "recency (days)", "orders", "value"],
            [(r.customer_id, r.segment, int(r.recency_days), int(r.frequency),
              float(r.monetary)) for r in best.itertuples()]),
            "Top 10: best segment first, then by value (order amounts net of refunds)."),
        Section("Falling off", table(
            ["customer", "was", "now", "recency (days)", "value", "why"],
            [(r.customer_id, r.segment_before, r.segment, int(r.recency_days),
              float(r.monetary), r.reason) for r in falling.itertuples()]) if len(falling)
            else "<p>Nobody fell off.</p>",
            f"Customers who moved to a worse segment since {before_day} or have not ordered "
            f"for more than {COMPARE_DAYS} days after ordering within it; worst move first."),
    ]


def _grid_section(grid: Any, seg_map: SegmentMap, as_of: dt.date) -> Section:
    cells = {}
    for r in grid.itertuples():
        text = f"{int(r.customers):,}\n{r.segment}: {int(r.customers):,} customers, revenue " \
               f"{float(r.revenue):,.0f}"
        cells[(int(r.r), int(r.f))] = (float(r.customers), text)
    body = heat_grid("recency score", "frequency score", [5, 4, 3, 2, 1], [1, 2, 3, 4, 5], cells)
    legend = "; ".join(f"{s.name}: r {s.ranges['r'][0]}-{s.ranges['r'][1]}" + "".join(
        f", {a} {lo}-{hi}" for a, (lo, hi) in s.ranges.items() if a != "r")
        for s in seg_map.segments)
    return Section(f"RFM grid as of {as_of}", body,
                   "Customers per recency (rows, 5 = most recent) and frequency (columns, 5 = "
                   "most orders) quintile score; darker = more customers. Hover a cell for its "
                   f"segment and revenue. Map: {legend}.")


def _migration_section(matrix: Any, seg_map: SegmentMap, before: dt.date,
                       as_of: dt.date) -> Section:
    names = seg_map.names
    cells = {}
    for r in matrix.itertuples():
        was = r.segment_before if isinstance(r.segment_before, str) else "(new)"
        cells[(was, r.segment)] = (float(r.customers), f"{int(r.customers):,}")
    body = heat_grid("was", "now", [*names, "(new)"], names, cells)
    return Section(f"Segment migration {before} to {as_of}", body,
                   "Customers by segment at the earlier date (rows; '(new)' had not bought yet) "
                   "and now (columns). The diagonal stayed put; cells right of it moved to a "
                   "worse segment.")
