"""CLV on a workspace: summarise the orders in the engine, fit, validate, predict per customer.

``fit_clv`` summarises the orders (:func:`rfm_summary`, in the engine), fits a purchase model
and the Gamma-Gamma spend model, and -- with a ``calibration_end`` -- validates a fit on the
calibration period against what customers did afterwards (mean purchases in the holdout period
by number of repeat purchases, and cumulative repeat purchases per period against the model's
expectation). ``predict_customers`` gives every customer P(alive), expected purchases and spend
over a horizon and the discounted CLV. ``save_clv``/``load_clv`` keep the results in the
workspace (tables ``clv_models``, ``clv_predictions``, ``clv_holdout``, ``clv_tracking``) for
the report, the dashboard and the API.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from loyalist.clv.betageo import BetaGeo, ModifiedBetaGeo
from loyalist.clv.gammagamma import GammaGamma
from loyalist.clv.pareto import ParetoNBD
from loyalist.clv.summary import Unit, calibration_holdout, rfm_summary
from loyalist.clv.value import UNITS_PER_MONTH, customer_lifetime_value
from loyalist.errors import InputError

MODELS: dict[str, type[BetaGeo] | type[ParetoNBD]] = {
    "bgnbd": BetaGeo, "mbgnbd": ModifiedBetaGeo, "paretonbd": ParetoNBD}
#: a fit needs at least this many customers with a repeat purchase (else it is degenerate)
MIN_REPEATERS = 10
HORIZON_UNITS = {"days": 1 / UNITS_PER_MONTH["D"], "weeks": 1 / UNITS_PER_MONTH["W"],
                 "months": 1.0}


@dataclass
class ClvFit:
    """A fitted purchase model and spend model with what they were fitted on."""

    model_name: str
    model: Any
    spend: GammaGamma | None
    summary: pd.DataFrame
    observation_end: dt.date
    unit: str = "W"
    calibration_end: dt.date | None = None
    holdout: pd.DataFrame = field(default_factory=pd.DataFrame)
    tracking: pd.DataFrame = field(default_factory=pd.DataFrame)


def _model(name: str) -> Any:
    try:
        return MODELS[name]()
    except KeyError:
        raise InputError(f"unknown model {name!r} (models: {', '.join(MODELS)})",
                         model=name) from None


def fit_clv(backend: Any, t: dict[str, ir.Table], *, model: str = "bgnbd",
            observation_end: dt.date, calibration_end: dt.date | None = None,
            unit: Unit = "W") -> ClvFit:
    """Fit ``model`` (bgnbd, mbgnbd or paretonbd) and Gamma-Gamma on the workspace's orders."""
    orders = t["orders"]
    summary = backend.execute(rfm_summary(orders, observation_end=observation_end, unit=unit))
    if int((summary.frequency > 0).sum()) < MIN_REPEATERS:
        raise InputError(f"too little history to fit: fewer than {MIN_REPEATERS} customers "
                         "with a repeat purchase up to the observation end")
    fitted = _model(model).fit(summary.frequency, summary.recency, summary["T"])
    spend = _fit_spend(summary)
    result = ClvFit(model, fitted, spend, summary, observation_end, unit)
    if calibration_end is not None:
        if calibration_end >= observation_end:
            raise InputError("calibration_end must be before the observation end")
        cal = backend.execute(calibration_holdout(orders, calibration_end=calibration_end,
                                                  observation_end=observation_end, unit=unit))
        if int((cal.frequency_cal > 0).sum()) < MIN_REPEATERS:
            return result  # too little history before calibration_end to validate
        cal_model = _model(model).fit(cal.frequency_cal, cal.recency_cal, cal.T_cal)
        result.calibration_end = calibration_end
        result.holdout = holdout_table(cal_model, cal)
        result.tracking = tracking_table(backend, orders, cal_model, calibration_end,
                                         observation_end, unit)
    return result


def _fit_spend(summary: pd.DataFrame) -> GammaGamma | None:
    repeat = summary[(summary.frequency > 0) & (summary.monetary_value > 0)]
    if len(repeat) < 10:
        return None
    return GammaGamma().fit(repeat.frequency, repeat.monetary_value)


def holdout_table(model: Any, cal: pd.DataFrame, top: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration repeat purchases (0..top+)."""
    predicted = model.conditional_expected_number_of_purchases_up_to_time(
        cal.duration_holdout, cal.frequency_cal, cal.recency_cal, cal.T_cal)
    frame = pd.DataFrame({"bucket": np.minimum(cal.frequency_cal, top),
                          "actual": cal.frequency_holdout, "predicted": predicted})
    out = frame.groupby("bucket").agg(customers=("actual", "size"), actual=("actual", "mean"),
                                      predicted=("predicted", "mean")).reset_index()
    out["frequency_cal"] = [f"{b}+" if b == top else str(b) for b in out.bucket]
    return out[["frequency_cal", "customers", "actual", "predicted"]]


def tracking_table(backend: Any, orders: ir.Table, model: Any, calibration_end: dt.date,
                   observation_end: dt.date, unit: str) -> pd.DataFrame:
    """Cumulative repeat purchases per period since the first order: actual and expected.

    Expected: the sum over customers of E[X(t - t0)] for a customer acquired at ``t0`` (the
    model's unconditional expectation), for customers acquired up to ``calibration_end``.
    """
    days = 7 if unit == "W" else 1
    known = orders.filter(orders.customer_id.notnull())
    d = known.select("customer_id", day=known.ordered_at.date()).distinct()
    d = d.filter(d.day <= ibis.literal(observation_end))
    first = d.group_by("customer_id").aggregate(first=d.day.min())
    first = first.filter(first.first <= ibis.literal(calibration_end))
    start = pd.Timestamp(backend.execute(first.first.min())).date()
    joined = d.join(first, "customer_id")
    repeat = joined.filter(joined.day > joined.first)
    period = (repeat.day.delta(ibis.literal(start), unit="day") // days).name("period")
    actual = backend.execute(repeat.group_by(period).aggregate(n=repeat.count()))
    acquired = backend.execute(first.group_by(
        t0=first.first.delta(ibis.literal(start), unit="day")).aggregate(n=first.count()))
    periods = np.arange(int((observation_end - start).days // days) + 1)
    per = np.zeros(len(periods))
    per[actual.period.astype(int).clip(0, len(per) - 1)] += actual.n
    t0 = acquired.t0.to_numpy(np.float64) / days
    now = (periods + 1)[:, None] - t0[None, :]
    expected_each = model.expected_number_of_purchases_up_to_time(np.clip(now, 0, None).ravel())
    expected = (expected_each.reshape(now.shape) * acquired.n.to_numpy()).sum(axis=1)
    return pd.DataFrame({"period": periods + 1, "actual": np.cumsum(per),
                         "expected": expected,
                         "calibration": (periods + 1) * days
                         <= (calibration_end - start).days + days})


def predict_customers(fit: ClvFit, *, horizon: float = 12, horizon_unit: str = "months",
                      discount_rate: float = 0.01) -> pd.DataFrame:
    """Per customer: P(alive), expected purchases and spend over the horizon, and CLV."""
    if horizon_unit not in HORIZON_UNITS:
        raise InputError(f"horizon unit must be one of {', '.join(HORIZON_UNITS)}")
    if horizon <= 0:
        raise InputError("horizon must be positive")
    s = fit.summary
    x, t_x, age = (s[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))
    months = horizon * HORIZON_UNITS[horizon_unit]
    span = months * UNITS_PER_MONTH[fit.unit]
    model = fit.model
    purchases = model.conditional_expected_number_of_purchases_up_to_time(span, x, t_x, age)
    out = s[["customer_id", "frequency", "recency", "T", "monetary_value"]].copy()
    out["p_alive"] = model.conditional_probability_alive(x, t_x, age)
    out["expected_purchases"] = purchases
    if fit.spend is None:
        out["expected_spend"] = np.nan
        out["clv"] = np.nan
        return out
    per = fit.spend.conditional_expected_average_profit(x, s.monetary_value.to_numpy())
    out["expected_spend"] = per
    out["clv"] = customer_lifetime_value(model, fit.spend, x, t_x, age, s.monetary_value,
                                         months=max(1, round(months)), unit=fit.unit,
                                         discount_rate=discount_rate)
    return out


def restore(record: dict[Any, Any], summary: pd.DataFrame) -> ClvFit:
    """A :class:`ClvFit` from a stored ``clv_models`` row and the stored per-customer summary."""
    model = _model(str(record["model"]))
    model.params_ = json.loads(record["params"])
    model.log_likelihood_ = float(record["log_likelihood"])
    spend_params = json.loads(record["spend_params"] or "null")
    spend = None
    if spend_params:
        spend = GammaGamma()
        spend.params_ = spend_params
        spend.log_likelihood_ = float("nan")
    cal = record.get("calibration_end")
    return ClvFit(str(record["model"]), model, spend, summary,
                  pd.Timestamp(record["observation_end"]).date(), str(record["unit"]),
                  None if cal is None or pd.isna(cal) else pd.Timestamp(cal).date())


def model_record(fit: ClvFit, *, fitted_at: dt.datetime | None = None) -> dict[str, Any]:
    """One row describing a fit (parameters as JSON)."""
    return {
        "fitted_at": fitted_at or dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "model": fit.model_name, "unit": fit.unit,
        "observation_end": fit.observation_end, "calibration_end": fit.calibration_end,
        "params": json.dumps(fit.model.params_),
        "spend_params": json.dumps(fit.spend.params_ if fit.spend else None),
        "log_likelihood": fit.model.log_likelihood_, "customers": len(fit.summary),
    }


def save_clv(con: Any, fit: ClvFit | None, predictions: pd.DataFrame) -> None:
    """Store a fit and its predictions in the workspace (DuckDB connection ``con``).

    With ``fit`` None only the predictions are replaced (``clv predict`` with a new horizon);
    a new fit also replaces the validation tables, dropping them when it has none.
    """
    frames = {"clv_predictions": predictions}
    if fit is not None:
        frames.update({"clv_models": pd.DataFrame([model_record(fit)]),
                       "clv_holdout": fit.holdout, "clv_tracking": fit.tracking})
    for name, frame in frames.items():
        if frame.empty and not len(frame.columns):
            con.execute(f"DROP TABLE IF EXISTS {name}")
            continue
        con.register("_clv_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _clv_frame")
        con.unregister("_clv_frame")


def load_clv(backend: Any) -> dict[str, pd.DataFrame]:
    """The stored CLV tables that exist (empty dict when CLV was never fitted)."""
    present = set(backend.list_tables())
    return {name: backend.table(name).execute()
            for name in ("clv_models", "clv_predictions", "clv_holdout", "clv_tracking")
            if name in present}


def load_fit(backend: Any) -> tuple[ClvFit, pd.DataFrame] | None:
    """The stored fit (with its validation tables) and its predictions; ``None`` if never fitted."""
    stored = load_clv(backend)
    if "clv_models" not in stored or stored["clv_models"].empty:
        return None
    fit = restore(stored["clv_models"].iloc[-1].to_dict(), stored["clv_predictions"])
    fit.holdout = stored.get("clv_holdout", pd.DataFrame())
    fit.tracking = stored.get("clv_tracking", pd.DataFrame())
    return fit, stored["clv_predictions"]
