"""Period buckets named by their first day, for the acquisition, referral, renewal and community
metrics: day, ISO week (from Monday) and calendar month, computed the same way on every engine.

A month is ``date(year, month, 1)``; a week is ``truncate("W")`` (Monday on DuckDB, PostgreSQL and
Spark). Month arithmetic uses the month number ``year * 12 + month - 1`` (never
``delta(unit="month")``, which counts differently across engines).
"""  # noqa: D205

from __future__ import annotations

import datetime as dt
from typing import Literal

import ibis
import ibis.expr.types as ir

from loyalist.errors import InputError

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")


def check_period(period: str) -> None:
    """Raise ``ValueError`` unless ``period`` is day, week or month."""
    if period not in PERIODS:
        raise InputError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")


def bucket_start(ts: ir.TimestampValue, period: str) -> ir.DateValue:
    """First day of the ``period`` (day, week or month) that ``ts`` falls in.

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> ts = ibis.literal(dt.datetime(2024, 3, 14, 18, 30))
    >>> con = ibis.duckdb.connect()
    >>> [str(con.execute(bucket_start(ts, p)))[:10] for p in ("day", "week", "month")]
    ['2024-03-14', '2024-03-11', '2024-03-01']
    """
    check_period(period)
    if period == "day":
        return ts.date()
    if period == "week":
        return ts.truncate("W").date()
    return ibis.date(ts.year(), ts.month(), 1)


def month_number(value: ir.TimestampValue | ir.DateValue) -> ir.IntegerValue:
    """``year * 12 + month - 1`` of a date or timestamp (consecutive months differ by 1)."""
    return value.year().cast("int64") * 12 + value.month().cast("int64") - 1


def month_number_of(day: dt.date) -> int:
    """:func:`month_number` of a Python date."""
    return day.year * 12 + day.month - 1


def month_from_number(number: ir.IntegerValue) -> ir.DateValue:
    """First day of the month with this month number (inverse of :func:`month_number`)."""
    return ibis.date((number // 12).cast("int32"), (number % 12 + 1).cast("int32"), 1)
