"""RFM: recency, frequency and monetary value per customer as of a date, and their 1-5 scores.

Definitions (customers with at least one order on or before ``as_of``; guest orders excluded):

- ``recency_days``: whole days from the last order's date to ``as_of``;
- ``frequency``: number of distinct orders;
- ``monetary``: sum of order amounts, minus refunds on or before ``as_of`` when ``refunds`` is
  given (variant ``monetary="net"``; ``"gross"`` ignores refunds).

Scores (5 is best: most recent, most frequent, highest value), two named methods:

- ``method="quintile"``: customers are ranked by the value with the customer id as a unique
  tiebreaker, and rank ``i`` of ``n`` (0-based) gets ``floor(5 i / n) + 1``, so each score holds a
  fifth of the customers. The tiebreaker makes scores identical on every engine (equal values can
  land in neighbouring scores);
- ``method="thresholds"``: fixed cut points, e.g. recency "within 30 days" = 5. A score is the
  number of cut points the value beats, plus one (see :class:`Thresholds`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import order_days
from loyalist.errors import InputError
from loyalist.segments.dates import as_date, end_of_day

Method = Literal["quintile", "thresholds"]


@dataclass(frozen=True)
class Thresholds:
    """Cut points for ``method="thresholds"``, four per measure, in increasing order.

    ``recency_days = (30, 90, 180, 365)`` gives R = 5 within 30 days, 4 within 90, 3 within 180,
    2 within 365 and 1 beyond. ``frequency = (1, 2, 4, 8)`` gives F = 1 for one order, 2 for two,
    3 for 3-4, 4 for 5-8, 5 for more. ``monetary`` works like frequency, on the amount.
    """

    recency_days: tuple[float, ...] = (30, 90, 180, 365)
    frequency: tuple[float, ...] = (1, 2, 4, 8)
    monetary: tuple[float, ...] = (50, 200, 500, 2000)

    def __post_init__(self) -> None:
        for name in ("recency_days", "frequency", "monetary"):
            cuts = getattr(self, name)
            if len(cuts) != 4 or list(cuts) != sorted(cuts) or len(set(cuts)) != 4:
                raise InputError(f"thresholds.{name} must be 4 increasing numbers, got {cuts}",
                                 key=f"thresholds.{name}", value=list(cuts))


def rfm_values(
    orders: ir.Table,
    *,
    as_of: dt.date | str,
    refunds: ir.Table | None = None,
) -> ir.Table:
    """Per customer: ``customer_id``, ``last_order``, ``recency_days``, ``frequency``, ``monetary``.

    Examples
    --------
    >>> import ibis
    >>> orders = ibis.memtable({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
    ...     "ordered_at": ["2024-01-01", "2024-01-20", "2024-01-10"],
    ...     "amount": [10.0, 5.0, 7.0]}).mutate(ordered_at=ibis._.ordered_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(
    ...     rfm_values(orders, as_of="2024-01-31").order_by("customer_id"))
    >>> out[["customer_id", "recency_days", "frequency", "monetary"]].values.tolist()
    [['a', 11, 2, 15.0], ['b', 21, 1, 7.0]]
    """
    end = end_of_day(as_of)
    day = ibis.literal(as_date(as_of))
    d = order_days(orders)
    # each customer's last order day on or before as_of holds the totals up to it; order_id
    # is the table's key (the import keeps it unique), so order rows are distinct orders
    last = d.filter(d.day <= day, d.next_day.isnull() | (d.next_day > day))
    per = last.select("customer_id", last_order=last.last_at, frequency=last.orders_to_date,
                      monetary=last.revenue_to_date,
                      recency_days=day.delta(last.day, unit="day").cast("int64"))
    if refunds is not None:
        back = refunds.filter(refunds.customer_id.notnull(), refunds.refunded_at < end)
        back = back.group_by("customer_id").aggregate(refunded=back.amount.cast("float64").sum())
        per = per.left_join(back, "customer_id").drop("customer_id_right")
        per = per.mutate(monetary=per.monetary - per.refunded.fill_null(0.0)).drop("refunded")
    return per.select("customer_id", "last_order", "recency_days", "frequency", "monetary")


def rfm_scores(
    orders: ir.Table,
    *,
    as_of: dt.date | str,
    method: Method = "quintile",
    thresholds: Thresholds | None = None,
    refunds: ir.Table | None = None,
) -> ir.Table:
    """RFM values plus ``r``, ``f``, ``m`` scores (1-5) and ``fm`` (rounded-up mean of f and m)."""
    values = rfm_values(orders, as_of=as_of, refunds=refunds)
    if method == "quintile":
        scored = values.mutate(
            r=_quintile(values, values.recency_days, descending=True),
            f=_quintile(values, values.frequency),
            m=_quintile(values, values.monetary),
        )
    elif method == "thresholds":
        cuts = thresholds or Thresholds()
        scored = values.mutate(
            r=5 - _beats(values.recency_days, cuts.recency_days),
            f=_beats(values.frequency, cuts.frequency) + 1,
            m=_beats(values.monetary, cuts.monetary) + 1,
        )
    else:
        raise InputError(f"method must be 'quintile' or 'thresholds', got {method!r}",
                         key="method", value=method)
    scored = scored.mutate(r=scored.r.cast("int64"), f=scored.f.cast("int64"),
                           m=scored.m.cast("int64"))
    return scored.mutate(fm=((scored.f + scored.m + 1) // 2).cast("int64"))


def _quintile(table: ir.Table, value: ir.Column, *, descending: bool = False) -> ir.IntegerValue:
    order = [value.desc() if descending else value.asc(), table.customer_id.asc()]
    rank = ibis.row_number().over(order_by=order)  # 0-based in ibis
    total = table.customer_id.count().over()
    return (rank.cast("float64") * 5 / total.cast("float64")).floor().cast("int64") + 1


def _beats(value: ir.NumericValue, cuts: Sequence[float]) -> ir.IntegerValue:
    """How many cut points ``value`` is above (``>``)."""
    total: ir.IntegerValue = ibis.literal(0)
    for cut in cuts:
        total = total + (value > cut).cast("int64")
    return total
