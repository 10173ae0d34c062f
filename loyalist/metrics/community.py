"""Community health per day, ISO week or month: active members, response time, satisfaction.

Sources: the canonical ``community_activity`` table (posts, questions, answers and shares, with
the time to first response of each question and an optional 1-5 satisfaction rating) and, when
given, product ``events`` whose ``event_type`` starts with ``community_`` (e.g. a forum visit
tracked as ``community_view``). Per period (named by its first day):

- ``active_members``: distinct customers with a community activity or a ``community_*`` event in
  it (so per day with ``period="day"``, per month with ``"month"``);
- ``posts``, ``questions``, ``answers``, ``shares``: activity rows by ``kind``;
- ``median_response_minutes``: median of ``response_minutes`` over the questions asked in the
  period that got a response (the middle value, or the mean of the two middle values);
  ``unanswered_questions`` counts questions without one;
- ``satisfaction_n``, ``satisfaction_mean`` and ``satisfied_share`` (ratings of 4 or 5 over all
  ratings) over the activity rows rated in the period.

Periods without activity are absent.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loyalist.metrics.buckets import Period, bucket_start


def _active(activity: ir.Table, events: ir.Table | None, period: str) -> ir.Table:
    who = activity.select("customer_id", "occurred_at")
    if events is not None:
        ev = events.filter(events.event_type.startswith("community_"))
        who = who.union(ev.select("customer_id", "occurred_at"))
    who = who.filter(who.customer_id.notnull())
    who = who.select("customer_id", period=bucket_start(who.occurred_at, period))
    return who.group_by("period").aggregate(active_members=who.customer_id.nunique())


def _median_response(activity: ir.Table, period: str) -> ir.Table:
    q = activity.filter(activity.kind == "question", activity.response_minutes.notnull())
    q = q.select("activity_id", period=bucket_start(q.occurred_at, period),
                 v=q.response_minutes.cast("float64"))
    q = q.mutate(rn=ibis.row_number().over(group_by=q.period, order_by=[q.v, q.activity_id]),
                 n=q.activity_id.count().over(group_by=q.period))
    mid = q.filter((q.rn == (q.n - 1) // 2) | (q.rn == q.n // 2))
    return mid.group_by("period").aggregate(median_response_minutes=mid.v.mean())


def community(activity: ir.Table, *, period: Period = "month",
              events: ir.Table | None = None) -> ir.Table:
    """Per period: active members, activity by kind, median first response, satisfaction.

    Parameters
    ----------
    activity
        Canonical ``community_activity``.
    period
        ``"day"``, ``"week"`` (ISO, from Monday) or ``"month"``.
    events
        Canonical ``events``; its ``community_*`` events count towards active members.

    Returns
    -------
    ir.Table
        ``period``, ``active_members``, ``posts``, ``questions``, ``answers``, ``shares``,
        ``unanswered_questions``, ``satisfaction_n``, ``median_response_minutes``,
        ``satisfaction_mean``, ``satisfied_share``, ordered by period.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> a = ibis.memtable(pd.DataFrame({"activity_id": list("1234"), "customer_id": list("aabc"),
    ...     "occurred_at": pd.to_datetime(["2024-05-01", "2024-05-02", "2024-05-02", "2024-05-20"]),
    ...     "kind": ["question", "question", "answer", "question"],
    ...     "response_minutes": [30.0, 90.0, None, 45.0], "satisfaction": [5, None, 3, None]}))
    >>> out = ibis.duckdb.connect().execute(community(a))
    >>> out[["active_members", "questions", "median_response_minutes", "satisfied_share"]
    ...     ].iloc[0].tolist()
    [3.0, 3.0, 45.0, 0.5]
    """
    a = activity.mutate(period=bucket_start(activity.occurred_at, period))
    kind = a.kind

    def count(name: str) -> ir.IntegerScalar:
        return ibis.ifelse(kind == name, 1, 0).sum()

    rated = a.satisfaction.notnull()
    per = a.group_by("period").aggregate(
        posts=count("post"), questions=count("question"), answers=count("answer"),
        shares=count("share"),
        unanswered_questions=ibis.ifelse((kind == "question") & a.response_minutes.isnull(),
                                         1, 0).sum(),
        satisfaction_n=ibis.ifelse(rated, 1, 0).sum(),
        satisfaction_mean=a.satisfaction.cast("float64").mean(where=rated),
        satisfied=ibis.ifelse(rated & (a.satisfaction >= 4), 1, 0).sum())
    out = _active(activity, events, period)
    out = out.left_join(per, "period").drop("period_right")
    out = out.left_join(_median_response(activity, period), "period").drop("period_right")
    zero = {c: out[c].fill_null(0) for c in ("posts", "questions", "answers", "shares",
                                             "unanswered_questions", "satisfaction_n")}
    share = ibis.ifelse(zero["satisfaction_n"] > 0,
                        out.satisfied.cast("float64") / zero["satisfaction_n"].cast("float64"),
                        ibis.null("float64"))
    return out.select("period", "active_members", **zero,
                      median_response_minutes=out.median_response_minutes,
                      satisfaction_mean=out.satisfaction_mean,
                      satisfied_share=share).order_by("period")


__all__ = ["community"]
