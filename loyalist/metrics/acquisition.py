"""LTV:CAC and CAC payback per acquisition channel.

For every acquisition channel (customers without one are ``(none)``), as of a day:

- ``customers_acquired``: customers whose ``signup_at`` is on or before ``as_of`` (customers without
  ``signup_at`` cannot be dated and are left out);
- ``spend``: ``marketing_spend.amount`` of the channel over every month up to the one holding
  ``as_of`` (channel names compared as given);
- ``cac = spend / customers_acquired`` (empty without customers);
- ``ltv_revenue_to_date = gross_margin * revenue / customers_acquired``, where ``revenue`` is the
  order amounts of the channel's customers placed up to the end of ``as_of``, net of refunds up to
  then when ``refunds`` is given. It is the value realised so far, not a forecast;
- ``ltv_cac = ltv_revenue_to_date / cac``;
- ``customer_months``: the sum over the channel's customers of ``m(as_of) - m(signup_at) + 1``
  (``m`` = year * 12 + month, so the sign-up month counts as a whole month);
  ``monthly_revenue_per_customer = gross_margin * revenue / customer_months``;
- ``cac_payback_months = cac / monthly_revenue_per_customer``: months of an average customer's
  (margin-weighted) revenue needed to earn back what acquiring them cost.

``gross_margin`` (default 1.0, i.e. revenue) scales revenue to margin for the LTV and payback.

Hook for a model-based CLV: pass ``clv``, a table ``(customer_id, clv)`` from a fitted CLV model
(e.g. BG/NBD with Gamma-Gamma), and two columns are added: ``ltv_model`` (mean ``clv`` over the
channel's customers acquired, missing values as 0) and ``ltv_model_cac = ltv_model / cac``.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import order_days
from loyalist.errors import InputError
from loyalist.metrics.buckets import month_number, month_number_of
from loyalist.segments.dates import as_date, end_of_day


def _div(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    den = den.cast("float64")
    return ibis.ifelse(den > 0, num.cast("float64") / den, ibis.null("float64"))


def _acquired(customers: ir.Table, day: dt.date) -> ir.Table:
    c = customers.filter(customers.signup_at.notnull(), customers.signup_at < end_of_day(day))
    channel = c.acquisition_channel.fill_null("(none)")
    months = month_number_of(day) - month_number(c.signup_at) + 1
    return c.select("customer_id", channel=channel, months=months)


def _revenue(orders: ir.Table, refunds: ir.Table | None, day: dt.date) -> ir.Table:
    d = order_days(orders)
    # each customer's revenue to date on their last order day on or before ``day``
    last = d.filter(d.day <= day, d.next_day.isnull() | (d.next_day > day))
    parts = last.select("customer_id", amount=last.revenue_to_date)
    if refunds is not None:
        r = refunds.filter(refunds.customer_id.notnull(), refunds.refunded_at < end_of_day(day))
        parts = parts.union(r.select("customer_id", amount=-r.amount.cast("float64")))
    return parts.group_by("customer_id").aggregate(revenue=parts.amount.sum())


def _spend(spend: ir.Table, day: dt.date) -> ir.Table:
    s = spend.filter(month_number(spend.month) <= month_number_of(day))
    return s.group_by("channel").aggregate(spend=s.amount.cast("float64").sum())


def ltv_cac(orders: ir.Table, customers: ir.Table, marketing_spend: ir.Table, *,
            as_of: dt.date | str, gross_margin: float = 1.0, refunds: ir.Table | None = None,
            clv: ir.Table | None = None) -> ir.Table:
    """Per acquisition channel: customers, spend, CAC, LTV to date, LTV:CAC, CAC payback.

    Parameters
    ----------
    orders, customers, marketing_spend
        Canonical tables.
    as_of
        Day of the analysis: customers, orders and spend after it are ignored.
    gross_margin
        Share of revenue kept as margin (0-1]; 1.0 uses revenue itself.
    refunds
        Canonical refunds; when given, revenue is net of them.
    clv
        Optional ``(customer_id, clv)`` from a CLV model (the model-based LTV hook).

    Returns
    -------
    ir.Table
        ``channel``, ``customers_acquired``, ``spend``, ``cac``, ``revenue``,
        ``ltv_revenue_to_date``, ``ltv_cac``, ``customer_months``,
        ``monthly_revenue_per_customer``, ``cac_payback_months`` (and ``ltv_model``,
        ``ltv_model_cac`` with ``clv``), one row per channel with customers or spend.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> c = ibis.memtable(pd.DataFrame({"customer_id": ["a", "b"], "acquisition_channel": ["ads"] * 2,
    ...     "signup_at": pd.to_datetime(["2024-01-05", "2024-02-10"])}))
    >>> o = ibis.memtable(pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [30.0, 30.0, 60.0],
    ...     "ordered_at": pd.to_datetime(["2024-01-05", "2024-03-01", "2024-02-10"])}))
    >>> s = ibis.memtable(pd.DataFrame({"channel": ["ads"], "amount": [100.0],
    ...     "month": pd.to_datetime(["2024-01-01"]).date}))
    >>> out = ibis.duckdb.connect().execute(ltv_cac(o, c, s, as_of="2024-03-31"))
    >>> cols = ["cac", "ltv_revenue_to_date", "ltv_cac", "cac_payback_months"]
    >>> out[cols].iloc[0].round(4).tolist()  # 120 revenue over 3 + 2 customer-months
    [50.0, 60.0, 1.2, 2.0833]
    """  # noqa: E501
    day = as_date(as_of)
    if not 0 < gross_margin <= 1:
        raise InputError(f"gross_margin must be in (0, 1], got {gross_margin}")
    acq = _acquired(customers, day)
    rev = acq.left_join(_revenue(orders, refunds, day), "customer_id").drop("customer_id_right")
    per = rev.group_by("channel").aggregate(
        customers_acquired=rev.count(), revenue=rev.revenue.fill_null(0.0).sum(),
        customer_months=rev.months.sum())
    spend = _spend(marketing_spend, day)
    keys = per.select("channel").union(spend.select("channel"))  # union is distinct
    out = keys.left_join(per, "channel").drop("channel_right")
    out = out.left_join(spend, "channel").drop("channel_right")
    n = out.customers_acquired.fill_null(0)
    revenue = out.revenue.fill_null(0.0)
    cac = _div(out.spend.fill_null(0.0), n)
    ltv = _div(revenue * gross_margin, n)
    monthly = _div(revenue * gross_margin, out.customer_months.fill_null(0))
    out = out.select("channel", customers_acquired=n, spend=out.spend.fill_null(0.0), cac=cac,
                     revenue=revenue, ltv_revenue_to_date=ltv, ltv_cac=_div(ltv, cac),
                     customer_months=out.customer_months.fill_null(0),
                     monthly_revenue_per_customer=monthly,
                     cac_payback_months=_div(cac, monthly))
    if clv is not None:
        out = _with_model(out, acq, clv)
    return out.order_by("channel")


def _with_model(out: ir.Table, acq: ir.Table, clv: ir.Table) -> ir.Table:
    j = acq.left_join(clv.select("customer_id", value=clv.clv.cast("float64")), "customer_id")
    model = j.group_by("channel").aggregate(ltv_model=j.value.fill_null(0.0).mean())
    out = out.left_join(model, "channel").drop("channel_right")
    return out.mutate(ltv_model_cac=_div(out.ltv_model, out.cac))


__all__ = ["ltv_cac"]
