"""Default dates: analyses run "as of" the last order unless told otherwise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis.expr.types as ir

from loyalist.errors import InputError, NotFoundError
from loyalist.segments.rfm import _as_date


def resolve_as_of(backend: Any, tables: dict[str, ir.Table], as_of: str | None) -> dt.date:
    """``as_of`` as a date; when missing, the date of the last order (historical data sets)."""
    if as_of:
        return _as_date(as_of)
    last = backend.execute(tables["orders"].ordered_at.max())
    if last is None or last != last:
        raise NotFoundError("no orders in the workspace: import orders or pass --as-of")
    return _as_date(str(last))


def shift_days(day: dt.date, days: int) -> dt.date:
    """``day`` moved by ``days`` (negative = earlier)."""
    if abs(days) > 365 * 100:
        raise InputError(f"date shift of {days} days is out of range", value=days)
    return day + dt.timedelta(days=days)
