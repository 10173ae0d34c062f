"""One lifetimes 0.11.3 step for ``clv_speed.py``, run by the python of the lifetimes venv.

Usage: ``python _lifetimes_driver.py STEP WORKDIR`` with STEP one of ``summary``, ``bgnbd``,
``pareto``, ``clv``. Reads ``WORKDIR/transactions.npz`` (summary) or ``WORKDIR/summary.npz``
(the model steps), prints one JSON line: ``seconds`` (the step only, data already in memory),
``peak_mb`` (ru_maxrss of this process) and step details. The summary step also writes
``WORKDIR/summary_lifetimes.npz`` (untimed) for the cross-check. Needs numpy, pandas and lifetimes
only: loyalist is not installed in that venv.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ("frequency", "recency", "T", "monetary_value")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def summary(work: Path) -> dict:
    from lifetimes.utils import summary_data_from_transaction_data

    data = np.load(work / "transactions.npz")
    frame = pd.DataFrame({"customer_id": data["customer_id"], "ordered_at": data["ordered_at"],
                          "amount": data["amount"]})
    end = pd.Timestamp(str(data["observation_end"]))
    t0 = time.perf_counter()
    # weeks with same-day merging: lifetimes' freq="D" with freq_multiplier=7
    out = summary_data_from_transaction_data(
        frame, "customer_id", "ordered_at", monetary_value_col="amount",
        observation_period_end=end, freq="D", freq_multiplier=7)
    seconds = time.perf_counter() - t0
    out = out.sort_index()
    np.savez(work / "summary_lifetimes.npz", customer_id=out.index.to_numpy(),
             **{c: out[c].to_numpy() for c in COLUMNS})
    return {"seconds": seconds, "rows": len(frame), "customers": len(out)}


def _load_summary(work: Path) -> dict[str, np.ndarray]:
    data = np.load(work / "summary.npz")
    return {c: data[c].astype(float) for c in COLUMNS}


def bgnbd(work: Path) -> dict:
    from lifetimes import BetaGeoFitter

    s = _load_summary(work)
    t0 = time.perf_counter()
    model = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    return {"seconds": time.perf_counter() - t0, "params": model.params_.to_dict()}


def pareto(work: Path) -> dict:
    from lifetimes import ParetoNBDFitter

    s = _load_summary(work)
    t0 = time.perf_counter()
    model = ParetoNBDFitter().fit(s["frequency"], s["recency"], s["T"])
    return {"seconds": time.perf_counter() - t0, "params": model.params_.to_dict()}


def clv(work: Path) -> dict:
    """Gamma-Gamma fit (repeat customers) + 12-month CLV; BG/NBD is fitted before the clock."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    s = {k: pd.Series(v) for k, v in _load_summary(work).items()}
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    repeat = s["frequency"] > 0
    t0 = time.perf_counter()
    gg = GammaGammaFitter().fit(s["frequency"][repeat], s["monetary_value"][repeat])
    t1 = time.perf_counter()
    value = gg.customer_lifetime_value(bg, s["frequency"], s["recency"], s["T"],
                                       s["monetary_value"], time=12, discount_rate=0.01,
                                       freq="W")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "params": gg.params_.to_dict(), "gg_seconds": t1 - t0,
            "clv_seconds": seconds - (t1 - t0), "clv_total": float(value.sum())}


STEPS = {"summary": summary, "bgnbd": bgnbd, "pareto": pareto, "clv": clv}

if __name__ == "__main__":
    step, work = sys.argv[1], Path(sys.argv[2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes' own deprecation noise is not the result
        result = STEPS[step](work)
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))
