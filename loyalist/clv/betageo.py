"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

While active, a customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after
each purchase (BG/NBD) -- or also at time 0 (MBG/NBD) -- they drop out with probability
``p ~ Beta(a, b)``. For ``x`` repeat purchases, the last at ``t_x``, observed for ``T``:

BG/NBD  ``L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
            + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))``

MBG/NBD ``L = B(a, b+x+1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
            + B(a+1, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))``

Everything is computed on the log scale, and the conditional expectation uses Euler's
transformation of the hypergeometric function so that it stays finite for any frequency.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, log_expit

from loyalist.clv.base import Array, BaseModel, Data, as_array, broadcast, compress
from loyalist.errors import InputError


class BetaGeo(BaseModel):
    """BG/NBD model: ``fit(frequency, recency, T)`` estimates ``r, alpha, a, b``.

    Examples
    --------
    >>> m = BetaGeo().fit([0, 1, 3, 5, 2, 0], [0, 4, 20, 30, 9, 0], [38, 38, 38, 38, 30, 32])
    >>> sorted(m.params_)
    ['a', 'alpha', 'b', 'r']
    >>> bool(0 < m.conditional_probability_alive(5, 30, 38)[0] <= 1)
    True
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    initial: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
    modified: ClassVar[bool] = False

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None) -> BetaGeo:  # noqa: N803
        """Fit to repeat purchases, time of the last purchase and age (same time unit)."""
        x = as_array(frequency, "frequency", integer=True)
        t_x = as_array(recency, "recency")
        t = as_array(T, "T")
        if np.any(t_x > t + 1e-9):
            raise InputError("recency must not exceed T", column="recency")
        return self._fit(*self._prepare(x, t_x, t, weights))

    def _prepare(self, x: Array, t_x: Array, t: Array, weights: Any) -> tuple[Data, Array]:
        data, w = compress({"x": x, "t_x": t_x, "T": t}, weights)
        ux, inverse = np.unique(data["x"], return_inverse=True)
        data["ux"], data["inv"] = ux, inverse.astype(np.float64)
        return data, w

    def _start(self, data: Data, weights: Array) -> Array:
        # alpha on the data's time scale: the mean age is a good order of magnitude
        scale = float(np.average(data["T"], weights=weights)) or 1.0
        return np.array([1.0, max(scale / 10, 0.1), 1.0, 1.0])

    def _parts(self, p: Array, data: Data) -> tuple[Array, Array, Array]:
        """Per row: the x-only terms, log of the first term, log-odds of the second."""
        r, alpha, a, b = p
        ux = data["ux"]
        idx = data["inv"].astype(np.intp)
        shift = 1.0 if self.modified else 0.0
        const_u = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
                   + betaln(a, b + ux + shift) - betaln(a, b))
        x, t_x, t = data["x"], data["t_x"], data["T"]
        log_at = np.log(alpha + t)
        first = -(r + x) * log_at
        odds = (np.log(a) - np.log(b + x + shift - 1.0 + self._mbg_offset(x))
                + (r + x) * (log_at - np.log(alpha + t_x)))
        if not self.modified:
            odds = np.where(x > 0, odds, -np.inf)
        return const_u[idx], first, odds

    @staticmethod
    def _mbg_offset(x: Array) -> Array:
        # BG/NBD: log(b + x - 1) is only used where x > 0; avoid log(b - 1) warnings at x = 0
        return np.where(x > 0, 0.0, 1.0)

    def _loglik(self, params: Array, data: Data) -> Array:
        const, first, odds = self._parts(params, data)
        return const + first + np.logaddexp(0.0, odds)

    def _gradient(self, params: Array, data: Data, weights: Array) -> Array:
        r, alpha, a, b = params
        ux = data["ux"]
        idx = data["inv"].astype(np.intp)
        shift = 1.0 if self.modified else 0.0
        _, _, odds = self._parts(params, data)
        share = expit(odds)  # weight of the second term
        x, t_x, t = data["x"], data["t_x"], data["T"]
        log_at, log_atx = np.log(alpha + t), np.log(alpha + t_x)
        ux_w = np.bincount(idx, weights=weights, minlength=len(ux))
        b_row = b + x + shift - 1.0 + self._mbg_offset(x)
        d_r = (np.dot(ux_w, digamma(r + ux) - digamma(r)) + weights.sum() * np.log(alpha)
               + np.dot(weights, -log_at + share * (log_at - log_atx)))
        d_alpha = (weights.sum() * r / alpha
                   + np.dot(weights, -(r + x) / (alpha + t)
                            + share * (r + x) * (1 / (alpha + t) - 1 / (alpha + t_x))))
        d_a = (np.dot(ux_w, digamma(a + b) - digamma(a + b + ux + shift))
               + np.dot(weights, share) / a)
        d_b = (np.dot(ux_w, digamma(b + ux + shift) - digamma(a + b + ux + shift)
                      - digamma(b) + digamma(a + b))
               - np.dot(weights, share / b_row))
        return np.array([d_r, d_alpha, d_a, d_b])

    # -- predictions ----------------------------------------------------------------------
    def _odds(self, x: Array, t_x: Array, t: Array) -> Array:
        r, alpha, a, b = self._check_fitted()
        shift = 1.0 if self.modified else 0.0
        with np.errstate(divide="ignore"):
            odds = (np.log(a) - np.log(np.where(x + shift > 0, b + x + shift - 1.0, 1.0))
                    + (r + x) * (np.log(alpha + t) - np.log(alpha + t_x)))
        return odds if self.modified else np.where(x > 0, odds, -np.inf)

    def conditional_probability_alive(self, frequency: Any, recency: Any,
                                      T: Any) -> Array:  # noqa: N803
        """P(the customer is still active at ``T``)."""
        x, t_x, t = broadcast(frequency, recency, T)
        return np.atleast_1d(np.exp(log_expit(-self._odds(x, t_x, t))))

    def conditional_expected_number_of_purchases_up_to_time(
            self, t: Any, frequency: Any, recency: Any, T: Any) -> Array:  # noqa: N803
        """E[purchases in (T, T + t]] given the customer's history."""
        h, x, t_x, age = broadcast(t, frequency, recency, T)
        return np.atleast_1d(self.expected_purchases_if_alive(h, x, age)
                             * self.conditional_probability_alive(x, t_x, age))

    def expected_purchases_if_alive(self, t: Any, frequency: Any, T: Any) -> Array:  # noqa: N803
        """E[purchases in (T, T + t]] for a customer still active at ``T`` with ``x`` repeats."""
        r, alpha, a, b = self._check_fitted()
        h, x, age = broadcast(t, frequency, T)
        shift = 1.0 if self.modified else 0.0
        z = h / (alpha + age + h)
        # Euler: ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+s; a+b+x+s-1; z)
        #      = (1-z)^(a-1) 2F1(a+b+s-1-r, a-1; a+b+x+s-1; z), finite for any x
        tail = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b + shift - 1 - r, a - 1,
                                                         a + b + x + shift - 1, z)
        return np.atleast_1d((a + b + x + shift - 1) / (a - 1) * (1 - tail))

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Array:
        """E[X(t)] for a customer who has just made a first purchase."""
        r, alpha, a, b = self._check_fitted()
        (h,) = broadcast(t)
        z = h / (alpha + h)
        shift = 1.0 if self.modified else 0.0
        tail = np.exp(r * np.log1p(-z)) * hyp2f1(r, b + shift, a + b + shift - 1, z)
        out = (a + b + shift - 1) / (a - 1) * (1 - tail)
        if self.modified:
            out = out * b / (a + b)
        return np.atleast_1d(out)

    def probability_of_n_purchases_up_to_time(self, t: Any, n: Any) -> Array:
        """P(X(t) = n) for a new customer (FHL 2005, equation 8; BG/NBD only)."""
        r, alpha, a, b = self._check_fitted()
        h, k = broadcast(t, n)
        log_q = np.log(h) - np.log(alpha + h)
        log_p0 = r * (np.log(alpha) - np.log(alpha + h))
        first = (betaln(a, b + k) - betaln(a, b) + gammaln(r + k) - gammaln(r)
                 - gammaln(k + 1) + log_p0 + k * log_q)
        out = np.exp(first)
        for i, (hi, ki) in enumerate(zip(h.ravel(), k.ravel(), strict=True)):
            if ki > 0:
                j = np.arange(int(ki))
                terms = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1)
                               + j * (np.log(hi) - np.log(alpha + hi)))
                cdf = np.exp(r * (np.log(alpha) - np.log(alpha + hi))) * terms.sum()
                out.ravel()[i] += np.exp(betaln(a + 1, b + ki - 1) - betaln(a, b)) * (1 - cdf)
        return np.atleast_1d(out)


class ModifiedBetaGeo(BetaGeo):
    """MBG/NBD: like BG/NBD, but a customer may also drop out right after the first purchase.

    Examples
    --------
    >>> m = ModifiedBetaGeo().fit([0, 1, 3, 5, 2, 0], [0, 4, 20, 30, 9, 0], [38] * 6)
    >>> bool(m.conditional_probability_alive(0, 0, 38)[0] < 1)
    True
    """

    modified: ClassVar[bool] = True

    @staticmethod
    def _mbg_offset(x: Array) -> Array:
        return np.zeros_like(x)
