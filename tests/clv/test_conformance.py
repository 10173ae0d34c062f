"""One conformance suite for every model (house style 8): the fitter contract."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from loyalist.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)
from loyalist.clv.base import BaseModel
from loyalist.errors import InputError, NotFittedError

RNG = np.random.default_rng(7)
# Pareto/NBD-like histories: gamma purchase rates, exponential lifetimes, 40 weeks observed
_T = np.full(300, 40.0)
_ACTIVE = np.minimum(RNG.exponential(1 / RNG.gamma(1.0, 1 / 20, 300)), _T)
_X = RNG.poisson(RNG.gamma(0.8, 1 / 2, 300) * _ACTIVE).astype(float)
_TX = np.round(np.where(_X > 0, _ACTIVE * RNG.beta(np.maximum(_X, 1), 1), 0.0), 1)
_N = RNG.integers(0, 7, 300)
_BB_TX = _N.astype(float)
_BB_X = np.array([RNG.integers(1, t + 1) if t > 0 else 0 for t in _N], dtype=float)

CASES: dict[str, tuple[Callable[[], BaseModel], tuple[Any, ...],
                       Callable[[Any], Any]]] = {
    "BetaGeo": (BetaGeo, (_X, _TX, _T),
                lambda m: m.conditional_probability_alive(_X, _TX, _T)),
    "ModifiedBetaGeo": (ModifiedBetaGeo, (_X, _TX, _T),
                        lambda m: m.conditional_probability_alive(_X, _TX, _T)),
    "ParetoNBD": (ParetoNBD, (_X, _TX, _T),
                  lambda m: m.conditional_probability_alive(_X, _TX, _T)),
    "GammaGamma": (GammaGamma, (_X + 1, RNG.gamma(5, 4, 300)),
                   lambda m: m.conditional_expected_average_profit(3, 20.0)),
    "ShiftedBetaGeo": (ShiftedBetaGeo, ([1000, 700, 560, 480, 420],),
                       lambda m: m.survival_function([1, 2, 3])),
    "BetaGeoBetaBinom": (BetaGeoBetaBinom, (_BB_X, _BB_TX, np.full(300, 6.0)),
                         lambda m: m.conditional_probability_alive(_BB_X, _BB_TX, 6)),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[Callable[[], BaseModel], tuple[Any, ...],
                                                  Callable[[Any], Any]]:
    return CASES[request.param]


def test_fit_returns_self_and_sets_fitted_state(case: Any) -> None:
    make, args, _ = case
    model = make()
    assert model.fit(*args) is model
    assert set(model.params_) == set(model.param_names)
    assert all(v > 0 and np.isfinite(v) for v in model.params_.values())
    assert np.isfinite(model.log_likelihood_) and model.log_likelihood_ < 0
    assert model.aic_ == pytest.approx(2 * len(model.param_names) - 2 * model.log_likelihood_)
    summary = model.summary()
    assert list(summary.index) == list(model.param_names)
    assert (summary["lower 95% bound"] < summary["coef"]).all()
    assert (summary["coef"] < summary["upper 95% bound"]).all()


def test_refit_is_idempotent_and_deterministic(case: Any) -> None:
    make, args, predict = case
    model = make().fit(*args)
    first, first_pred = dict(model.params_), predict(model)
    model.fit(*args)
    assert model.params_ == first
    np.testing.assert_array_equal(predict(model), first_pred)
    assert make().fit(*args).params_ == first


def test_pickle_round_trip(case: Any) -> None:
    make, args, predict = case
    model = make().fit(*args)
    clone = pickle.loads(pickle.dumps(model))
    assert clone.params_ == model.params_
    np.testing.assert_array_equal(predict(clone), predict(model))


def test_predict_before_fit_raises(case: Any) -> None:
    make, _, predict = case
    with pytest.raises(NotFittedError, match="not fitted"):
        predict(make())
    with pytest.raises(NotFittedError):
        _ = make().standard_errors_


def test_bad_input_is_an_input_error(case: Any) -> None:
    make, args, _ = case
    bad = [np.array(a, dtype=float).copy() for a in args]
    bad[0][0] = np.nan
    with pytest.raises(InputError):
        make().fit(*bad)


def test_weights_equal_repeated_rows() -> None:
    x, t_x, t = [0, 2, 5], [0, 10, 30], [40, 40, 40]
    weighted = BetaGeo().fit(x, t_x, t, weights=[3, 1, 2])
    repeated = BetaGeo().fit([0, 0, 0, 2, 5, 5], [0, 0, 0, 10, 30, 30], [40] * 6)
    for name in weighted.param_names:
        assert weighted.params_[name] == pytest.approx(repeated.params_[name], rel=1e-9)
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-12)


def test_recency_after_age_is_rejected() -> None:
    with pytest.raises(InputError, match="recency"):
        BetaGeo().fit([1], [41], [40])


def test_prediction_interval_brackets_the_estimate(case: Any) -> None:
    make, args, predict = case
    model = make().fit(*args)
    lower, upper = model.interval(predict, draws=100)
    estimate = predict(model)
    assert np.all(lower <= estimate + 1e-12) and np.all(estimate <= upper + 1e-12)
    assert np.any(upper > lower)
