"""Transactions to the per-customer summary the CLV models fit: frequency, recency, T, spend.

The semantics are those of ``lifetimes.utils.summary_data_from_transaction_data`` (with
``freq="D"`` and ``freq_multiplier`` 1 for days or 7 for weeks), which is also how Fader and Hardie
summarise the CDNOW data:

- only orders of identified customers on or before ``observation_end`` count (the whole day of
  ``observation_end`` is included);
- orders of a customer on the same day are merged into one purchase whose amount is their sum
  (``merge="period"`` merges by calendar period of ``unit`` instead, see below);
- ``frequency`` is the number of purchases after the first (repeat purchases);
- ``recency`` is the time from the first to the last purchase (0 without repeat purchases);
- ``T`` is the time from the first purchase to ``observation_end``;
- ``monetary_value`` is the mean amount of the repeat purchases (the first purchase is left
  out), 0 when ``frequency`` is 0.

Times are days between calendar dates, as float in ``unit``: ``"D"`` days or ``"W"`` weeks
(days / 7). With ``merge="period"`` and ``unit="W"`` purchases are merged by ISO week (Monday
start) and every time is a whole number of weeks between week starts, like lifetimes with
``freq="W"`` except that orders after ``observation_end`` in its week are still left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import stored_order_days
from loyalist.errors import InputError

Unit = Literal["D", "W"]
Merge = Literal["day", "period"]
_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0}


def _check(unit: str, merge: str) -> None:
    if unit not in _DAYS:
        raise InputError(f"unit must be 'D' (days) or 'W' (weeks), got {unit!r}")
    if merge not in ("day", "period"):
        raise InputError(f"merge must be 'day' or 'period', got {merge!r}")


def _day(value: dt.date | dt.datetime | str) -> dt.date:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.date() if isinstance(value, dt.datetime) else value


def _key(day: ir.DateValue, unit: Unit, merge: Merge) -> ir.DateValue:
    """The date a purchase is merged and timed by: its day, or the start of its period."""
    return day.truncate("W") if merge == "period" and unit == "W" else day


def _span(later: ir.DateValue, earlier: ir.DateValue, unit: Unit) -> ir.FloatingValue:
    # cast before dividing: an int/int ratio comes back truncated on PostgreSQL
    return later.delta(earlier, unit="day").cast("float64") / _DAYS[unit]


def _purchases(orders: ir.Table, *, end: dt.date, unit: Unit, merge: Merge, customer_col: str,
               time_col: str, amount_col: str, after: dt.date | None = None) -> ir.Table:
    """``(customer_id, key, amount)``: one merged purchase per row, days in ``(after, end]``."""
    known = orders.filter(orders[customer_col].notnull())
    when = known[time_col]
    day = when.date() if when.type().is_timestamp() else when
    rows = known.select(customer_id=known[customer_col], day=day,
                        amount=known[amount_col].cast("float64"))
    rows = rows.filter(rows.day <= ibis.literal(end))
    if after is not None:
        rows = rows.filter(rows.day > ibis.literal(after))
    rows = rows.mutate(key=_key(rows.day, unit, merge))
    return rows.group_by(["customer_id", "key"]).aggregate(amount=rows.amount.sum())


def rfm_summary(orders: ir.Table, *, observation_end: dt.date | dt.datetime | str,
                unit: Unit = "W", customer_col: str = "customer_id",
                time_col: str = "ordered_at", amount_col: str = "amount",
                calibration_end: dt.date | dt.datetime | str | None = None,
                merge: Merge = "day") -> ir.Table:
    """Per customer: ``frequency``, ``recency``, ``T`` and ``monetary_value``.

    Parameters
    ----------
    orders : ir.Table
        One row per order with a customer id, a timestamp (or date) and an amount.
    observation_end : date, datetime or ISO string
        Last day of the observation period (inclusive; a datetime counts as its whole day).
    unit : {"W", "D"}
        Unit of ``recency`` and ``T``: weeks (days / 7) or days.
    customer_col, time_col, amount_col : str
        Column names in ``orders``. Orders without a customer id are left out.
    calibration_end : date, datetime or ISO string, optional
        If given, the summary is the calibration summary up to this day and customers who first
        bought after it are left out; ``observation_end`` is then not used (see
        :func:`calibration_holdout` for the holdout columns).
    merge : {"day", "period"}
        Merge orders on the same day (default), or in the same period of ``unit``.

    Returns
    -------
    ir.Table
        ``customer_id``, ``frequency`` (int64), ``recency``, ``T``, ``monetary_value`` (float64).

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable({"customer_id": ["a", "a", "a", "b"],
    ...     "ordered_at": ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-15", "2024-01-08"],
    ...     "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> s = rfm_summary(o, observation_end="2024-01-29", unit="W")
    >>> ibis.duckdb.connect().execute(s.order_by("customer_id")).values.tolist()
    [['a', 1, 2.0, 4.0, 20.0], ['b', 0, 0.0, 3.0, 0.0]]
    """
    _check(unit, merge)
    end = _day(observation_end if calibration_end is None else calibration_end)
    days = stored_order_days(orders) if (customer_col, time_col, amount_col, merge) == (
        "customer_id", "ordered_at", "amount", "day") else None
    if days is not None:  # a workspace's orders: merged by day already
        return _summary_from_days(days, end, unit)
    p = _purchases(orders, end=end, unit=unit, merge=merge, customer_col=customer_col,
                   time_col=time_col, amount_col=amount_col)
    p = p.mutate(first=p.key.min().over(group_by=p.customer_id))
    repeat = p.key > p.first
    s = p.group_by(["customer_id", "first"]).aggregate(
        frequency=p.count(where=repeat), last=p.key.max(),
        spend=p.amount.mean(where=repeat))
    return s.select(
        "customer_id", "frequency",
        recency=_span(s.last, s.first, unit),
        T=_span(_key(ibis.literal(end), unit, merge), s.first, unit),
        monetary_value=s.spend.fill_null(0.0),
    )


def _summary_from_days(days: ir.Table, end: dt.date, unit: Unit) -> ir.Table:
    """:func:`rfm_summary` of a workspace's orders from their stored order days.

    An order day is a purchase merged by day already (its ``revenue`` is the day's sum), so
    no regrouping of the orders is needed.
    """
    d = days.filter(days.day <= ibis.literal(end))
    repeat = d.day_no > 1
    s = d.group_by(["customer_id", "first_day"]).aggregate(
        frequency=d.count(where=repeat), last=d.day.max(), spend=d.revenue.mean(where=repeat))
    return s.select(
        "customer_id", frequency=s.frequency.cast("int64"),
        recency=_span(s.last, s.first_day, unit),
        T=_span(ibis.literal(end), s.first_day, unit),
        monetary_value=s.spend.fill_null(0.0),
    )


def calibration_holdout(orders: ir.Table, *, calibration_end: dt.date | dt.datetime | str,
                        observation_end: dt.date | dt.datetime | str, unit: Unit = "W",
                        customer_col: str = "customer_id", time_col: str = "ordered_at",
                        amount_col: str = "amount", merge: Merge = "day") -> ir.Table:
    """The calibration summary with what each customer did in the holdout period.

    The calibration period ends on ``calibration_end`` (inclusive), the holdout period is the
    days after it up to ``observation_end`` (inclusive). Customers whose first purchase is in the
    holdout period are left out. Same-day orders are merged in both periods.

    Parameters
    ----------
    orders : ir.Table
        One row per order, as for :func:`rfm_summary`.
    calibration_end, observation_end : date, datetime or ISO string
        Last days of the calibration and of the holdout period.
    unit : {"W", "D"}
        Unit of the times.
    customer_col, time_col, amount_col : str
        Column names in ``orders``.
    merge : {"day", "period"}
        As for :func:`rfm_summary`.

    Returns
    -------
    ir.Table
        ``customer_id``, ``frequency_cal``, ``recency_cal``, ``T_cal``, ``monetary_value_cal``
        (the :func:`rfm_summary` of the calibration period, named as in lifetimes),
        ``frequency_holdout`` (purchases in the holdout period), ``monetary_value_holdout``
        (their mean merged amount, 0 without any; lifetimes averages the unmerged orders here)
        and ``duration_holdout`` (the length of the holdout period in ``unit``).

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable({"customer_id": ["a", "a", "a", "b"],
    ...     "ordered_at": ["2024-01-01", "2024-01-08", "2024-01-20", "2024-01-16"],
    ...     "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> s = calibration_holdout(o, calibration_end="2024-01-15", observation_end="2024-01-29")
    >>> ibis.duckdb.connect().execute(s.order_by("customer_id")).values.tolist()[0]
    ['a', 1, 1.0, 2.0, 5.0, 1, 20.0, 2.0]
    """
    _check(unit, merge)
    cal_end, obs_end = _day(calibration_end), _day(observation_end)
    if obs_end <= cal_end:
        raise InputError(f"observation_end ({obs_end}) must be after calibration_end ({cal_end})")
    cal = rfm_summary(orders, observation_end=cal_end, unit=unit, customer_col=customer_col,
                      time_col=time_col, amount_col=amount_col, merge=merge)
    cal = cal.rename(frequency_cal="frequency", recency_cal="recency", T_cal="T",
                     monetary_value_cal="monetary_value")
    p = _purchases(orders, end=obs_end, unit=unit, merge=merge, customer_col=customer_col,
                   time_col=time_col, amount_col=amount_col, after=cal_end)
    h = p.group_by("customer_id").aggregate(n=p.count(), spend=p.amount.mean())
    out = cal.left_join(h, "customer_id")
    duration = _span(_key(ibis.literal(obs_end), unit, merge),
                     _key(ibis.literal(cal_end), unit, merge), unit)
    return out.select(
        *cal.columns,
        frequency_holdout=out.n.fill_null(0).cast("int64"),
        monetary_value_holdout=out.spend.fill_null(0.0),
        duration_holdout=duration,
    )
