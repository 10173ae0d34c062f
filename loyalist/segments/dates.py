"""Default dates: analyses run "as of" the last order unless told otherwise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.errors import InputError, NotFoundError


def resolve_as_of(backend: Any, tables: dict[str, ir.Table], as_of: str | None) -> dt.date:
    """``as_of`` as a date; when missing, the date of the last order (historical data sets)."""
    if as_of:
        return as_date(as_of)
    last = backend.execute(tables["orders"].ordered_at.max())
    if last is None or last != last:
        raise NotFoundError("no orders in the workspace: import orders or pass --as-of")
    return as_date(str(last))


def shift_days(day: dt.date, days: int) -> dt.date:
    """``day`` moved by ``days`` (negative = earlier)."""
    if abs(days) > 365 * 100:
        raise InputError(f"date shift of {days} days is out of range", value=days)
    return day + dt.timedelta(days=days)


EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


def as_date(value: dt.date | str) -> dt.date:
    """``value`` as a date (a datetime loses its time; text must start YYYY-MM-DD).

    Dates outside 1900-2200 are refused: analyses look months back and ahead from them, which
    must stay within the calendar.
    """
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise InputError(f"as_of must be a date (YYYY-MM-DD), got {value!r}", key="as_of",
                             value=str(value)) from None
    if not EARLIEST <= day <= LATEST:
        raise InputError(f"as_of must be between {EARLIEST} and {LATEST}, got {day}",
                         key="as_of", value=day.isoformat())
    return day


def end_of_day(as_of: dt.date | str) -> ir.TimestampValue:
    """Exclusive end of the ``as_of`` day: orders placed that day count."""
    day = as_date(as_of) + dt.timedelta(days=1)
    return ibis.timestamp(dt.datetime(day.year, day.month, day.day))
