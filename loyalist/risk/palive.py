"""The ``p_alive_drop`` signal: how far a customer's P(alive) fell over the last 90 days.

One BG/NBD model (:mod:`loyalist.clv`) is fitted on the orders up to ``as_of``; P(alive) is then
evaluated twice with those parameters, from each customer's summary (frequency, recency, T) at
``as_of - days`` and at ``as_of``. The signal is ``max(P(alive) then - P(alive) now, 0)``: 0 when
P(alive) did not fall, null for customers without an order by ``as_of - days`` (no P(alive)
then) and for everyone when there are too few orders to fit the model.

The model runs in numpy, so the signal is computed once into a small table
``(customer_id, p_alive_drop)`` that :func:`loyalist.risk.signals.risk_signals` joins in
(``p_alive=``); :func:`p_alive_source` gives the table for any date, as the trend needs.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from loyalist.clv.workflow import MODELS
from loyalist.errors import InputError
from loyalist.segments.dates import as_date

PAliveSource = Callable[[dt.date], ir.Table | None]
"""The ``p_alive_drop`` table for a date, or ``None`` when the model cannot be fitted."""

MIN_REPEAT_CUSTOMERS = 10
FIT_SAMPLE = 10_000


def summaries(orders: ir.Table, *, as_of: dt.date, days: int = 90) -> ir.Table:
    """Both summaries in one pass: ``first``, and ``n``/``last`` at ``as_of`` and ``days`` before.

    Purchase days as in :func:`loyalist.clv.summary.rfm_summary` (orders of identified customers,
    one purchase per customer and day); ``n_then`` is 0 for customers who first bought later.
    """
    then = as_of - dt.timedelta(days=days)
    known = orders.filter(orders.customer_id.notnull())
    p = known.select(customer_id=known.customer_id.cast("string"), day=known.ordered_at.date())
    p = p.filter(p.day <= ibis.literal(as_of)).distinct()
    before = p.day <= ibis.literal(then)
    return p.group_by("customer_id").aggregate(
        first=p.day.min(), n_now=p.count(), last_now=p.day.max(),
        n_then=p.count(where=before), last_then=p.day.max(where=before))


def _column(frame: pa.Table, name: str, dtype: Any) -> np.ndarray:
    return np.asarray(frame.column(name).to_numpy(), dtype=dtype)


def _frx(frame: pa.Table, n: str, last: str, end: dt.date) -> tuple[np.ndarray, ...]:
    """(frequency, recency, T) in weeks from counts of purchase days and dates."""
    first = _column(frame, "first", "datetime64[D]")
    x = _column(frame, n, np.float64) - 1.0
    t_x = (_column(frame, last, "datetime64[D]") - first).astype(np.float64) / 7.0
    age = (np.datetime64(end, "D") - first).astype(np.float64) / 7.0
    return x, t_x, age


def p_alive_drop_frame(backend: Any, tables: dict[str, ir.Table], *, as_of: dt.date | str,
                       days: int = 90, model: str = "bgnbd",
                       fit_sample: int = FIT_SAMPLE) -> pa.Table | None:
    """``(customer_id, p_alive_drop)`` per customer who had ordered by ``as_of - days``.

    The model is fitted on the summaries at ``as_of`` of at most ``fit_sample`` customers drawn
    at random (seeded; four parameters are well determined by that many, and the fit stays
    within a second at any size). Returns ``None`` when fewer than
    :data:`MIN_REPEAT_CUSTOMERS` customers bought on two days by ``as_of`` (the model would say
    nothing) or the fit fails.

    Examples
    --------
    >>> orders = ibis.memtable({"customer_id": ["a"], "amount": [5.0],
    ...                         "ordered_at": [dt.datetime(2024, 1, 1)]})
    >>> p_alive_drop_frame(ibis.duckdb.connect(), {"orders": orders}, as_of="2024-06-30") is None
    True
    """
    if model not in MODELS:
        raise InputError(f"unknown model {model!r} (models: {', '.join(MODELS)})", model=model)
    day = as_date(as_of)
    # Arrow, not pandas: a million customer ids stay out of Python objects both ways
    frame = backend.to_pyarrow(summaries(tables["orders"], as_of=day, days=days))
    now = _frx(frame, "n_now", "last_now", day)
    if int((now[0] > 0).sum()) < MIN_REPEAT_CUSTOMERS:
        return None
    had = _column(frame, "n_then", np.int64) > 0
    then = _frx(frame.filter(pa.array(had)), "n_then", "last_then", day - dt.timedelta(days=days))
    rows = np.random.default_rng(0).permutation(frame.num_rows)[:fit_sample]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # optimiser chatter on odd data; checked below
            fitted = MODELS[model]().fit(*(a[rows] for a in now))
            p_now = np.asarray(fitted.conditional_probability_alive(*(a[had] for a in now)))
            p_then = np.asarray(fitted.conditional_probability_alive(*then))
    except (InputError, ValueError, FloatingPointError, np.linalg.LinAlgError):
        return None
    if not (np.isfinite(p_now).all() and np.isfinite(p_then).all()):
        return None
    return pa.table({"customer_id": frame.column("customer_id").filter(pa.array(had)),
                     "p_alive_drop": np.clip(p_then - p_now, 0.0, None)})


def p_alive_table(backend: Any, tables: dict[str, ir.Table], *, as_of: dt.date | str,
                  days: int = 90, model: str = "bgnbd") -> ir.Table | None:
    """:func:`p_alive_drop_frame` as an in-memory Ibis table (``None`` when not fitted)."""
    frame = p_alive_drop_frame(backend, tables, as_of=as_of, days=days, model=model)
    if frame is None:
        return None
    return ibis.memtable(frame, schema={"customer_id": "string", "p_alive_drop": "float64"})


def p_alive_source(backend: Any, tables: dict[str, ir.Table], *, days: int = 90,
                   model: str = "bgnbd") -> PAliveSource:
    """A :data:`PAliveSource` over a workspace's orders (one fit per date asked for)."""
    memo: dict[dt.date, ir.Table | None] = {}

    def source(day: dt.date) -> ir.Table | None:
        if day not in memo:
            memo[day] = p_alive_table(backend, tables, as_of=day, days=days, model=model)
        return memo[day]

    return source
