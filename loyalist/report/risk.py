"""Report section: how well the churn-risk score ranked the churn that happened next.

Everyone who had ordered is scored (default spec, with ``p_alive_drop``) as of the last order
minus 90 days; a customer churned when they did not order in the 90 days after. AUC, top-decile
lift and the churn rate per score decile come from :func:`loyalist.risk.backtest.backtest`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.errors import LoyalistError
from loyalist.report.charts import bar_chart
from loyalist.report.html import Section, absent, card
from loyalist.report.sampling import sample_customers
from loyalist.report.tables import table
from loyalist.risk.backtest import Backtest, backtest
from loyalist.risk.palive import p_alive_table
from loyalist.risk.score import score_signals
from loyalist.risk.signals import risk_signals
from loyalist.risk.spec import load_spec

TITLE = "Churn-risk backtest"
HORIZON = 90
MIN_CUSTOMERS = 50
MAX_SCORED = 100_000  # customers scored at most; more are sampled (AUC s.e. ~0.002 at this size)
FILL = ("Needs orders of at least 50 customers before the last 90 days of the data, some of "
        "whom ordered again and some not (`loyalist import orders FILE`).")


def churn_backtest(backend: Any, t: dict[str, ir.Table], last_order: dt.date,
                   horizon: int = HORIZON, limit: int = MAX_SCORED,
                   ) -> tuple[dt.date, Backtest, int] | None:
    """Score as of ``last_order - horizon``; churn = no order in the ``horizon`` days after.

    Customers beyond ``limit`` are sampled
    (:func:`~loyalist.report.sampling.sample_customers`); the third value is the
    number of customers in the workspace. ``None`` when fewer than :data:`MIN_CUSTOMERS`
    customers had ordered by then, or none (or all) of them churned.
    """
    t, total = sample_customers(backend, t, limit)
    cutoff = last_order - dt.timedelta(days=horizon)
    scored = score_signals(risk_signals(t, as_of=cutoff, p_alive=p_alive_table(
        backend, t, as_of=cutoff)), load_spec())
    scored = scored.filter(scored.days_since_order.notnull())
    o = t["orders"].filter(t["orders"].customer_id.notnull())
    start = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time())
    later = o.filter(o.ordered_at >= ibis.timestamp(start),
                     o.ordered_at < ibis.timestamp(start + dt.timedelta(days=horizon)))
    bought = later.select("customer_id").distinct().mutate(bought=ibis.literal(1))
    joined = scored.left_join(bought, "customer_id")
    frame = backend.execute(joined.select(joined.score, churned=joined.bought.isnull()))
    churned = frame.churned.to_numpy(bool)
    if len(frame) < MIN_CUSTOMERS or churned.all() or not churned.any():
        return None
    return cutoff, backtest(frame.score.to_numpy(float), churned), total


def risk_sections(backend: Any, t: dict[str, ir.Table], last_order: dt.date | None,
                  ) -> list[Section]:
    """The backtest section, or one line saying what data it needs."""
    found = None
    if last_order is not None:
        try:
            found = churn_backtest(backend, t, last_order)
        except LoyalistError:
            found = None
    if found is None:
        return [absent(TITLE, FILL)]
    cutoff, bt, total = found
    sampled = (f"A random sample of {bt.n:,} of the {total:,} customers was scored (chosen by "
               "a hash of the customer id, so every run takes the same). " if bt.n < total
               else "")
    cal = bt.calibration
    cards = (card("Customers scored", f"{bt.n:,}") + card("Churned", f"{bt.churn_rate:.1%}")
             + card("AUC", f"{bt.auc:.3f}") + card("Top-decile lift",
                                                   f"{bt.top_decile_lift:.2f}"))
    chart = bar_chart([str(d) for d in cal.decile], [float(r) for r in cal.churn_rate],
                      title="Churn rate by score decile (1 = riskiest)", value_format="{:.0%}")
    rows = [(int(r["decile"]), int(r["customers"]), f"{r['mean_score']:.1f}",
             f"{r['churn_rate']:.1%}") for r in cal.to_dict(orient="records")]
    caption = (
        f"Every customer who had ordered by {cutoff} was scored as of that day with the default "
        f"health spec (0-100, higher = more risk), then checked against the next {HORIZON} days: "
        f"churned = no order in them ({bt.churn_rate:.1%} did not order). AUC is the chance that "
        f"a churner scored above a customer who stayed (0.5 = no better than chance, 1 = "
        f"perfect); top-decile lift is the churn rate of the riskiest 10 % divided by the "
        f"overall rate ({bt.top_decile_lift:.2f}x). The bars show the churn rate per score "
        f"decile: a useful score falls from decile 1 (riskiest) to decile 10. {sampled}")
    return [Section(TITLE, f'<div class="cards">{cards}</div>' + chart + table(
        ["decile", "customers", "mean score", "churn rate"], rows), caption)]
