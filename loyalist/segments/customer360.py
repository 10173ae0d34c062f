"""Customer 360: one customer's profile, money, usage, satisfaction, segments, value and signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeAlias

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyalist.data.frames import records
from loyalist.errors import NotFoundError
from loyalist.segments.dates import as_date, end_of_day
from loyalist.segments.maps import SegmentMap
from loyalist.segments.movement import segments_at
from loyalist.segments.signals import loyalty_signals
from loyalist.segments.value import ValueWeights, value_score

#: a per-customer table: an expression, or a result already fetched as Arrow
Everyone: TypeAlias = ir.Table | pa.Table


def customer_360(
    backend: Any,
    tables: dict[str, ir.Table],
    customer_id: str,
    *,
    as_of: dt.date | str,
    segment_map: SegmentMap | None = None,
    weights: ValueWeights | None = None,
    history_months: int = 6,
    segments: Callable[[dt.date], Everyone] | None = None,
    everyone: Callable[[str, Callable[[], ir.Table]], Everyone] | None = None,
    orders_of: Callable[[str], pd.DataFrame | None] | None = None,
) -> dict[str, Any]:
    """Everything known about ``customer_id`` as of a date, as plain Python values.

    Keys: ``profile``, ``money`` (orders, revenue, refunds, first/last order, recent orders),
    ``usage`` (events, active days and features in the last 30 days), ``satisfaction`` (last NPS,
    mean CSAT, tickets), ``segments`` (the segment at the end of each of the last
    ``history_months`` months and at ``as_of``), ``value`` (parts and contributions) and
    ``signals``. Unknown customers raise :class:`~loyalist.errors.NotFoundError`.
    ``segments(day)``, when given, supplies the segments table of a day (the web app passes its
    cache; segments are ranked over all customers, so each date costs a full pass otherwise).
    ``everyone(name, build)``, when given, may return a stored result of ``build()`` (the value
    and signal tables scale by the best customer, so they too are computed for everyone; the
    customers table holds customers derived from all orders). Either may hand back an Arrow
    table, which is searched in memory instead of in the engine. ``orders_of(customer_id)``,
    when given, may return all of the customer's orders (``order_id``, ``ordered_at``,
    ``amount``) found without a scan of every order, or ``None`` to let the engine look.
    """
    store: Callable[[str, Callable[[], ir.Table]], Everyone] = everyone or (
        lambda _name, build: build())
    cid = str(customer_id)
    end = end_of_day(as_of)
    profile = _one(backend, store("customers", lambda: tables["customers"]), cid)
    if profile is None:
        raise NotFoundError(f"no customer {cid!r}", customer_id=cid)
    return {
        "customer_id": cid,
        "as_of": as_date(as_of).isoformat(),
        "profile": profile,
        "money": _money(backend, tables, cid, as_of, orders_of),
        "usage": _usage(backend, tables, cid, as_of),
        "satisfaction": _satisfaction(backend, tables, cid, end),
        "segments": _segment_history(backend, tables, cid, as_of, history_months, segments or (
            lambda day: segments_at(tables["orders"], as_of=day, segment_map=segment_map,
                                    refunds=tables["refunds"]))),
        "value": _one(backend, store("value", lambda: value_score(
            tables, as_of=as_of, weights=weights)), cid),
        "signals": _one(backend, store("signals", lambda: loyalty_signals(tables, as_of=as_of)),
                        cid),
    }


def _records(backend: Any, expr: ir.Table) -> list[dict[str, Any]]:
    return records(backend.execute(expr))


def _one(backend: Any, table: Everyone, cid: str,
         columns: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """The row of ``cid`` (the first one) of a table with one row per customer."""
    if isinstance(table, pa.Table):  # a result kept in memory: no engine round trip
        at = pc.index(table["customer_id"], cid).as_py()
        if at < 0:
            return None
        row = table.slice(at, 1).select(list(columns or table.column_names)).to_pylist()[0]
        return {k: _as_executed(v) for k, v in row.items()}
    if columns:
        table = table.select(*columns)
    rows = _records(backend, table.filter(table.customer_id == cid).limit(1))
    return rows[0] if rows else None


def _as_executed(value: Any) -> Any:
    """A value of an Arrow row as :func:`records` gives it for an executed expression."""
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value)
    if isinstance(value, float) and value != value:
        return None
    return value


def _money(backend: Any, tables: dict[str, ir.Table], cid: str, as_of: dt.date | str,
           orders_of: Callable[[str], pd.DataFrame | None] | None) -> dict[str, Any]:
    # one pass over the orders: the customer's orders are few, so the totals and the most
    # recent ones are taken from them in memory rather than by a scan of all orders each
    end = end_of_day(as_of)
    mine = orders_of(cid) if orders_of is not None else None
    if mine is None:
        o = tables["orders"].filter(tables["orders"].customer_id == cid,
                                    tables["orders"].ordered_at < end)
        mine = backend.execute(o.select("order_id", "ordered_at", "amount"))
    else:
        day = as_date(as_of) + dt.timedelta(days=1)
        mine = mine[mine["ordered_at"] < dt.datetime(day.year, day.month, day.day)]
    r = tables["refunds"].filter(tables["refunds"].customer_id == cid,
                                 tables["refunds"].refunded_at < end)
    summary = _order_totals(mine)
    summary["refunded"] = _records(backend, r.aggregate(
        refunded=r.amount.cast("float64").sum()))[0]["refunded"] or 0.0
    recent = mine.sort_values(["ordered_at", "order_id"], ascending=[False, True],
                              na_position="last", kind="stable").head(10)
    summary["recent_orders"] = records(recent.reset_index(drop=True))
    return summary


def _order_totals(mine: pd.DataFrame) -> dict[str, Any]:
    """Distinct orders, revenue (``None`` without amounts) and first and last order time."""
    amounts = mine["amount"].astype("float64")
    first, last = mine["ordered_at"].min(), mine["ordered_at"].max()
    return {"orders": int(mine["order_id"].nunique()),
            "revenue": float(amounts.sum()) if amounts.notna().any() else None,
            "first_order": None if pd.isna(first) else first,
            "last_order": None if pd.isna(last) else last}


def _usage(backend: Any, tables: dict[str, ir.Table], cid: str,
           as_of: dt.date | str) -> dict[str, Any]:
    day = as_date(as_of)
    start = ibis.timestamp(dt.datetime.combine(day - dt.timedelta(days=29), dt.time()))
    e = tables["events"]
    e = e.filter(e.customer_id == cid, e.occurred_at >= start, e.occurred_at < end_of_day(as_of))
    return _records(backend, e.aggregate(
        events_30d=e.count(), active_days_30d=e.occurred_at.date().nunique(),
        features_30d=e.feature.nunique()))[0]


def _satisfaction(backend: Any, tables: dict[str, ir.Table], cid: str,
                  end: ir.TimestampValue) -> dict[str, Any]:
    s = tables["survey_responses"]
    s = s.filter(s.customer_id == cid, s.answered_at < end, s.score.notnull(),
                 s.question.isin(["nps", "csat"]))
    mine = backend.execute(s.select("question", "score", "answered_at", "response_id"))
    nps = mine[mine["question"] == "nps"].sort_values(
        ["answered_at", "response_id"], ascending=[False, True], na_position="last",
        kind="stable")
    last = records(nps[["score", "answered_at"]].head(1).reset_index(drop=True))
    csat = mine.loc[mine["question"] == "csat", "score"].astype("float64")
    t = tables["tickets"].filter(tables["tickets"].customer_id == cid,
                                 tables["tickets"].opened_at < end)
    tickets = _records(backend, t.aggregate(
        tickets=t.count(),
        open_tickets=t.resolved_at.isnull().cast("int64").sum().fill_null(0),
        complaints=t.is_complaint.fill_null(False).cast("int64").sum().fill_null(0)))[0]
    return {
        "last_nps": last[0]["score"] if last else None,
        "last_nps_at": last[0]["answered_at"] if last else None,
        "csat_mean": float(csat.mean()) if len(csat) else None,
        **tickets,
    }


def _segment_history(backend: Any, tables: dict[str, ir.Table], cid: str,
                     as_of: dt.date | str, months: int,
                     segments: Callable[[dt.date], Everyone]) -> list[dict[str, Any]]:
    day = as_date(as_of)
    dates = [day]
    first = day.replace(day=1)
    for _ in range(months):
        first = first - dt.timedelta(days=1)  # last day of the previous month
        dates.append(first)
        first = first.replace(day=1)
    history = []
    for when in sorted(dates):
        row = _one(backend, segments(when), cid, ("customer_id", "segment", "r", "f", "m"))
        history.append({"as_of": when.isoformat(), **(row or {"segment": None})})
    return history
