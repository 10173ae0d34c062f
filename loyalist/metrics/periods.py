"""Calendar periods as integers, the same on every engine; ``as_of`` as a date or an expression.

A period index counts whole periods from Monday 1 January 1900, so consecutive periods differ by
exactly 1 and ``index(b) - index(a)`` is the number of periods between two dates:

- ``"day"``: days since 1900-01-01;
- ``"week"``: ISO weeks (Monday to Sunday) since the week of 1900-01-01 (itself a Monday);
- ``"month"``: ``year * 12 + month - 1`` (calendar months).

``as_of`` may be a :class:`datetime.date` or an Ibis date expression (e.g. the last order day,
``orders.ordered_at.max().date()``), so a metric stays one expression when the date comes from
the data.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypeAlias

import ibis
import ibis.expr.types as ir

from loyalist.errors import InputError

Period = Literal["day", "week", "month"]
PERIODS: tuple[str, ...] = ("day", "week", "month")
AsOf: TypeAlias = "dt.date | ir.DateValue"
_EPOCH = dt.date(1900, 1, 1)  # a Monday: week indexes start on Mondays


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    """Raise :class:`InputError` naming the option when ``value`` is not one of ``allowed``."""
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}",
                         option=name, value=str(value))


def check_positive(name: str, value: int) -> None:
    """Raise :class:`InputError` naming the option when ``value`` is below 1."""
    if value < 1:
        raise InputError(f"{name} must be 1 or more, got {value}", option=name, value=value)


def period_index(ts: ir.TimestampValue | ir.DateValue, period: str) -> ir.IntegerValue:
    """Index of the ``period`` (day, week or month) that ``ts`` falls in."""
    check_choice("period", period, PERIODS)
    if period == "month":
        return ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1
    day = ts.date() if isinstance(ts, ir.TimestampValue) else ts
    days = day.delta(ibis.literal(_EPOCH), unit="day").cast("int64")
    return days // 7 if period == "week" else days


def period_start(index: ir.IntegerValue, period: str) -> ir.DateValue:
    """First day of the period with this index (the inverse of :func:`period_index`)."""
    check_choice("period", period, PERIODS)
    if period == "month":
        return ibis.date((index // 12).cast("int32"), (index % 12 + 1).cast("int32"), 1)
    days = index * 7 if period == "week" else index
    return (ibis.literal(_EPOCH) + days.cast("int32").as_interval("D")).cast("date")


def day_of(as_of: AsOf) -> ir.DateValue:
    """``as_of`` as an Ibis date."""
    if isinstance(as_of, dt.date):
        day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
        return ibis.literal(day, type="date")
    return as_of


def end_of(as_of: AsOf) -> ir.TimestampValue:
    """Exclusive end of the ``as_of`` day as a timestamp: events on that day count."""
    return (day_of(as_of) + ibis.interval(days=1)).cast("timestamp")


def last_day(*columns: ir.Column) -> ir.DateValue:
    """The latest date among ``columns`` (whole-table maxima), today when they are all empty."""
    maxima = [c.max().cast("timestamp").as_scalar() for c in columns]
    latest = ibis.greatest(*maxima) if len(maxima) > 1 else maxima[0]
    return ibis.coalesce(latest.date(), ibis.literal(dt.date.today(), type="date"))
