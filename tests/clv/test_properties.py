"""Predictions stay finite and sensible for extreme customers (Hypothesis).

Frequencies up to 10,000, ages up to 1,000 periods, recency at 0 and at T: lifetimes returns
NaN for Pareto/NBD from about 130 purchases at T = 200, pymc-marketing near 1,600 for BG/NBD.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalist.clv import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD, customer_lifetime_value
from loyalist.clv.base import BaseModel

MODELS: dict[str, BaseModel] = {}


def fitted(name: str) -> BaseModel:
    """CDNOW-like parameters, set directly (the properties hold for any fitted model)."""
    if name not in MODELS:
        model: BaseModel = {"bg": BetaGeo, "mbg": ModifiedBetaGeo, "pareto": ParetoNBD}[name]()
        model.params_ = ({"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
                         if name == "pareto" else
                         {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        model.log_likelihood_ = float("nan")
        MODELS[name] = model
    return MODELS[name]


@st.composite
def customers(draw: st.DrawFn) -> tuple[float, float, float]:
    age = draw(st.one_of(st.sampled_from([1.0, 38.86, 1000.0]),
                         st.floats(0.01, 1000, allow_nan=False)))
    x = draw(st.one_of(st.sampled_from([0, 1, 132, 1600, 10_000]), st.integers(0, 10_000)))
    if x == 0:
        return 0.0, 0.0, age
    where = draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1)))
    return float(x), where * age, age


@pytest.mark.parametrize("name", ["bg", "mbg", "pareto"])
@settings(max_examples=150, deadline=None)
@given(c=customers(), horizon=st.floats(0.1, 520))
def test_finite_and_ordered(name: str, c: tuple[float, float, float], horizon: float) -> None:
    model = fitted(name)
    x, t_x, age = c
    p = model.conditional_probability_alive(x, t_x, age)  # type: ignore[attr-defined]
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    short, long = (model.conditional_expected_number_of_purchases_up_to_time(  # type: ignore[attr-defined]
        h, x, t_x, age) for h in (horizon, 2 * horizon))
    assert np.all(np.isfinite(long)) and np.all(short >= 0)
    assert np.all(long >= short * (1 - 1e-12))


@pytest.mark.parametrize("name", ["bg", "mbg", "pareto"])
@settings(max_examples=100, deadline=None)
@given(c=customers())
def test_a_later_last_purchase_means_more_likely_alive(name: str,
                                                       c: tuple[float, float, float]) -> None:
    model = fitted(name)
    x, t_x, age = c
    if x == 0:
        return
    earlier = model.conditional_probability_alive(x, t_x / 2, age)  # type: ignore[attr-defined]
    later = model.conditional_probability_alive(x, t_x, age)  # type: ignore[attr-defined]
    assert np.all(later >= earlier * (1 - 1e-9))


@pytest.mark.parametrize("name", ["bg", "mbg", "pareto"])
def test_extremes_vectorised(name: str) -> None:
    model = fitted(name)
    x = np.array([0, 1, 132, 1600, 10_000, 10_000, 10_000], dtype=float)
    age = np.array([1000, 200, 200, 1000, 1000, 1000, 0.5])
    t_x = np.array([0, 0, 200, 999, 1000, 0.001, 0.5])
    p = model.conditional_probability_alive(x, t_x, age)  # type: ignore[attr-defined]
    e = model.conditional_expected_number_of_purchases_up_to_time(52, x, t_x, age)  # type: ignore[attr-defined]
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(e))
    # bought 10,000 times up to the very end: almost surely alive, buying at about that rate
    assert p[4] > 0.99 and e[4] > 100
    # 10,000 purchases, then nothing for 1,000 periods: gone
    assert p[5] < 1e-6


@settings(max_examples=100, deadline=None)
@given(c=customers(), spend=st.floats(0.01, 1e5))
def test_clv_finite_and_non_negative(c: tuple[float, float, float], spend: float) -> None:
    gg = GammaGamma()
    gg.params_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    x, t_x, age = c
    value = customer_lifetime_value(fitted("bg"), gg, x, t_x, age, spend if x else 0.0)
    assert np.all(np.isfinite(value)) and np.all(value >= 0)
