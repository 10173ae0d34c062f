"""Cohort retention by first-purchase period, with named variants, segments and brackets.

A customer's cohort is the period (``"day"``, ``"week"`` = ISO week from Monday, or ``"month"``)
of their first order (full history; guest orders excluded). Period ``n`` of a cohort is the
period ``n`` periods after the cohort's (integer period indexes, the same on every engine, see
:mod:`loyalist.metrics.periods`). Variants:

- ``"on"``: customers of the cohort with an order *in* period ``n``;
- ``"on_or_after"``: customers with an order in period ``n`` *or any later period* (up to the last
  period with data), i.e. not yet lost by period ``n``.

``rate = customers / cohort size`` (period 0 is always 1).

Bracket windows (``brackets=[(0, 0), (1, 3), (4, 12)]``): ``customers`` counts the cohort's
customers active (under the variant) in *at least one* period ``n`` with ``from <= n <= to``;
the row has ``period = from`` and ``period_to = to``. A bracket that reaches past the last period
with data counts the periods seen so far.

``by`` splits every cohort by a column of ``customers`` (joined on ``customer_id``; acquisition
channel, onboarding path, plan or any other), adding a ``segment`` column; a customer missing from
``customers`` has an empty segment.

Revenue retention (:func:`revenue_retention`) per cohort and period ``n``, with ``r_c(n)`` the
revenue of customer ``c`` in period ``n``:

- ``nrr = sum_c r_c(n) / sum_c r_c(0)`` (net revenue retention: expansion counts, can exceed 1);
- ``grr = sum_c min(r_c(n), r_c(0)) / sum_c r_c(0)`` (gross revenue retention: each customer
  capped at their period-0 revenue, so only contraction and loss show; never above 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import stored_customer_months
from loyalist.errors import InputError
from loyalist.metrics.activity import customer_periods
from loyalist.metrics.churn_subscriptions import loss_moment
from loyalist.metrics.periods import (
    PERIODS,
    AsOf,
    Period,
    check_choice,
    end_of,
    period_index,
    period_start,
)

Variant = Literal["on", "on_or_after"]


def _activity(orders: ir.Table, period: str) -> ir.Table:
    """Distinct ``(customer_id, p, cohort_p)``: the periods identified customers ordered in,
    with the first of them.

    Months of a workspace come from its stored customer months. Otherwise one pass over each
    customer's orders in time order (ties fall in the same period, so they need no
    tiebreaker): the first order of each period stands for it, no separate distinct.
    """  # noqa: D205
    if period == "month" and stored_customer_months(orders) is not None:
        active = customer_periods(orders, period)
        return active.select("customer_id", "p", cohort_p=active.first_p)
    known = orders.filter(orders.customer_id.notnull())
    o = known.select("customer_id", "ordered_at", p=period_index(known.ordered_at, period))
    w = ibis.window(group_by=o.customer_id, order_by=o.ordered_at)
    o = o.mutate(prev=o.p.lag().over(w), cohort_p=o.p.first().over(w))
    return o.filter(o.prev.isnull() | (o.prev != o.p)).select("customer_id", "p", "cohort_p")


def _cohorts(active: ir.Table, customers: ir.Table | None, by: str | None) -> ir.Table:
    """``(customer_id, cohort_p[, segment])``, one row per customer."""
    first = active.filter(active.p == active.cohort_p).select("customer_id", "cohort_p")
    if by is None:
        return first
    if customers is None:
        raise InputError("by needs the customers table", option="by", value=by)
    if by not in customers.columns or by == "customer_id":
        raise InputError(f"by must be a column of customers ({', '.join(customers.columns[1:])})"
                         f"; got {by!r}", option="by", value=by)
    seg = customers.select("customer_id", segment=customers[by])
    return first.left_join(seg, "customer_id").drop("customer_id_right")


def _on_or_after(joined: ir.Table, keys: list[str]) -> ir.Table:
    """Each customer counted in every period from the cohort's to their last active one."""
    last = joined.group_by(["customer_id", *keys]).aggregate(last_p=joined.p.max())
    seen = joined.select("p").distinct()
    x = last.cross_join(seen)
    return x.filter((x.p >= x.cohort_p) & (x.p <= x.last_p)).select("customer_id", "p", *keys)


def _brackets(periods: ir.Table, brackets: Sequence[tuple[int, int]]) -> ir.Table:
    for lo, hi in brackets:
        if not 0 <= lo <= hi:
            raise InputError(f"brackets must be (from, to) with 0 <= from <= to; got {(lo, hi)}",
                             option="brackets", value=f"{lo}-{hi}")
    b = ibis.memtable({"b_lo": [int(lo) for lo, _ in brackets],
                       "b_hi": [int(hi) for _, hi in brackets]})
    x = periods.cross_join(b)
    x = x.filter((x.period >= x.b_lo) & (x.period <= x.b_hi))
    return x.mutate(period=x.b_lo, period_to=x.b_hi).drop("b_lo", "b_hi")


def cohort_retention(orders: ir.Table, *, variant: Variant = "on", period: Period = "month",
                     customers: ir.Table | None = None, by: str | None = None,
                     brackets: Sequence[tuple[int, int]] | None = None) -> ir.Table:
    """Per cohort (and ``segment`` with ``by``) and period: ``cohort_size``, ``customers``, ``rate``.

    ``cohort`` is the first day of the cohort's period; with ``brackets`` each row is a bracket
    (``period`` = its first period, ``period_to`` its last). See the module docstring for the
    variants ``"on"`` and ``"on_or_after"``, the periods, brackets and segments.

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "b", "c"],
    ...     "ordered_at": ["2024-01-05", "2024-03-01", "2024-01-20", "2024-02-02"]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(cohort_retention(o, variant="on"))
    >>> out[["cohort", "period", "customers", "rate"]].astype(str).values.tolist()[:3]
    [['2024-01-01', '0', '2', '1.0'], ['2024-01-01', '2', '1', '0.5'], ['2024-02-01', '0', '1', '1.0']]
    """  # noqa: E501
    check_choice("variant", variant, ("on", "on_or_after"))
    check_choice("period", period, PERIODS)
    active = _activity(orders, period)
    first = _cohorts(active, customers, by)
    keys = ["cohort_p"] if by is None else ["cohort_p", "segment"]
    if by is None:
        joined = active
    else:
        seg = first.select("customer_id", "segment")
        joined = active.join(seg, "customer_id").select("customer_id", "p", *keys)
    if variant == "on_or_after":
        joined = _on_or_after(joined, keys)
    periods = joined.mutate(period=joined.p - joined.cohort_p)
    extra = []
    if brackets is not None:
        periods, extra = _brackets(periods, brackets), ["period_to"]
    # one row per customer and period, so without brackets counting rows counts customers
    customers = periods.count() if brackets is None else periods.customer_id.nunique()
    counts = periods.group_by([*keys, "period", *extra]).aggregate(customers=customers)
    sizes = first.group_by(keys).aggregate(cohort_size=first.customer_id.count())
    if by is None:
        out = counts.join(sizes, keys)
    else:  # an empty segment is a segment too: join on equal-or-both-empty
        out = counts.join(sizes, [counts.cohort_p == sizes.cohort_p,
                                  counts.segment.identical_to(sizes.segment)])
        out = out.select(*[counts[c] for c in counts.columns], cohort_size=sizes.cohort_size)
    seg = {"segment": out.segment} if by is not None else {}
    return out.select(
        cohort=period_start(out.cohort_p, period), **seg, period=out.period.cast("int64"),
        **{c: out[c].cast("int64") for c in extra},
        cohort_size=out.cohort_size, customers=out.customers,
        rate=out.customers.cast("float64") / out.cohort_size.cast("float64"),
    ).order_by(["cohort", *seg, "period"])


def _subscription_revenue(subscriptions: ir.Table, *, as_of: AsOf) -> ir.Table:
    """``(customer_id, p, revenue)``: MRR of subscriptions in service at some time in month p."""
    s = subscriptions
    cutoff = end_of(as_of)
    stop = loss_moment(s, "period_end")  # service runs to the end of the paid period
    s = s.filter(s.started_at < cutoff).select(
        "customer_id", mrr=s.mrr.cast("float64").fill_null(0.0),
        lo=period_index(s.started_at, "month"),
        hi=period_index(ibis.least(ibis.coalesce(stop, cutoff), cutoff)
                        - ibis.interval(seconds=1), "month"))
    s = s.filter(s.hi >= s.lo)
    months = s.select(p=ibis.range(s.lo, s.hi + 1).unnest(), customer_id=s.customer_id,
                      mrr=s.mrr)
    return months.group_by(["customer_id", "p"]).aggregate(revenue=months.mrr.sum())


def _order_revenue(orders: ir.Table, period: str) -> ir.Table:
    per = customer_periods(orders, period)
    return per.select("customer_id", "p", "revenue", cohort_p=per.first_p,
                      base=per.first_revenue)


def _with_cohort(per: ir.Table) -> ir.Table:
    """``per`` plus the customer's first period (``cohort_p``) and its revenue (``base``)."""
    w = ibis.window(group_by=per.customer_id, order_by=per.p)  # one sort for both
    return per.mutate(cohort_p=per.p.first().over(w), base=per.revenue.first().over(w))


def _cohort_revenue(r: ir.Table) -> ir.Table:
    """Cohort cells (customers, revenue, ``kept`` = capped at period 0) with cohort totals.

    ``r`` has one row per customer and period with ``cohort_p`` and ``base``, so counting rows
    counts customers.
    """
    r = r.mutate(period=r.p - r.cohort_p)
    cells = r.group_by(["cohort_p", "period"]).aggregate(
        customers=r.count(), revenue=r.revenue.sum(), kept=ibis.least(r.revenue, r.base).sum())
    # period 0 holds every customer of the cohort with their whole base revenue
    sizes = cells.filter(cells.period == 0).select(
        "cohort_p", cohort_size=cells.customers, cohort_revenue=cells.revenue)
    return cells.join(sizes, "cohort_p")


def revenue_retention(revenue: ir.Table, *, period: Period = "month",
                      as_of: AsOf | None = None) -> ir.Table:
    """NRR and GRR per cohort and period (definitions in the module docstring).

    ``revenue`` is either orders (revenue of a customer in a period = the sum of their order
    amounts, before refunds; guest orders excluded) or subscriptions, recognised by their ``mrr``
    column (revenue in a month = the MRR of each subscription in service at some time in it,
    from ``started_at`` to the end of its paid period; ``period`` must then be ``"month"`` and
    ``as_of`` is required: months after it are left out). The cohort is the first period with
    revenue. Columns: ``cohort``, ``period``, ``cohort_size``, ``customers`` (with revenue in the
    period), ``revenue``, ``cohort_revenue`` (period 0), ``nrr``, ``grr``.

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "b", "a", "b"],
    ...     "ordered_at": ["2024-01-05", "2024-01-20", "2024-02-01", "2024-02-02"],
    ...     "amount": [10.0, 10.0, 30.0, 5.0]})
    >>> o = o.mutate(ordered_at=o.ordered_at.cast("timestamp"))
    >>> out = ibis.duckdb.connect().execute(revenue_retention(o))
    >>> out[["period", "revenue", "nrr", "grr"]].to_dict("records")[1]
    {'period': 1, 'revenue': 35.0, 'nrr': 1.75, 'grr': 0.75}
    """
    check_choice("period", period, PERIODS)
    if "mrr" in revenue.columns:
        if period != "month" or as_of is None:
            raise InputError("revenue retention of subscriptions needs period='month' and "
                             "as_of", option="period", value=period)
        per = _with_cohort(_subscription_revenue(revenue, as_of=as_of))
    else:
        per = _order_revenue(revenue, period)
    out = _cohort_revenue(per)

    def share(x: ir.FloatingValue) -> ir.FloatingValue:
        return ibis.ifelse(out.cohort_revenue > 0, x / out.cohort_revenue, ibis.null("float64"))

    return out.select(
        cohort=period_start(out.cohort_p, period), period=out.period.cast("int64"),
        cohort_size=out.cohort_size, customers=out.customers, revenue=out.revenue,
        cohort_revenue=out.cohort_revenue, nrr=share(out.revenue), grr=share(out.kept),
    ).order_by(["cohort", "period"])
