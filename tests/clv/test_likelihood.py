"""Each closed-form likelihood equals the model's definition integrated numerically.

For a few customers, the individual-level likelihood (given a purchase rate and a dropout
probability or rate) is averaged over the mixing distributions by numerical quadrature -- an
independent check of the algebra and of the hypergeometric transformations in each model. The
purchase rate is averaged with the gamma identity ``E[lam^x e^(-lam u)] = G(r+x)/G(r) alpha^r /
(alpha+u)^(r+x)``; dropout (a beta probability or a gamma rate) is integrated with QUADPACK,
using its algebraic weight ``p^(a-1) (1-p)^(b-1)`` for beta densities.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import betaln, gammaln

from loyalist.clv import BetaGeo, BetaGeoBetaBinom, ModifiedBetaGeo, ParetoNBD
from loyalist.clv.base import BaseModel, compress

CUSTOMERS = [(0, 0.0, 30.0), (1, 4.0, 30.0), (4, 21.5, 38.9), (9, 38.0, 38.9), (3, 12.0, 12.0),
             (150, 190.0, 200.0)]


def _loglik(model: BaseModel, params: dict[str, float], row: tuple[float, ...]) -> float:
    columns = [np.array([float(v)]) for v in row]
    if isinstance(model, BetaGeoBetaBinom):
        data, _ = compress(dict(zip(("x", "t_x", "n"), columns, strict=True)), None)
    else:
        data, _ = model._prepare(*columns, None)  # type: ignore[attr-defined]
    values = np.array([params[n] for n in model.param_names])
    return float(model._loglik(values, data)[0])


def _log_gamma_mix(r: float, alpha: float, x: float, u: float) -> float:
    """log E[lam^x exp(-lam u)] for lam ~ Gamma(r, alpha)."""
    return gammaln(r + x) - gammaln(r) + r * math.log(alpha) - (r + x) * math.log(alpha + u)


def _beta_average(f: object, a: float, b: float) -> float:
    value, _ = integrate.quad(f, 0, 1, weight="alg", wvar=(a - 1, b - 1),  # type: ignore[call-overload]
                              epsabs=0, epsrel=1e-11, limit=200)
    return float(value) / math.exp(betaln(a, b))


@pytest.mark.parametrize("row", CUSTOMERS)
@pytest.mark.parametrize("model", [BetaGeo, ModifiedBetaGeo])
def test_bg_family(model: type[BetaGeo], row: tuple[float, float, float]) -> None:
    params = {"r": 0.8, "alpha": 4.0, "a": 0.9, "b": 2.5}
    x, t_x, t = row
    # scale out the rate part so the numbers stay in floating-point range for large x
    shift = _log_gamma_mix(params["r"], params["alpha"], x, t_x)
    at_t = math.exp(_log_gamma_mix(params["r"], params["alpha"], x, t) - shift)
    k = x + 1 if model.modified else x

    def given_p(p: float) -> float:
        value = (1 - p) ** k * at_t
        if x > 0 or model.modified:
            value += p * (1 - p) ** (k - 1)
        return value

    expected = math.log(_beta_average(given_p, params["a"], params["b"])) + shift
    assert _loglik(model(), params, row) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("row", CUSTOMERS)
@pytest.mark.parametrize("params", [
    {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7},   # alpha < beta
    {"r": 0.9, "alpha": 6.0, "s": 1.4, "beta": 3.0},      # alpha > beta
])
def test_pareto_nbd(params: dict[str, float], row: tuple[float, float, float]) -> None:
    """``L = E[lam^x e^(-lam T)] E[e^(-mu T)] + int_{t_x}^T E[lam^x e^(-lam u)] E[mu e^(-mu u)]
    du`` (alive at T, or died at u after the last purchase)."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    x, t_x, t = row
    shift = _log_gamma_mix(r, alpha, x, t_x)

    def died_at(u: float) -> float:
        return math.exp(_log_gamma_mix(r, alpha, x, u) - shift
                        + math.log(s) + s * math.log(beta) - (s + 1) * math.log(beta + u))

    alive = math.exp(_log_gamma_mix(r, alpha, x, t) - shift + s * (math.log(beta)
                                                                   - math.log(beta + t)))
    died, _ = integrate.quad(died_at, t_x, t, epsabs=0, epsrel=1e-11, limit=200)
    expected = math.log(alive + died) + shift
    assert _loglik(ParetoNBD(), params, row) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("row", [(0, 0, 6), (1, 1, 6), (3, 5, 6), (6, 6, 6), (2, 2, 6)])
def test_bg_bb(row: tuple[int, int, int]) -> None:
    params = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
    x, t_x, n = row

    def given_p_theta(p: float, theta: float) -> float:
        value = p ** x * (1 - p) ** (n - x) * (1 - theta) ** n
        for i in range(n - t_x):
            value += p ** x * (1 - p) ** (t_x - x + i) * theta * (1 - theta) ** (t_x + i)
        return value

    def given_theta(theta: float) -> float:
        return _beta_average(lambda p: given_p_theta(p, theta), params["alpha"], params["beta"])

    expected = math.log(_beta_average(given_theta, params["gamma"], params["delta"]))
    assert _loglik(BetaGeoBetaBinom(), params, row) == pytest.approx(expected, rel=1e-8)
