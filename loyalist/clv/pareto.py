"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), as implemented by Fader & Hardie (2005).

While active, a customer buys with rate ``lambda ~ Gamma(r, alpha)``; they stay active for an
exponential lifetime with rate ``mu ~ Gamma(s, beta)``. For ``x`` repeat purchases, the last at
``t_x``, observed for ``T`` (Fader & Hardie 2005, "A note on deriving the Pareto/NBD model"):

``L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
      + s * integral_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du ]``

The integral is ``s/(r+s+x) * (A(t_x) - A(T))`` with a Gauss hypergeometric function. The usual
form ``2F1(r+s+x, s+1; r+s+x+1; z)`` overflows for large ``x`` (lifetimes returns NaN from about
130 purchases); Euler's transformation turns it into ``2F1(1, r+x; r+s+x+1; z)`` (or
``2F1(1, s+1; ...)`` when ``alpha < beta``), which lies between 1 and ``1/(1-z)``:

- ``alpha >= beta``: ``A(u) = 2F1(1, r+x; r+s+x+1; (alpha-beta)/(alpha+u))
  (alpha+u)^-(r+x) (beta+u)^-s``
- ``alpha < beta``: ``A(u) = 2F1(1, s+1; r+s+x+1; (beta-alpha)/(beta+u))
  (alpha+u)^(1-r-x) (beta+u)^-(s+1)``
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from loyalist.clv.base import (
    Array,
    Data,
    PurchaseModel,
    broadcast,
)


def _log_a(r: float, alpha: float, s: float, beta: float, x: Array, u: Array) -> Array:
    """``log A(u)`` of the module docstring."""
    k1 = r + s + x + 1
    if alpha >= beta:
        z = (alpha - beta) / (alpha + u)
        return (np.log(hyp2f1(1.0, r + x, k1, z)) - (r + x) * np.log(alpha + u)
                - s * np.log(beta + u))
    z = (beta - alpha) / (beta + u)
    return (np.log(hyp2f1(1.0, s + 1, k1, z)) + (1 - r - x) * np.log(alpha + u)
            - (s + 1) * np.log(beta + u))


def _log_terms(p: Array, x: Array, t_x: Array, t: Array,
               groups: Data | None = None) -> tuple[Array, Array]:
    """Log of the 'alive at T' term and of the 'died in (t_x, T]' term (without constants).

    With ``groups`` (see ``ParetoNBD.fit``) the hypergeometric terms are computed once per
    distinct ``(x, t_x)`` and ``(x, T)`` and gathered per row.
    """
    r, alpha, s, beta = p
    if groups is None:
        alive = -(r + x) * np.log(alpha + t) - s * np.log(beta + t)
        hi, lo = _log_a(r, alpha, s, beta, x, t_x), _log_a(r, alpha, s, beta, x, t)
    else:
        xa, ta, ia = groups["x@a"], groups["T@a"], groups["ia"]
        alive = (-(r + xa) * np.log(alpha + ta) - s * np.log(beta + ta))[ia]
        lo = _log_a(r, alpha, s, beta, xa, ta)[ia]
        hi = _log_a(r, alpha, s, beta, groups["x@t"], groups["t_x@t"])[groups["it"]]
    with np.errstate(divide="ignore"):
        died = np.log(s) - np.log(r + s + x) + hi + np.log1p(-np.exp(np.minimum(lo - hi, 0.0)))
    return alive, died


class ParetoNBD(PurchaseModel):
    """Pareto/NBD model: ``fit(frequency, recency, T)`` estimates ``r, alpha, s, beta``.

    Examples
    --------
    >>> m = ParetoNBD().fit([0, 1, 3, 5, 2, 0], [0, 4, 20, 30, 9, 0], [38, 38, 38, 38, 30, 32])
    >>> sorted(m.params_)
    ['alpha', 'beta', 'r', 's']
    >>> bool(0 < m.conditional_probability_alive(5, 30, 38)[0] <= 1)
    True
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    initial: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)

    # the hypergeometric terms depend on (x, t_x) or (x, T) only
    groups: ClassVar[dict[str, tuple[str, ...]]] = {"t": ("x", "t_x"), "a": ("x", "T")}

    def _start(self, data: Data, weights: Array) -> Array:
        scale = float(np.average(data["T"], weights=weights)) or 1.0
        return np.array([0.5, max(scale / 4, 0.1), 0.5, max(scale / 4, 0.1)])

    def _loglik(self, params: Array, data: Data) -> Array:
        r, alpha, s, beta = params
        ux = data["ux"]
        const = (gammaln(r + ux) - gammaln(r))[data["inv"]]
        alive, died = _log_terms(params, data["x"], data["t_x"], data["T"], data)
        return const + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(alive, died)

    def _value_and_gradient(self, params: Array, data: Data,
                            weights: Array) -> tuple[float, Array]:
        return _value_and_grouped_gradient(params, data, weights)

    # -- predictions ----------------------------------------------------------------------
    def conditional_probability_alive(self, frequency: Any, recency: Any,
                                      T: Any) -> Array:  # noqa: N803
        """P(the customer is still active at ``T``)."""
        params = self._check_fitted()
        x, t_x, t = broadcast(frequency, recency, T)
        alive, died = _log_terms(params, x, t_x, t)
        return np.atleast_1d(np.exp(alive - np.logaddexp(alive, died)))

    def conditional_expected_number_of_purchases_up_to_time(
            self, t: Any, frequency: Any, recency: Any, T: Any) -> Array:  # noqa: N803
        """E[purchases in (T, T + t]] given the customer's history."""
        h, x, t_x, age = broadcast(t, frequency, recency, T)
        return np.atleast_1d(self.expected_purchases_if_alive(h, x, age)
                             * self.conditional_probability_alive(x, t_x, age))

    def expected_purchases_if_alive(self, t: Any, frequency: Any, T: Any) -> Array:  # noqa: N803
        """E[purchases in (T, T + t]] for a customer still active at ``T`` with ``x`` repeats."""
        r, alpha, s, beta = self._check_fitted()
        h, x, age = broadcast(t, frequency, T)
        return np.atleast_1d((r + x) / (alpha + age) * _lifetime_factor(s, beta + age, h))

    def expected_number_of_purchases_up_to_time(self, t: Any) -> Array:
        """E[X(t)] for a customer who has just made a first purchase."""
        r, alpha, s, beta = self._check_fitted()
        (h,) = broadcast(t)
        return np.atleast_1d(r / alpha * _lifetime_factor(s, beta, h))


def _lifetime_factor(s: float, base: Array | float, h: Array) -> Array:
    """``integral_0^h (base/(base+u))^s du`` = ``base/(s-1) (1 - (base/(base+h))^(s-1))``."""
    if abs(s - 1) < 1e-9:
        return np.asarray(base * np.log1p(h / base))
    return np.asarray(base / (s - 1) * -np.expm1((s - 1) * -np.log1p(h / base)))


def _pair_derivatives(p: Array, x: Array, u: Array) -> Array:
    """Derivatives of log A(u) by parameter, per distinct pair (central differences)."""
    out = np.empty((4, len(x)))
    for i in range(4):
        h = 1e-6 * p[i]
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        out[i] = (_log_a(up[0], up[1], up[2], up[3], x, u)
                  - _log_a(down[0], down[1], down[2], down[3], x, u)) / (2 * h)
    return out


def _value_and_grouped_gradient(p: Array, data: Data, weights: Array) -> tuple[float, Array]:
    """Weighted log-likelihood and its gradient, from one pass over the rows.

    The gradient is analytic per row and numeric only per distinct pair.

    Per row ``LL = c(x) + r log alpha + s log beta + logaddexp(A, D)`` with
    ``D = log(s/(r+s+x)) + H + log(1 - exp(L - H))``; ``A``, ``H`` (the A-function at t_x) and
    ``L`` (at T) are per-pair terms, so their derivatives are taken once per pair and combined
    with the per-row weights ``dLL/dA``, ``dLL/dH = exp(log(s/(r+s+x)) + H - LL')`` and
    ``dLL/dL = -exp(log(s/(r+s+x)) + L - LL')``.
    """
    r, alpha, s, beta = p
    x = data["x"]
    it, ia = data["it"], data["ia"]
    xa, ta, xt, txt = data["x@a"], data["T@a"], data["x@t"], data["t_x@t"]
    alive_p = -(r + xa) * np.log(alpha + ta) - s * np.log(beta + ta)
    lo_p, hi_p = _log_a(r, alpha, s, beta, xa, ta), _log_a(r, alpha, s, beta, xt, txt)
    alive, lo, hi = alive_p[ia], lo_p[ia], hi_p[it]
    c = np.log(s) - np.log(r + s + x)
    with np.errstate(divide="ignore"):
        died = c + hi + np.log1p(-np.exp(np.minimum(lo - hi, 0.0)))
    total = np.logaddexp(alive, died)
    q = np.exp(died - total)
    w_alive = np.bincount(ia, weights * (1 - q), minlength=len(xa))
    w_lo = np.bincount(ia, -weights * np.exp(c + lo - total), minlength=len(xa))
    w_hi = np.bincount(it, weights * np.exp(c + hi - total), minlength=len(xt))
    d_alive = np.array([-np.log(alpha + ta), -(r + xa) / (alpha + ta),
                        -np.log(beta + ta), -s / (beta + ta)])
    grad = (d_alive @ w_alive + _pair_derivatives(p, xa, ta) @ w_lo
            + _pair_derivatives(p, xt, txt) @ w_hi)
    ux, inv = data["ux"], data["inv"]
    ux_w = np.bincount(inv, weights=weights, minlength=len(ux))
    wq, total_w = weights * q, float(weights.sum())
    value = (float(np.dot(ux_w, gammaln(r + ux) - gammaln(r)))
             + total_w * (r * np.log(alpha) + s * np.log(beta)) + float(np.dot(weights, total)))
    grad[0] += (np.dot(ux_w, digamma(r + ux) - digamma(r)) + total_w * np.log(alpha)
                - np.dot(wq, 1 / (r + s + x)))
    grad[1] += total_w * r / alpha
    grad[2] += total_w * np.log(beta) + np.dot(wq, 1 / s - 1 / (r + s + x))
    grad[3] += total_w * s / beta
    return value, np.asarray(grad)
