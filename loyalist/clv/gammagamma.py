"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

A customer's transaction values are Gamma(p, nu) around their mean ``p / nu``, and
``nu ~ Gamma(q, gamma)`` across customers. For ``x`` repeat transactions with mean value
``m_x``, the density of ``m_x`` is

``f(m_x) = G(px+q) / (G(px) G(q)) * gamma^q * m_x^(px-1) * x^(px) / (gamma + m_x x)^(px+q)``

and the expected mean value of the customer's future transactions is
``E[M | m_x, x] = p (gamma + m_x x) / (px + q - 1)``, a weighted mean of the population mean
``p gamma / (q - 1)`` and the customer's own ``m_x``. Customers without repeat purchases carry no
information about spend and are left out of the fit (their expectation is the population mean).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from loyalist.clv.base import (
    Array,
    BaseModel,
    Data,
    as_array,
    broadcast,
    compress,
    index_frequencies,
)
from loyalist.errors import InputError


class GammaGamma(BaseModel):
    """Gamma-Gamma spend model: ``fit(frequency, monetary_value)`` estimates ``p, q, gamma``.

    Examples
    --------
    >>> m = GammaGamma().fit([1, 2, 4, 1, 3, 6], [10.0, 22.0, 15.5, 40.0, 12.0, 18.0])
    >>> sorted(m.params_)
    ['gamma', 'p', 'q']
    >>> bool(m.conditional_expected_average_profit(4, 15.5)[0] > 0)
    True
    """

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    initial: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0)

    def fit(self, frequency: Any, monetary_value: Any, weights: Any = None) -> GammaGamma:
        """Fit to repeat purchases and their mean value (rows with no repeat are ignored)."""
        x = as_array(frequency, "frequency", integer=True)
        m = as_array(monetary_value, "monetary_value")
        w = np.ones_like(x) if weights is None else as_array(weights, "weights")
        if len(m) != len(x) or len(w) != len(x):
            raise InputError("frequency, monetary_value and weights must have the same length")
        keep = (x > 0) & (m > 0)
        if not keep.any():
            raise InputError("no customer has a repeat purchase with a positive value",
                             column="monetary_value")
        data, w = compress({"x": x[keep], "m": m[keep]}, w[keep])
        index_frequencies(data)
        data["log_m"] = np.log(data["m"])
        return self._fit(data, w)

    def _start(self, data: Data, weights: Array) -> Array:
        return np.array([1.0, 1.0, float(np.average(data["m"], weights=weights))])

    @staticmethod
    def _per_x(p: float, q: float, data: Data) -> tuple[Array, Array]:
        """Terms that depend on the frequency only, computed once per distinct frequency."""
        ux = data["ux"]
        return ux, gammaln(p * ux + q) - gammaln(p * ux) + p * ux * np.log(ux)

    def _loglik(self, params: Array, data: Data) -> Array:
        p, q, g = params
        x, m = data["x"], data["m"]
        _, per_x = self._per_x(p, q, data)
        px = p * x
        return (per_x[data["inv"]] - gammaln(q) + q * np.log(g)
                + (px - 1) * data["log_m"] - (px + q) * np.log(g + m * x))

    def _gradient(self, params: Array, data: Data, weights: Array) -> Array:
        p, q, g = params
        x, m = data["x"], data["m"]
        ux = data["ux"]
        ux_w = np.bincount(data["inv"], weights=weights, minlength=len(ux))
        log_gmx = np.log(g + m * x)
        d_p = (np.dot(ux_w, ux * (digamma(p * ux + q) - digamma(p * ux) + np.log(ux)))
               + np.dot(weights, x * (data["log_m"] - log_gmx)))
        d_q = (np.dot(ux_w, digamma(p * ux + q)) - weights.sum() * (digamma(q) - np.log(g))
               - np.dot(weights, log_gmx))
        d_g = weights.sum() * q / g - np.dot(weights, (p * x + q) / (g + m * x))
        return np.array([d_p, d_q, d_g])

    def conditional_expected_average_profit(self, frequency: Any = None,
                                            monetary_value: Any = None) -> Array:
        """E[mean transaction value]; the population mean where frequency is 0 or missing."""
        p, q, g = self._check_fitted()
        if frequency is None:
            return np.atleast_1d(p * g / (q - 1))
        x, m = broadcast(frequency, monetary_value)
        return np.atleast_1d(p * (g + m * x) / (p * x + q - 1))
