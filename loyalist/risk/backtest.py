"""Backtesting a risk score against churn that really happened.

``auc`` is the probability that a churner scores above a stayer (ties count half: the
Mann-Whitney statistic); ``top_decile_lift`` is the churn rate among the 10 % highest scores divided
by the overall churn rate; ``calibration`` lists, per score decile (decile 1 = the highest
scores), the mean score and the churn rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from loyalist.errors import InputError


@dataclass(frozen=True)
class Backtest:
    """How well a score ranked real churn."""

    n: int
    churn_rate: float
    auc: float
    top_decile_lift: float
    calibration: pd.DataFrame


def auc(scores: np.ndarray, churned: np.ndarray) -> float:
    """Area under the ROC curve via ranks (ties share their average rank).

    Examples
    --------
    >>> auc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 0, 1, 0]))
    0.75
    """
    y = np.asarray(churned, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        raise InputError("the AUC needs both churners and stayers")
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def backtest(scores: np.ndarray, churned: np.ndarray, *, bins: int = 10) -> Backtest:
    """AUC, top-decile lift and a calibration table for ``scores`` against ``churned``."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(churned, dtype=float)
    keep = ~np.isnan(s)
    s, y = s[keep], y[keep]
    order = np.lexsort((np.arange(len(s)), -s))  # highest first, stable
    top = order[: max(1, len(s) // 10)]
    rate = float(y.mean())
    decile = np.empty(len(s), dtype=int)
    decile[order] = np.arange(len(s)) * bins // len(s)
    frame = pd.DataFrame({"decile": decile + 1, "score": s, "churned": y})
    calibration = frame.groupby("decile").agg(customers=("score", "size"),
                                              mean_score=("score", "mean"),
                                              churn_rate=("churned", "mean")).reset_index()
    return Backtest(len(s), rate, auc(s, y), float(y[top].mean() / rate) if rate else 0.0,
                    calibration)
