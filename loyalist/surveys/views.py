"""Survey views over the workspace: NPS over time with its interval, CSAT after support.

Next to NPS, ``rewarded_share`` is the share of the answers that earned a reward: rewards are for
completing a survey whatever the score, and showing the share keeps that visible.

NPS per period: promoters answered 9-10, detractors 0-6, ``n`` counts answered NPS questions
only (skips excluded), ``nps = 100 (promoters - detractors) / n``. The 95 % interval is the
adjusted-Wald interval for a difference of two proportions of one multinomial sample (Sauro &
Lewis, "Quantifying the User Experience", and MeasuringU's note on NPS intervals): add 3/4 of a
promoter and 3/4 of a detractor, ``n' = n + 3``, ``p = (promoters + 0.75) / n'``,
``q = (detractors + 0.75) / n'``, ``d = p - q``, ``se = sqrt((p + q - d^2) / n')``, interval
``100 (d +- 1.96 se)`` clipped to [-100, 100].
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.errors import InputError

Z95 = 1.959963984540054


def _month(ts: ir.TimestampValue) -> ir.DateValue:
    return ibis.date(ts.year(), ts.month(), 1)


def nps_by_period(responses: ir.Table, customers: ir.Table | None = None, *,
                  by: str | None = None) -> ir.Table:
    """Monthly NPS with ``n``, promoters, detractors and the adjusted-Wald 95 % interval.

    ``by`` names a column of ``customers`` (e.g. ``acquisition_channel``, ``segment``) to split
    by; customers without a value fall in ``(none)``.
    """
    r = responses.filter(responses.question == "nps", responses.score.notnull())
    r = r.mutate(month=_month(r.answered_at))
    keys = ["month"]
    if by is not None:
        if customers is None:
            raise InputError("by= needs the customers table")
        c = customers.select("customer_id", group=customers[by].cast("string"))
        r = r.left_join(c, "customer_id").drop("customer_id_right")
        r = r.mutate(group=r.group.fill_null("(none)"))
        keys = ["month", "group"]
    agg = r.group_by(keys).aggregate(
        n=r.count(), promoters=ibis.ifelse(r.score >= 9, 1, 0).sum(),
        detractors=ibis.ifelse(r.score <= 6, 1, 0).sum(),
        rewarded_share=ibis.ifelse(r.rewarded.fill_null(False), 1, 0).cast("float64").mean())
    n = agg.n.cast("float64")
    nps = (agg.promoters - agg.detractors).cast("float64") / n * 100
    n_adj = n + 3
    p = (agg.promoters.cast("float64") + 0.75) / n_adj
    q = (agg.detractors.cast("float64") + 0.75) / n_adj
    d = p - q
    se = ((p + q - d * d) / n_adj).sqrt()
    return agg.mutate(nps=nps, nps_low=ibis.greatest((d - Z95 * se) * 100, -100.0),
                      nps_high=ibis.least((d + Z95 * se) * 100, 100.0)).order_by(keys)


def csat_after_support(responses: ir.Table, tickets: ir.Table) -> ir.Table:
    """Monthly CSAT (share of 4-5 answers) from CSAT surveys and tickets' own CSAT column."""
    s = responses.filter(responses.question == "csat", responses.score.notnull())
    s = s.select(month=_month(s.answered_at), score=s.score.cast("int64"))
    t = tickets.filter(tickets.csat.notnull(), tickets.resolved_at.notnull())
    t = t.select(month=_month(t.resolved_at), score=t.csat.cast("int64"))
    both = s.union(t)
    return both.group_by("month").aggregate(
        n=both.count(), satisfied=ibis.ifelse(both.score >= 4, 1, 0).sum(),
        csat=ibis.ifelse(both.score >= 4, 1, 0).cast("float64").mean(),
    ).order_by("month")


def ces_by_period(responses: ir.Table) -> ir.Table:
    """Monthly Customer Effort Score: mean of answered CES questions (1-7, higher = easier)."""
    r = responses.filter(responses.question == "ces", responses.score.notnull())
    r = r.mutate(month=_month(r.answered_at))
    return r.group_by("month").aggregate(n=r.count(), ces=r.score.cast("float64").mean()) \
        .order_by("month")
