"""Churn of subscription businesses: customers and recurring revenue lost per month.

When a subscription counts as lost is the ``lost_at`` setting:

- ``"cancellation"``: at ``canceled_at``, the moment the customer cancels (a subscription that
  ended without a recorded cancellation, e.g. after failed payments, is lost at ``ended_at``);
- ``"period_end"``: when service stops, at ``ended_at``; a cancelled subscription without
  ``ended_at`` runs until the end of its paid period, ``current_period_end`` (``canceled_at``
  when that is empty too).

A loss after ``as_of`` has not happened yet. A subscription is *active* at instant ``t`` when
``started_at <= t < lost moment``; a customer is active when one of their subscriptions is. Per
calendar month (the month holding ``as_of`` counts up to the end of that day):

- ``customers_at_start``: customers active at the first instant of the month;
- ``lost``: of those, the customers with no active subscription at the end of the month (a
  customer who cancels one subscription but keeps another is not lost; one who cancels and
  subscribes again within the month is not lost either);
- ``churn_rate = lost / customers_at_start`` (a share, so never above 1) and
  ``implied_lifetime_months = 1 / churn_rate`` (2 % a month is about 50 months);
- revenue churn (gross, no expansion: the table holds one ``mrr`` per subscription):
  ``mrr_at_start`` = MRR of the subscriptions active at the start of the month,
  ``mrr_lost`` = MRR of those not active at its end (lost subscriptions of kept customers too),
  ``revenue_churn_rate = mrr_lost / mrr_at_start``.

The first month reported is the one after the first subscription started. Months with nobody at
the start have empty rates.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from loyalist.metrics.periods import AsOf, check_choice, end_of, period_index, period_start

LostAt = Literal["cancellation", "period_end"]
LOST_AT: tuple[str, ...] = ("cancellation", "period_end")


def loss_moment(subscriptions: ir.Table, lost_at: LostAt) -> ir.TimestampValue:
    """When each subscription is lost under the ``lost_at`` rule (empty while it runs)."""
    check_choice("lost_at", lost_at, LOST_AT)
    s = subscriptions
    if lost_at == "cancellation":
        return ibis.coalesce(s.canceled_at, s.ended_at)
    paid_until = ibis.coalesce(s.current_period_end, s.canceled_at)
    return ibis.coalesce(s.ended_at, ibis.ifelse(s.canceled_at.notnull(), paid_until,
                                                 ibis.null("timestamp")))


def spans(subscriptions: ir.Table, *, as_of: AsOf, lost_at: LostAt) -> ir.Table:
    """``(customer_id, mrr, started_at, stop)``: ``stop`` = loss moment if before ``as_of`` ends."""
    s = subscriptions
    moment = loss_moment(s, lost_at)
    cutoff = end_of(as_of)
    return s.filter(s.started_at < cutoff).select(
        "customer_id", mrr=s.mrr.cast("float64").fill_null(0.0), started_at=s.started_at,
        stop=ibis.ifelse(moment < cutoff, moment, ibis.null("timestamp")))


def windows(first: ir.TimestampValue, *, as_of: AsOf, months: int) -> ir.Table:
    """Windows of ``months`` calendar months ending with the month of ``as_of``, newest first.

    Columns ``start`` and ``end`` (exclusive, at most the end of the ``as_of`` day) as
    timestamps. Only windows starting after the month of ``first`` are kept.
    """
    cutoff = end_of(as_of)
    last = period_index(cutoff - ibis.interval(days=1), "month")
    bounds = ibis.memtable({"_": [0]}).select(lo=period_index(first, "month").as_scalar() + 1,
                                              hi=last - (months - 1))
    idx = bounds.select(s=ibis.range(bounds.hi, bounds.lo - 1, -months).unnest())
    start = period_start(idx.s, "month").cast("timestamp")
    end = period_start(idx.s + months, "month").cast("timestamp")
    return idx.select(start=start, end=ibis.least(end, cutoff))


def _active(x: ir.Table, at: ir.TimestampValue) -> ir.BooleanValue:
    return (x.started_at <= at) & (x.stop.isnull() | (x.stop > at))


def _rate(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"),
                       ibis.null("float64"))


def _ceil_month(t: ir.TimestampValue) -> ir.IntegerValue:
    """Month number of the first month start at or after ``t``."""
    m = period_index(t, "month")
    return m + ibis.ifelse(t == period_start(m, "month").cast("timestamp"), 0, 1)


def _boundaries(sp: ir.Table, w: ir.Table, months: int) -> ir.Table:
    """Spans with the range ``[lo, hi]`` of window boundaries they are active at.

    Boundary ``k`` (``k = 0 .. n - 1``, oldest first) is the start of window ``k``; boundary
    ``n`` is the end of the last window (the end of the ``as_of`` day). A span is active at a
    boundary ``B`` when ``started_at <= B < stop``; a span that is not lost by ``as_of`` (no
    ``stop``) is active at every boundary from its first one, ``n`` included. Integer month
    arithmetic, so no span is joined to the windows.
    """
    x = sp.cross_join(window_bounds(w))  # one row of bounds
    lo = (ibis.greatest(_ceil_month(x.started_at) - x.base, 0) + months - 1) // months
    last = _ceil_month(x.stop) - 1 - x.base  # last month start before stop
    hi = ibis.ifelse(x.stop.isnull(), x.n,
                     ibis.ifelse(last < 0, -1, ibis.least(x.n - 1, last // months)))
    x = x.select("customer_id", "mrr", "n", lo=lo.cast("int64"), hi=hi.cast("int64"))
    return x.filter(x.lo <= x.hi)


def _islands(x: ir.Table) -> ir.Table:
    """A customer's spans merged where their boundary ranges overlap or touch: ``(lo, hi)``.

    A customer is active at exactly the boundaries of their islands, so counting islands counts
    customers.
    """
    upto = ibis.window(group_by=x.customer_id, order_by=[x.lo, x.hi], preceding=None,
                       following=0)
    y = x.mutate(reach=x.hi.max().over(upto))
    before = y.reach.lag().over(group_by=y.customer_id, order_by=[y.lo, y.hi])
    y = y.mutate(new=ibis.ifelse(before.isnull() | (y.lo > before + 1), 1, 0))
    y = y.mutate(island=y.new.sum().over(ibis.window(group_by=y.customer_id,
                                                     order_by=[y.lo, y.hi], preceding=None,
                                                     following=0)))
    return y.group_by(["customer_id", "island"]).aggregate(lo=y.lo.min(), hi=y.hi.max(),
                                                          n=y.n.max())


def boundary_changes(x: ir.Table, value: ir.NumericValue, name: str, lost: str,
                     gone: ir.BooleanValue | None = None) -> ir.Table:
    """``(k, name, lost)`` from ranges ``[lo, hi]`` of window boundaries ``k``.

    ``name`` is the change at boundary ``k`` of the sum of ``value`` over the ranges active at
    it (+value at ``lo``, -value after ``hi``; :func:`window_levels` sums them up); ``lost`` is
    the sum over the ranges whose last boundary is ``k`` and that are lost before the next one:
    where ``gone`` holds (default: ``hi < n``, i.e. not still active at the end).
    """
    kind = "float64" if value.type().is_floating() else "int64"
    x = x.mutate(v=value.cast(kind), gone_=x.hi < x.n if gone is None else gone)
    zero = ibis.literal(0).cast(kind)
    starts = x.group_by(k=x.lo).aggregate(d=x.v.sum().cast(kind), g=zero)
    ends = x.group_by(k=x.hi + 1).aggregate(d=(-x.v.sum()).cast(kind), g=zero)
    gone = x.filter(x.gone_)
    gone = gone.group_by(k=gone.hi).aggregate(d=zero, g=gone.v.sum().cast(kind))
    every = starts.union(ends).union(gone)
    return every.group_by("k").aggregate(**{name: every.d.sum(), lost: every.g.sum()})


def window_bounds(w: ir.Table) -> ir.Table:
    """One row: ``base`` (month number of the first window's start) and ``n`` (windows)."""
    return w.aggregate(base=period_index(w.start.min(), "month"), n=w.count())


def window_levels(w: ir.Table, months: int, changes: list[ir.Table],
                  levels: list[str]) -> ir.Table:
    """The windows ``w`` with the columns of every :func:`boundary_changes` table, the
    ``levels`` among them summed up over the windows (running sums in time order).
    """  # noqa: D205
    base = w.aggregate(base=period_index(w.start.min(), "month"))
    wk = w.cross_join(base)
    out = wk.select("start", "end",
                    k=(period_index(wk.start, "month") - wk.base) // months).view()
    for table in changes:
        # views: the tables share their ancestors, and a join needs distinct relations
        part = table.view()
        cols = [c for c in part.columns if c != "k"]
        out = out.left_join(part, out.k == part.k).select(
            *[out[c] for c in out.columns], *[part[c] for c in cols]).view()
    running = ibis.window(order_by=out.k, preceding=None, following=0)
    filled = {c: out[c].fill_null(0) for c in out.columns if c not in ("start", "end", "k")}
    return out.select("start", "end", **{
        c: (v.sum().over(running) if c in levels else v) for c, v in filled.items()})


def window_churn(subscriptions: ir.Table, *, as_of: AsOf, lost_at: LostAt = "cancellation",
                 months: int = 1) -> ir.Table:
    """Customers and MRR at the start of each window of ``months`` months, and lost in it.

    The building block of :func:`subscription_churn` (``months=1``) and of the six-month
    variant (``months=6``). Columns ``start``, ``end``, ``customers_at_start``, ``lost``,
    ``mrr_at_start``, ``mrr_lost``. A customer active at a window's start is lost in it when
    none of their subscriptions is active at its end; MRR is counted per subscription.
    """
    sp = spans(subscriptions, as_of=as_of, lost_at=lost_at)
    w = windows(sp.started_at.min(), as_of=as_of, months=months)
    x = _boundaries(sp, w, months)
    people = boundary_changes(_islands(x), ibis.literal(1), "customers_at_start", "lost")
    money = boundary_changes(x, x.mrr, "mrr_at_start", "mrr_lost")
    out = window_levels(w, months, [people, money], ["customers_at_start", "mrr_at_start"])
    return out.select("start", "end",
                      customers_at_start=out.customers_at_start.cast("int64"),
                      lost=out.lost.cast("int64"),
                      mrr_at_start=out.mrr_at_start.cast("float64"),
                      mrr_lost=out.mrr_lost.cast("float64"))


def subscription_churn(subscriptions: ir.Table, *, as_of: AsOf,
                       lost_at: LostAt = "cancellation") -> ir.Table:
    """Monthly customer churn and revenue churn of subscriptions, up to ``as_of``.

    ``churn_rate = lost / customers_at_start``, ``implied_lifetime_months = 1 / churn_rate``,
    ``revenue_churn_rate = mrr_lost / mrr_at_start``; ``lost_at`` is ``"cancellation"`` or
    ``"period_end"`` (see the module docstring for both rules).

    Examples
    --------
    >>> import datetime as dt, ibis
    >>> s = ibis.memtable({"subscription_id": ["1", "2"], "customer_id": ["a", "b"],
    ...     "started_at": ["2024-01-10", "2024-01-15"], "canceled_at": ["2024-02-05", None],
    ...     "current_period_end": ["2024-03-10", "2024-03-15"], "ended_at": [None, None],
    ...     "mrr": [10.0, 30.0]})
    >>> s = s.mutate(**{c: s[c].cast("timestamp") for c in s.columns if c.endswith("_at")
    ...                 or c.endswith("_end")})
    >>> out = ibis.duckdb.connect().execute(subscription_churn(s, as_of=dt.date(2024, 2, 29)))
    >>> out[["customers_at_start", "lost", "churn_rate", "revenue_churn_rate"]].to_dict("records")
    [{'customers_at_start': 2, 'lost': 1, 'churn_rate': 0.5, 'revenue_churn_rate': 0.25}]
    """
    w = window_churn(subscriptions, as_of=as_of, lost_at=lost_at, months=1)
    rate = _rate(w.lost, w.customers_at_start)
    return w.select(
        month=w.start.date(), customers_at_start=w.customers_at_start, lost=w.lost,
        churn_rate=rate,
        implied_lifetime_months=ibis.ifelse(rate > 0, 1.0 / rate, ibis.null("float64")),
        mrr_at_start=w.mrr_at_start, mrr_lost=w.mrr_lost,
        revenue_churn_rate=_rate(w.mrr_lost, w.mrr_at_start),
    ).order_by("month")


def revenue_churn(subscriptions: ir.Table, *, as_of: AsOf,
                  lost_at: LostAt = "cancellation") -> ir.Table:
    """Monthly gross revenue churn: ``revenue_churn_rate = mrr_lost / mrr_at_start``.

    The revenue columns of :func:`subscription_churn` (same ``lost_at`` rules).
    """
    out = subscription_churn(subscriptions, as_of=as_of, lost_at=lost_at)
    return out.select("month", "mrr_at_start", "mrr_lost", "revenue_churn_rate")
