"""Referral percentage: the share of new customers won by referral, three ways.

New customers of a period are the customers whose ``signup_at`` falls in it (for customers derived
from orders, ``signup_at`` is the first order; customers without ``signup_at`` are left out).
Per period (day, ISO week or calendar month, named by its first day), three named variants:

- ``survey``: from the "how did you hear about us" answers (``survey_responses`` rows with
  ``question = 'heard_about'``; the answer is the mapped acquisition channel). Each new
  customer's latest non-empty answer counts once.
  ``survey_share = survey_referral / survey_answered``: new customers who answered ``referral``
  over new customers who answered at all (customers who never answered are not in the
  denominator, as skipped NPS answers are not).
- ``records``: from the ``referrals`` table. ``records_share = referred_customers /
  new_customers``, where ``referred_customers`` counts the new customers of the period that are the
  ``referred_id`` of a referral with a ``converted_at`` (several referrals of one person count
  once; the period is the referred customer's sign-up, so the share stays within 0-1).
- ``residual``: the estimate for shops that track neither. ``residual_share = not_attributed /
  new_customers``, where ``not_attributed`` counts new customers whose ``acquisition_channel`` is
  none of the attributed channels (default ads, social, search and email; compared without case;
  an empty channel is not attributed). It is an upper bound on referrals: word of mouth plus
  everything else nobody tracked.

A share is empty (null) when its denominator is 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from loyalist.metrics.buckets import Period, bucket_start

ATTRIBUTED_CHANNELS: tuple[str, ...] = ("ads", "social", "search", "email")


def _ratio(num: ir.IntegerValue, den: ir.IntegerValue) -> ir.FloatingValue:
    return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null("float64"))


def _new_customers(customers: ir.Table, period: str,
                   attributed: Sequence[str]) -> ir.Table:
    c = customers.filter(customers.signup_at.notnull())
    channel = c.acquisition_channel.lower().strip()
    known = channel.isin([a.lower() for a in attributed]).fill_null(False)
    return c.select("customer_id", period=bucket_start(c.signup_at, period),
                    not_attributed=ibis.ifelse(known, 0, 1))


def _survey(responses: ir.Table, new: ir.Table, answers: Sequence[str]) -> ir.Table:
    r = responses.filter(responses.question == "heard_about", responses.answer.notnull(),
                         responses.customer_id.notnull())
    latest = ibis.row_number().over(group_by=r.customer_id,
                                    order_by=[ibis.desc(r.answered_at), ibis.desc(r.response_id)])
    r = r.mutate(rn=latest)
    r = r.filter(r.rn == 0)
    hit = ibis.ifelse(r.answer.lower().strip().isin([a.lower() for a in answers]), 1, 0)
    one = r.select("customer_id", referral=hit)
    j = new.join(one, "customer_id").select("period", "referral")
    return j.group_by("period").aggregate(survey_answered=j.count(),
                                          survey_referral=j.referral.sum())


def _records(referrals: ir.Table, new: ir.Table) -> ir.Table:
    r = referrals.filter(referrals.converted_at.notnull(), referrals.referred_id.notnull())
    referred = r.select(customer_id=r.referred_id).distinct()
    j = new.semi_join(referred, "customer_id")
    return j.group_by("period").aggregate(referred_customers=j.count())


def referral_share(survey_responses: ir.Table, referrals: ir.Table, customers: ir.Table, *,
                   period: Period = "month",
                   attributed_channels: Sequence[str] = ATTRIBUTED_CHANNELS,
                   referral_answers: Sequence[str] = ("referral",)) -> ir.Table:
    """Per period: new customers and the referral share by survey, records and residual.

    Parameters
    ----------
    survey_responses, referrals, customers
        Canonical tables (``customers`` with derived customers, as
        :func:`loyalist.data.views.tables` gives it).
    period
        ``"day"``, ``"week"`` (ISO, from Monday) or ``"month"``; sign-ups are bucketed by it.
    attributed_channels
        Acquisition channels that count as attributed for the ``residual`` variant.
    referral_answers
        ``heard_about`` answers that mean "referred" for the ``survey`` variant.

    Returns
    -------
    ir.Table
        ``period``, ``new_customers``, ``survey_answered``, ``survey_referral``,
        ``survey_share``, ``referred_customers``, ``records_share``, ``not_attributed``,
        ``residual_share``, ordered by period.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> c = ibis.memtable(pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
    ...     "signup_at": pd.to_datetime(["2024-01-03", "2024-01-09", "2024-01-20", "2024-02-01"]),
    ...     "acquisition_channel": ["ads", "referral", None, "email"]}))
    >>> s = ibis.memtable(pd.DataFrame({"response_id": ["1", "2"], "customer_id": ["b", "c"],
    ...     "question": ["heard_about"] * 2, "answer": ["referral", "search"],
    ...     "answered_at": pd.to_datetime(["2024-01-10", "2024-01-21"])}))
    >>> r = ibis.memtable(pd.DataFrame({"referred_id": ["b"],
    ...     "converted_at": pd.to_datetime(["2024-01-09"])}))
    >>> out = ibis.duckdb.connect().execute(referral_share(s, r, c))
    >>> cols = ["new_customers", "survey_share", "records_share", "residual_share"]
    >>> out.loc[0, cols].astype(float).round(4).tolist()
    [3.0, 0.5, 0.3333, 0.6667]
    """
    new = _new_customers(customers, period, attributed_channels)
    base = new.group_by("period").aggregate(new_customers=new.count(),
                                            not_attributed=new.not_attributed.sum())
    out = base.left_join(_survey(survey_responses, new, referral_answers), "period") \
        .drop("period_right")
    out = out.left_join(_records(referrals, new), "period").drop("period_right")
    answered = out.survey_answered.fill_null(0)
    referral = out.survey_referral.fill_null(0)
    referred = out.referred_customers.fill_null(0)
    return out.select(
        "period", "new_customers", survey_answered=answered, survey_referral=referral,
        survey_share=_ratio(referral, answered), referred_customers=referred,
        records_share=_ratio(referred, out.new_customers), not_attributed=out.not_attributed,
        residual_share=_ratio(out.not_attributed, out.new_customers),
    ).order_by("period")


__all__ = ["ATTRIBUTED_CHANNELS", "referral_share"]
