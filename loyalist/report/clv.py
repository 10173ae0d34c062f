"""Report sections for customer lifetime value.

CLV distribution, P(alive) and expected-purchase matrices, calibration against holdout, and
tracking of cumulative repeat purchases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

from loyalist.clv.workflow import (
    ClvFit,
    fit_clv,
    load_fit,
    predict_customers,
)
from loyalist.errors import LoyalistError
from loyalist.report.charts import bar_chart, series_chart
from loyalist.report.html import Section, absent, card
from loyalist.report.tables import heat_grid

CLV_BINS = [0, 10, 25, 50, 100, 250, 500, 1000, np.inf]
MIN_CUSTOMERS = 30  # fewest identified customers the report fits a model for itself
FILL = "Import orders with customer ids (`loyalist import orders FILE`), then `loyalist clv fit`."


def clv_results(backend: Any, t: dict[str, ir.Table],
                as_of: dt.date | None) -> tuple[ClvFit, pd.DataFrame, str] | None:
    """The stored CLV fit and predictions, or a BG/NBD fit made now.

    A fit made for the report checks itself on the last third of the data (holdout). ``None``
    when there are no orders to fit, or fewer than ``MIN_CUSTOMERS`` identified customers.
    """
    stored = load_fit(backend)
    if stored is not None:
        return *stored, "the model stored by `loyalist clv fit`"
    if as_of is None:
        return None
    known = t["orders"].filter(t["orders"].customer_id.notnull())
    if int(backend.execute(known.customer_id.nunique())) < MIN_CUSTOMERS:
        return None  # a handful of customers gives degenerate parameters (a -> 1: 1/(a-1))
    first = backend.execute(t["orders"].ordered_at.min())
    start = pd.Timestamp(first).date()
    calibration_end = start + (as_of - start) * 2 // 3 if (as_of - start).days > 60 else None
    try:
        fit = fit_clv(backend, t, observation_end=as_of, calibration_end=calibration_end)
    except LoyalistError:
        return None
    return fit, predict_customers(fit), "a BG/NBD model fitted for this report"


def clv_bands(pred: pd.DataFrame) -> list[tuple[str, float, float, int]]:
    """Customers per CLV band: ``(label, low, high, customers)`` with ``low <= clv < high``."""
    counts = pd.cut(pred["clv"].dropna(), CLV_BINS, right=False).value_counts(sort=False)
    return [(f"{b:g}+" if np.isinf(e) else f"{b:g}-{e:g}", float(b), float(e), int(n))
            for b, e, n in zip(CLV_BINS[:-1], CLV_BINS[1:], counts, strict=True)]


def clv_sections(backend: Any, t: dict[str, ir.Table], as_of: dt.date | None,
                 band_link: Callable[[float, float], str] | None = None) -> list[Section]:
    """CLV distribution, P(alive) and expected-purchase matrices, holdout and tracking.

    ``band_link(low, high)``, when given, links each CLV band's bar to its customers.
    """
    return sections_from(clv_results(backend, t, as_of), band_link)


def sections_from(found: tuple[ClvFit, pd.DataFrame, str] | None,
                  band_link: Callable[[float, float], str] | None = None) -> list[Section]:
    """The CLV sections of :func:`clv_results`' answer (absent when it is ``None``)."""
    if found is None:
        return [absent("Customer lifetime value", FILL)]
    fit, predictions, source = found
    sections = [_distribution(predictions, fit, source, band_link), _matrix(fit, "alive"),
                _matrix(fit, "purchases")]
    if not fit.holdout.empty:
        sections.append(_holdout(fit))
    if not fit.tracking.empty:
        sections.append(_tracking(fit))
    return sections


def _distribution(pred: pd.DataFrame, fit: ClvFit, source: str,
                  band_link: Callable[[float, float], str] | None = None) -> Section:
    clv = pred["clv"].dropna()
    if clv.empty:
        return Section("Customer lifetime value", "<p>Too few repeat purchases to fit spend.</p>")
    bands = clv_bands(pred)
    labels, counts = [b[0] for b in bands], [b[3] for b in bands]
    links = [band_link(lo, hi) for _, lo, hi, _ in bands] if band_link else None
    cards = [card("Average CLV, 12 months", f"{clv.mean():,.2f}"),
             card("Expected revenue, 12 months", f"{clv.sum():,.0f}"),
             card("Likely still active", f"{(pred['p_alive'] > 0.5).mean():.1%}")]
    body = (f'<div class="cards">{"".join(cards)}</div>'
            + bar_chart(labels, [float(v) for v in counts], title="Customers by 12-month CLV",
                        links=links))
    return Section("Customer lifetime value", body,
                   f"CLV: discounted (1 % a month) expected spend over the next 12 months, from "
                   f"{source} ({type(fit.model).__name__} for purchases, Gamma-Gamma for spend per "
                   f"purchase), fitted on orders up to {fit.observation_end}. Bars: customers per "
                   "CLV band. 'Likely still active': P(alive) above 50 %."
                   + _no_dropout_note(pred))


def _no_dropout_note(pred: pd.DataFrame) -> str:
    """Say so when the fit finds (almost) no drop-out: everyone looks alive."""
    if pred["p_alive"].min() < 0.9:
        return ""
    return (" Here the fit finds almost no drop-out (every customer's P(alive) is above 90 %): "
            "the data cover too short a time, or customers who stop leave no trace the model "
            "can tell from a pause. Treat CLV as an upper bound; a longer history, or a "
            "contractual model for subscribers, gives a firmer figure.")


def _matrix(fit: ClvFit, what: str) -> Section:
    s = fit.summary
    unit = "weeks" if fit.unit == "W" else "days"
    age = float(s["T"].max())
    top = int(min(max(float(s.frequency.quantile(0.99)), 5.0), 30.0))
    freqs = list(range(top + 1))
    cols = [round(age * k / 8, 1) for k in range(9)]
    x = np.repeat(np.array(freqs, dtype=float), len(cols))
    t_x = np.tile(np.array(cols), len(freqs))
    t_x = np.where(x > 0, t_x, 0.0)
    if what == "alive":
        values = fit.model.conditional_probability_alive(x, t_x, age)
        title, text = "P(alive) by frequency and recency", "{:.0%}"
        caption = ("Probability that a customer is still active, for a customer first seen "
                   f"{age:.0f} {unit} ago, by repeat purchases (rows) and time of the last "
                   "purchase after the first (columns): frequent buyers who have not bought for "
                   "a while are the likeliest to have gone. BG/NBD counts customers without a "
                   "repeat purchase as active (they can only leave after a purchase).")
    else:
        values = fit.model.conditional_expected_number_of_purchases_up_to_time(
            52 if fit.unit == "W" else 365, x, t_x, age)
        title, text = "Expected purchases next year by frequency and recency", "{:.2f}"
        caption = ("Expected number of purchases in the next 12 months for the same grid of "
                   "customers (frequency rows, recency columns).")
    cells = {(f, c): (float(v), text.format(float(v)))
             for (f, c), v in zip(zip(x.astype(int), t_x, strict=True), values, strict=True)}
    cells.update({(0, c): cells[(0, 0.0)] for c in cols})
    grid = heat_grid("repeat purchases", f"recency ({unit})", freqs, cols, cells)
    return Section(title, grid, caption)


def _holdout(fit: ClvFit) -> Section:
    h = fit.holdout
    chart = series_chart(list(range(len(h))), {"actual": list(h.actual),
                                              "predicted": list(h.predicted)},
                         title="Holdout purchases", x_label="repeat purchases in calibration",
                         y_label="mean purchases in holdout",
                         x_ticks=[str(v) for v in h.frequency_cal])
    return Section("Calibration vs holdout", chart,
                   f"The model fitted on orders up to {fit.calibration_end} predicts each "
                   "customer's purchases in the period after it; lines: mean actual and mean "
                   "predicted purchases, grouped by repeat purchases in the calibration period.")


def _tracking(fit: ClvFit) -> Section:
    tr = fit.tracking
    cal = tr[tr.calibration]
    marker = float(cal.period.max()) if len(cal) else None
    chart = series_chart(list(tr.period), {"actual": list(tr.actual),
                                           "expected": list(tr.expected)},
                         title="Cumulative repeat purchases",
                         x_label=f"{'weeks' if fit.unit == 'W' else 'days'} since the first order",
                         y_label="repeat purchases", marker_x=marker)
    return Section("Tracking cumulative repeat purchases", chart,
                   "Cumulative repeat purchases of the customers acquired in the calibration "
                   "period, actual and as the model expects; the dashed line is the end of "
                   "the calibration period: to its right the model forecasts.")
