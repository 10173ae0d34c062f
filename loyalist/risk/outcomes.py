"""Measured outcomes of tasks per playbook, against similar customers who got no task.

For each task (open or closed) the window is the ``days`` days after the day it was created:

- ``stayed``: the customer ordered in the window (tasks of every state but ``churned``);
- ``came_back``: the customer ordered in the window after having churned (win-back tasks, state
  ``churned``);
- ``referred``: a referral by the customer (``referrals.referrer_id``) made in the window.

Only tasks whose window has ended by ``as_of`` are measured (a window still running would count
customers as lost who may yet order); ``tasks`` counts them all. The baseline is the customers
who entered the same state in the same calendar month as a task of the playbook but got no task
from it then or in the ``days`` before (the playbook runs' state entries: they cooled down or
were left out), measured the same way from the day they entered. Shares are of measured rows;
null when none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from loyalist.segments.dates import as_date

_SUBJECTS = {"playbook": "string", "state": "string", "customer_id": "string", "start": "date",
             "task": "boolean", "sid": "int64"}


def _frame(rows: Iterable[Mapping[str, Any]] | pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows) if not isinstance(rows, pd.DataFrame) else rows)
    return frame.reindex(columns=columns) if not frame.empty else pd.DataFrame(columns=columns)


def subjects(tasks: Iterable[Mapping[str, Any]] | pd.DataFrame,
             entries: Iterable[Mapping[str, Any]] | pd.DataFrame = (), *,
             days: int = 90) -> pd.DataFrame:
    """Tasks and baseline entries as rows ``(playbook, state, customer_id, start, task)``."""
    t = _frame(tasks, ["playbook", "state", "customer_id", "created_on"])
    e = _frame(entries, ["customer_id", "state", "entered_on"])
    t["start"] = pd.to_datetime(t.created_on).dt.date
    e["start"] = pd.to_datetime(e.entered_on).dt.date
    parts = [t.assign(task=True)[["playbook", "state", "customer_id", "start", "task"]]]
    for (playbook, state), mine in t.groupby(["playbook", "state"]):
        months = {(d.year, d.month) for d in mine.start}
        in_month = pd.Series([(d.year, d.month) in months for d in e.start], index=e.index,
                             dtype=bool)
        cand = e[(e.state == state) & in_month]
        if cand.empty:
            continue
        pairs = cand.merge(mine[["customer_id", "start"]], on="customer_id", how="left",
                           suffixes=("", "_task"))
        gap = (pd.to_datetime(pairs.start) - pd.to_datetime(pairs.start_task)).dt.days
        tasked = pairs[gap.between(0, days)][["customer_id", "start"]]
        kept = cand.merge(tasked.drop_duplicates(), how="left", indicator=True)
        kept = kept[kept["_merge"] == "left_only"]
        parts.append(kept.assign(playbook=str(playbook), task=False)[
            ["playbook", "state", "customer_id", "start", "task"]])
    out = pd.concat(parts, ignore_index=True)
    out["customer_id"] = out.customer_id.astype(str)
    return out.assign(sid=range(len(out)))


def _hits(subj: ir.Table, rows: ir.Table, days: int) -> ir.Table:
    """Subject ids with a row of ``(customer_id, day)`` in their window."""
    j = subj.join(rows, subj.customer_id == rows.who)
    return j.filter(j.day > j.start, j.day <= j.start + ibis.interval(days=days)).select(
        "sid").distinct()


def measure_outcomes(tables: dict[str, ir.Table], tasks: Iterable[Mapping[str, Any]]
                     | pd.DataFrame, *, as_of: dt.date | str,
                     entries: Iterable[Mapping[str, Any]] | pd.DataFrame = (),
                     days: int = 90) -> ir.Table:
    """Per playbook: tasks, measured, shares stayed / came back / referred, and the baseline's.

    ``tasks`` and ``entries`` are rows of the ``tasks`` and ``playbook_entries`` tables
    (:func:`loyalist.risk.playbooks.list_tasks`, :func:`~loyalist.risk.playbooks.list_entries`).
    """
    day = as_date(as_of)
    frame = subjects(tasks, entries, days=days)
    subj = ibis.memtable(frame, schema=_SUBJECTS)
    o = tables["orders"]
    orders = o.filter(o.customer_id.notnull()).select(who=o.customer_id.cast("string"),
                                                      day=o.ordered_at.date())
    r = tables["referrals"]
    refs = r.select(who=r.referrer_id.cast("string"), day=r.referred_at.date())
    ordered = _hits(subj, orders, days)
    referred = _hits(subj, refs, days)
    s = subj.mutate(
        ordered=subj.sid.isin(ordered.sid).cast("float64"),
        referred=subj.sid.isin(referred.sid).cast("float64"),
        mature=subj.start + ibis.interval(days=days) <= ibis.literal(day),
        churned=subj.state == "churned")
    aggs: dict[str, Any] = {}
    for prefix, group in (("", s.task), ("baseline_", ~s.task)):
        m = group & s.mature
        aggs[prefix + "measured" if prefix else "measured"] = s.count(where=m)
        aggs[prefix + "stayed"] = s.ordered.mean(where=m & ~s.churned)
        aggs[prefix + "came_back"] = s.ordered.mean(where=m & s.churned)
        aggs[prefix + "referred"] = s.referred.mean(where=m)
    per = s.group_by(["playbook", "state"]).aggregate(
        tasks=s.count(where=s.task), baseline=s.count(where=~s.task), **aggs)
    return per.select("playbook", "state", "tasks", "measured", "stayed", "came_back",
                      "referred", "baseline", "baseline_measured", "baseline_stayed",
                      "baseline_came_back", "baseline_referred").order_by("playbook")
