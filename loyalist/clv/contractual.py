"""Shifted beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007).

Each customer renews at the end of every period with probability ``1 - theta``, and
``theta ~ Beta(alpha, beta)`` across customers. The probability of leaving in period ``t`` and of
surviving ``t`` periods are

``P(T = t) = B(alpha+1, beta+t-1) / B(alpha, beta)``, ``S(t) = B(alpha, beta+t) / B(alpha, beta)``

and the retention rate ``r(t) = S(t)/S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)`` rises
with tenure because the least loyal leave first. ``fit(alive)`` takes the number of customers of
a cohort still active at the start of each period (period 0 first); ``fit_individual`` takes one
row per customer: the periods observed and whether they left.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln

from loyalist.clv.base import Array, BaseModel, Data, as_array, compress
from loyalist.errors import InputError


class ShiftedBetaGeo(BaseModel):
    """sBG model: estimates ``alpha, beta`` from survivor counts.

    Examples
    --------
    >>> m = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326])
    >>> [round(float(v), 3) for v in m.survival_function([1, 2])]
    [0.629, 0.472]
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    initial: ClassVar[tuple[float, ...]] = (1.0, 1.0)

    def fit(self, alive: Any) -> ShiftedBetaGeo:
        """Fit to a cohort's survivor counts ``[n_0, n_1, ..., n_k]``."""
        counts = as_array(alive, "alive", integer=True)
        if len(counts) < 2 or np.any(np.diff(counts) > 0):
            raise InputError("alive must hold two or more non-increasing counts", column="alive")
        k = len(counts) - 1
        periods = np.arange(1, k + 1, dtype=np.float64)
        lost = counts[:-1] - counts[1:]
        return self.fit_individual(np.append(periods, k), np.append(np.ones(k), 0.0),
                                   weights=np.append(lost, counts[-1]))

    def fit_individual(self, periods: Any, churned: Any, weights: Any = None) -> ShiftedBetaGeo:
        """Fit to one row per customer: periods observed (>= 1) and whether they left then."""
        t = as_array(periods, "periods", integer=True)
        c = as_array(churned, "churned", integer=True)
        if np.any(t < 1) or np.any(c > 1):
            raise InputError("periods must be >= 1 and churned 0 or 1")
        data, w = compress({"t": t, "churned": c}, weights)
        return self._fit(data, w)

    def _loglik(self, params: Array, data: Data) -> Array:
        a, b = params
        t = data["t"]
        died = betaln(a + 1, b + t - 1) - betaln(a, b)
        survived = betaln(a, b + t) - betaln(a, b)
        return np.where(data["churned"] > 0, died, survived)

    def survival_function(self, t: Any) -> Array:
        """S(t): share of the cohort still active after ``t`` periods."""
        a, b = self._check_fitted()
        tt = np.atleast_1d(np.asarray(t, dtype=np.float64))
        return np.exp(betaln(a, b + tt) - betaln(a, b))

    def retention_rate(self, t: Any) -> Array:
        """r(t) = S(t) / S(t-1), the renewal rate at the end of period ``t`` (t >= 1)."""
        a, b = self._check_fitted()
        tt = np.atleast_1d(np.asarray(t, dtype=np.float64))
        return (b + tt - 1) / (a + b + tt - 1)

    def expected_residual_lifetime_value(self, value: float, discount_rate: float,
                                         renewals: Any = 0) -> Array:
        """Discounted expected residual lifetime value (DERL, Fader & Hardie 2010).

        For a customer who has renewed ``renewals`` times and pays ``value`` a period:
        ``value * sum_{t>=0} S(n+t)/S(n) / (1+d)^t``.
        """
        a, b = self._check_fitted()
        n = np.atleast_1d(np.asarray(renewals, dtype=np.float64))
        t = np.arange(0, 2000, dtype=np.float64)
        log_s = betaln(a, b + n[:, None] + t) - betaln(a, b + n[:, None])
        disc = t * np.log1p(discount_rate)
        return np.asarray(value * np.exp(log_s - disc).sum(axis=1))
