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
from scipy.special import betaln, digamma, gammaln, hyp2f1, log_expit

from loyalist.clv.base import (
    Array,
    Data,
    PurchaseModel,
    broadcast,
    per_distinct,
)


class BetaGeo(PurchaseModel):
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

    # ages repeat (one per first-purchase day): their logs are taken once per distinct age
    groups: ClassVar[dict[str, tuple[str, ...]]] = {"a": ("T",)}

    def _start(self, data: Data, weights: Array) -> Array:
        # alpha on the data's time scale: the mean age is a good order of magnitude
        scale = float(np.average(data["T"], weights=weights)) or 1.0
        return np.array([1.0, max(scale / 10, 0.1), 1.0, 1.0])

    def _rows(self, p: Array, data: Data) -> dict[str, Array]:
        """Per-row pieces shared by the likelihood and its gradient."""
        r, alpha, a, b = p
        shift = 1.0 if self.modified else 0.0
        ux, ix = data["ux"], data["inv"]
        ages, ia = data["T@a"], data["ia"]
        la = np.log(alpha + ages)[ia]
        diff = la - np.log(alpha + data["t_x"])
        with np.errstate(divide="ignore"):
            # log a/(b+x+s-1); a BG/NBD customer without repeat purchases cannot have left
            cx = np.log(a) - np.log(np.where(ux + shift > 0, b + ux + shift - 1.0, 1.0))
        if not self.modified:
            cx = np.where(ux > 0, cx, -np.inf)
        odds = cx[ix] + (r + data["x"]) * diff
        soft = np.logaddexp(0.0, odds)
        return {"la": la, "diff": diff, "soft": soft, "share": np.exp(odds - soft),
                "inv_age": (1.0 / (alpha + ages))[ia]}

    def _x_terms(self, p: Array, data: Data) -> Array:
        r, alpha, a, b = p
        ux = data["ux"]
        shift = 1.0 if self.modified else 0.0
        return (gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
                + betaln(a, b + ux + shift) - betaln(a, b))

    def _loglik(self, params: Array, data: Data) -> Array:
        rows = self._rows(params, data)
        const = self._x_terms(params, data)[data["inv"]]
        return const - (params[0] + data["x"]) * rows["la"] + rows["soft"]

    def _value_and_gradient(self, params: Array, data: Data,
                            weights: Array) -> tuple[float, Array]:
        r, alpha, a, b = params
        shift = 1.0 if self.modified else 0.0
        rows = self._rows(params, data)
        ux, ix = data["ux"], data["inv"]
        ux_w = np.bincount(ix, weights=weights, minlength=len(ux))
        wx = weights * data["x"]
        total = float(weights.sum())
        ws = weights * rows["share"]
        value = (float(np.dot(ux_w, self._x_terms(params, data)))
                 - r * float(np.dot(weights, rows["la"])) - float(np.dot(wx, rows["la"]))
                 + float(np.dot(weights, rows["soft"])))
        share_x = np.bincount(ix, weights=ws, minlength=len(ux))
        rx_w = r * weights + wx
        d_r = (np.dot(ux_w, digamma(r + ux) - digamma(r)) + total * np.log(alpha)
               - np.dot(weights, rows["la"]) + np.dot(ws, rows["diff"]))
        d_alpha = (total * r / alpha - np.dot(rx_w - r * ws - wx * rows["share"],
                                              rows["inv_age"])
                   - np.dot(r * ws + wx * rows["share"], 1.0 / (alpha + data["t_x"])))
        d_a = np.dot(ux_w, digamma(a + b) - digamma(a + b + ux + shift)) + ws.sum() / a
        denominator = np.where(ux + shift > 0, b + ux + shift - 1.0, 1.0)
        d_b = (np.dot(ux_w, digamma(b + ux + shift) - digamma(a + b + ux + shift)
                      - digamma(b) + digamma(a + b)) - np.dot(share_x, 1.0 / denominator))
        return value, np.array([d_r, d_alpha, d_a, d_b])

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
        # the 2F1 term depends on (t, x, T) only: once per distinct triple
        expected = per_distinct(self.expected_purchases_if_alive, h, x, age)
        return np.atleast_1d(expected * self.conditional_probability_alive(x, t_x, age))

    def _params_off_one(self) -> tuple[float, float, float, float]:
        r, alpha, a, b = self._check_fitted()
        # the expectations divide by a - 1 and have a finite limit at a = 1: step off it
        return r, alpha, (a if abs(a - 1) > 1e-7 else 1 + 1e-7), b

    def expected_purchases_if_alive(self, t: Any, frequency: Any, T: Any) -> Array:  # noqa: N803
        """E[purchases in (T, T + t]] for a customer still active at ``T`` with ``x`` repeats."""
        r, alpha, a, b = self._params_off_one()
        h, x, age = broadcast(t, frequency, T)
        shift = 1.0 if self.modified else 0.0
        z = h / (alpha + age + h)
        # Euler: ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+s; a+b+x+s-1; z)
        #      = (1-z)^(a-1) 2F1(a+b+s-1-r, a-1; a+b+x+s-1; z), finite for any x
        with np.errstate(all="ignore"):
            tail = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b + shift - 1 - r, a - 1,
                                                             a + b + x + shift - 1, z)
            out = (a + b + x + shift - 1) / (a - 1) * (1 - tail)
        # a and b so large that nobody drops out: purchases at the posterior mean rate
        out = np.where(np.isfinite(out), out, (r + x) / (alpha + age) * h)
        return np.atleast_1d(out)

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Array:
        """E[X(t)] for a customer who has just made a first purchase."""
        r, alpha, a, b = self._params_off_one()
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
