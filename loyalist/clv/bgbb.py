"""BG/BB model for discrete purchase opportunities (Fader, Hardie & Shang 2010).

At each of ``n`` opportunities an active customer buys with probability ``p ~ Beta(alpha,
beta)``, and becomes inactive before the next one with probability ``theta ~ Beta(gamma,
delta)``. For ``x`` purchases, the last at opportunity ``t_x``:

``L = B(alpha+x, beta+n-x)/B(alpha, beta) * B(gamma, delta+n)/B(gamma, delta)
      + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
                            * B(gamma+1, delta+t_x+i)/B(gamma, delta)``
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy.special import betaln, gammaln, logsumexp

from loyalist.clv.base import Array, BaseModel, Data, as_array, broadcast, compress
from loyalist.errors import InputError


def _log_terms(p: Array, x: Array, t_x: Array, n: Array) -> tuple[Array, Array]:
    """Log of the 'alive after n' term and of the total likelihood."""
    a, b, g, d = p
    alive = betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d)
    width = int(np.max(n - t_x)) if len(n) else 0
    i = np.arange(width, dtype=np.float64)[None, :]
    xs, txs, ns = x[:, None], t_x[:, None], n[:, None]
    with np.errstate(invalid="ignore"):
        died = np.where(i < ns - txs,
                        betaln(a + xs, b + txs - xs + i) - betaln(a, b)
                        + betaln(g + 1, d + txs + i) - betaln(g, d), -np.inf)
    total = logsumexp(np.column_stack([alive, died]), axis=1)
    return alive, total


class BetaGeoBetaBinom(BaseModel):
    """BG/BB model: ``fit(frequency, recency, n_periods)`` estimates ``alpha, beta, gamma, delta``.

    Examples
    --------
    >>> m = BetaGeoBetaBinom().fit([0, 1, 3, 6, 2], [0, 1, 5, 6, 3], [6] * 5, [50, 20, 10, 8, 12])
    >>> sorted(m.params_)
    ['alpha', 'beta', 'delta', 'gamma']
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    initial: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)

    def fit(self, frequency: Any, recency: Any, n_periods: Any,
            weights: Any = None) -> BetaGeoBetaBinom:
        """Fit to purchases, the opportunity of the last purchase and opportunities observed."""
        x = as_array(frequency, "frequency", integer=True)
        t_x = as_array(recency, "recency", integer=True)
        n = as_array(n_periods, "n_periods", integer=True)
        if np.any(x > t_x) or np.any(t_x > n) or np.any((x == 0) != (t_x == 0)):
            raise InputError("need 0 <= frequency <= recency <= n_periods, recency 0 iff "
                             "frequency 0")
        return self._fit(*compress({"x": x, "t_x": t_x, "n": n}, weights))

    def _loglik(self, params: Array, data: Data) -> Array:
        return _log_terms(params, data["x"], data["t_x"], data["n"])[1]

    def conditional_probability_alive(self, frequency: Any, recency: Any, n_periods: Any,
                                      m_periods_in_future: int = 0) -> Array:
        """P(still active at opportunity ``n + m``) given the history."""
        params = self._check_fitted()
        x, t_x, n = broadcast(frequency, recency, n_periods)
        x, t_x, n = x.ravel(), t_x.ravel(), n.ravel()
        alive, total = _log_terms(params, x, t_x, n)
        g, d = params[2], params[3]
        shift = betaln(g, d + n + m_periods_in_future) - betaln(g, d + n)
        return np.exp(alive + shift - total)

    def conditional_expected_number_of_purchases_up_to_time(
            self, m_periods_in_future: Any, frequency: Any, recency: Any,
            n_periods: Any) -> Array:
        """E[purchases in the next ``m`` opportunities] given the history (FHS 2010, eq. 13)."""
        params = self._check_fitted()
        a, b, g, d = params
        m, x, t_x, n = (v.ravel() for v in broadcast(m_periods_in_future, frequency, recency,
                                                     n_periods))
        _, total = _log_terms(params, x, t_x, n)
        log_front = (betaln(a + x + 1, b + n - x) - betaln(a, b) - total
                     + gammaln(g + d) - gammaln(1 + d))
        diff = (np.exp(gammaln(1 + d + n) - gammaln(g + d + n))
                - np.exp(gammaln(1 + d + n + m) - gammaln(g + d + n + m)))
        return np.exp(log_front) * d / (g - 1) * diff
