"""Segments at a date, movement between two dates, and the best / falling-off lists."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loyalist.segments.maps import SegmentMap, load_map
from loyalist.segments.rfm import Method, Thresholds, rfm_scores


def segments_at(
    orders: ir.Table,
    *,
    as_of: dt.date | str,
    segment_map: SegmentMap | None = None,
    method: Method = "quintile",
    thresholds: Thresholds | None = None,
    refunds: ir.Table | None = None,
) -> ir.Table:
    """RFM values and scores with each customer's ``segment`` and ``segment_rank`` (0 = best)."""
    seg_map = segment_map or load_map()
    scores = rfm_scores(orders, as_of=as_of, method=method, thresholds=thresholds,
                        refunds=refunds)
    return seg_map.assign(scores)


def segments_then_and_now(
    tables: dict[str, ir.Table],
    *,
    as_of: dt.date,
    before: dt.date | None = None,
    days_before: int = 90,
    segment_map: SegmentMap | None = None,
) -> tuple[ir.Table, ir.Table]:
    """Segments at ``before`` (default ``days_before`` days earlier) and at ``as_of``, from the
    canonical ``orders`` and ``refunds``; the input of :func:`movement`.
    """  # noqa: D205
    earlier = before or as_of - dt.timedelta(days=days_before)
    then = segments_at(tables["orders"], as_of=earlier, segment_map=segment_map,
                       refunds=tables["refunds"])
    now = segments_at(tables["orders"], as_of=as_of, segment_map=segment_map,
                      refunds=tables["refunds"])
    return then, now


def movement(
    before: ir.Table,
    now: ir.Table,
    *,
    recency_threshold_days: int = 90,
) -> ir.Table:
    """Join two :func:`segments_at` tables into one row per customer now.

    Columns: ``customer_id``, ``segment_before`` (null for customers who had not bought yet),
    ``segment``, ``rank_before``, ``segment_rank``, ``recency_before``, ``recency_days``,
    ``monetary``, ``direction`` (``new``, ``up``, ``same``, ``down``), ``falling_off`` and
    ``reason``. A customer is falling off when they moved to a worse segment (further down the
    map) or crossed the recency threshold (bought within ``recency_threshold_days`` at the first
    date and not within it now).
    """
    b = before.select(customer_id=before.customer_id, segment_before=before.segment,
                      rank_before=before.segment_rank, recency_before=before.recency_days)
    joined = now.left_join(b, "customer_id").drop("customer_id_right")
    worse = joined.segment_rank > joined.rank_before
    crossed = (joined.recency_before <= recency_threshold_days) & (
        joined.recency_days > recency_threshold_days)
    direction = (
        ibis.cases(
            (joined.rank_before.isnull(), "new"),
            (joined.segment_rank < joined.rank_before, "up"),
            (worse, "down"),
            else_="same",
        )
    )
    moved = ibis.literal("moved from ") + joined.segment_before + " to " + joined.segment
    lapsed = (ibis.literal("no order for ") + joined.recency_days.cast("string")
              + f" days (threshold {recency_threshold_days})")
    reason = ibis.cases((worse & crossed, moved + "; " + lapsed), (worse, moved),
                        (crossed, lapsed), else_=ibis.null("string"))
    return joined.mutate(direction=direction, falling_off=(worse | crossed).fill_null(False),
                         reason=reason)


def migration_matrix(moves: ir.Table) -> ir.Table:
    """Customers per (``segment_before``, ``segment``) pair; ``segment_before`` null = new."""
    return (moves.group_by(["segment_before", "segment"])
            .aggregate(customers=moves.customer_id.count())
            .order_by(["segment_before", "segment"]))


def falling_off(moves: ir.Table) -> ir.Table:
    """Customers falling off, worst move first, then by value at stake."""
    out = moves.filter(moves.falling_off)
    drop = (out.segment_rank - out.rank_before.fill_null(out.segment_rank))
    return out.mutate(drop=drop).order_by([ibis.desc("drop"), ibis.desc("monetary"),
                                           "customer_id"]).drop("drop")


def best_customers(segments: ir.Table) -> ir.Table:
    """Customers best segment first, then by monetary value (highest first)."""
    return segments.order_by(["segment_rank", ibis.desc("monetary"), "customer_id"])


def segment_summary(segments: ir.Table) -> ir.Table:
    """Per segment: customers, revenue (sum of monetary) and the share of each."""
    per = segments.group_by(["segment", "segment_rank"]).aggregate(
        customers=segments.customer_id.count(), revenue=segments.monetary.sum())
    return per.mutate(
        customer_share=per.customers.cast("float64") / per.customers.sum().over().cast("float64"),
        revenue_share=per.revenue / per.revenue.sum().over(),
    ).order_by("segment_rank")
