"""What every CLV model shares: maximum likelihood, standard errors, summary and AIC.

A model declares its parameter names, a starting point and ``_loglik(params, data)``, the
per-row log-likelihood, and optionally ``_gradient`` (its derivative with respect to each
parameter, summed with weights) or ``_value_and_gradient`` (both sums from one pass, for models
whose terms are costly). The base class fits on log-parameters (every parameter is
positive) with L-BFGS-B from a fixed start, so a fit is deterministic; rows with the same data
are merged and weighted first, which keeps large fits fast.

Standard errors come from the observed information (the Hessian of the log-likelihood at the
optimum, by central differences on the log scale) and the delta method; they are computed the
first time they are asked for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

from loyalist.errors import ConvergenceError, InputError, NotFittedError

Array = npt.NDArray[np.float64]
#: a model's prepared data: float columns, integer group indexes and per-group columns
Data = dict[str, npt.NDArray[Any]]


def as_array(values: Any, name: str, *, integer: bool = False) -> Array:
    """``values`` as a 1-D float array, rejecting NaN, infinities and negative numbers."""
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional", column=name)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} has missing or infinite values", column=name)
    if np.any(arr < 0):
        raise InputError(f"{name} has negative values", column=name)
    if integer and np.any(arr != np.round(arr)):
        raise InputError(f"{name} must hold whole numbers", column=name)
    return arr


def compress(columns: dict[str, Array], weights: Array | None) -> tuple[Data, Array]:
    """Merge identical rows of ``columns`` and add up their weights."""
    n = len(next(iter(columns.values())))
    w = np.ones(n) if weights is None else as_array(weights, "weights")
    if len(w) != n or any(len(c) != n for c in columns.values()):
        raise InputError("all inputs must have the same length")
    frame = pd.DataFrame(columns)
    frame["_w"] = w
    # a hash group-by: about 25 times faster than np.unique(axis=0) on a million rows
    grouped = frame.groupby(list(columns), sort=False, as_index=False)["_w"].sum()
    grouped = grouped[grouped["_w"] > 0]
    data = {name: grouped[name].to_numpy(np.float64) for name in columns}
    return data, grouped["_w"].to_numpy(np.float64)


Index = npt.NDArray[np.intp]


def group_index(data: Data, columns: Sequence[str]) -> tuple[Index, Index]:
    """Row index of the first row of each distinct ``columns`` combination, and each row's group.

    Lets a model compute expensive terms once per distinct combination (e.g. a hypergeometric
    function of frequency and recency) and gather them per row.
    """
    frame = pd.DataFrame({c: data[c] for c in columns})
    inverse: Index = np.asarray(frame.groupby(list(columns), sort=False).ngroup(), dtype=np.intp)
    first: Index = np.empty(int(inverse.max()) + 1 if len(inverse) else 0, dtype=np.intp)
    first[inverse[::-1]] = np.arange(len(inverse), dtype=np.intp)[::-1]
    return first, inverse


def per_distinct(function: Callable[..., Array], *columns: Array) -> Array:
    """``function(*columns)`` evaluated once per distinct row of ``columns``, then gathered.

    For expensive vectorised terms (a hypergeometric function per customer) whose inputs repeat:
    a million customers have only thousands of distinct (frequency, age) pairs.
    """
    flat = [np.ravel(c) for c in columns]
    if flat and len(flat[0]) < 1000:
        return np.asarray(function(*flat)).reshape(np.shape(columns[0]))
    first, groups = group_index({f"c{i}": c for i, c in enumerate(flat)},
                                [f"c{i}" for i in range(len(flat))])
    values = np.asarray(function(*(c[first] for c in flat)))
    return values[groups].reshape(np.shape(columns[0]))


def index_frequencies(data: Data) -> None:
    """Add ``ux`` (the distinct frequencies) and ``inv`` (each row's index into ``ux``).

    Terms that depend on the frequency only (gamma functions) are computed once per value.
    """
    ux, inverse = np.unique(data["x"], return_inverse=True)
    data["ux"], data["inv"] = ux, inverse.ravel().astype(np.intp)


class BaseModel:
    """Maximum likelihood for a model with positive parameters (see the module docstring)."""

    param_names: ClassVar[tuple[str, ...]] = ()
    initial: ClassVar[tuple[float, ...]] = ()

    def __init__(self, *, penalizer_coef: float = 0.0, tol: float = 1e-10,
                 max_iter: int = 2000) -> None:
        self.penalizer_coef = penalizer_coef
        self.tol = tol
        self.max_iter = max_iter

    # -- what a model provides --------------------------------------------------------------
    def _loglik(self, params: Array, data: Data) -> Array:
        raise NotImplementedError

    def _gradient(self, params: Array, data: Data, weights: Array) -> Array | None:
        """Weighted sum of d loglik / d param, or None to use finite differences."""
        return None

    def _start(self, data: Data, weights: Array) -> Array:
        return np.asarray(self.initial, dtype=np.float64)

    # -- fitting ---------------------------------------------------------------------------
    def _fit(self, data: Data, weights: Array) -> Self:
        for attr in ("params_", "log_likelihood_", "_cov", "_data", "_weights"):
            self.__dict__.pop(attr, None)
        if weights.sum() <= 0:
            raise InputError("nothing to fit: no rows with positive weight")
        total = float(weights.sum())
        x0 = np.log(self._start(data, weights))
        objective = self._objective(data, weights, total)
        res = optimize.minimize(objective, x0, jac=True, method="L-BFGS-B",
                                bounds=[(-12.0, 12.0)] * len(x0),
                                options={"maxiter": self.max_iter, "ftol": self.tol * 1e-3,
                                         "gtol": self.tol, "maxcor": 20})
        if not np.all(np.isfinite(res.x)) or not math.isfinite(res.fun):
            raise ConvergenceError(f"{type(self).__name__} did not converge: {res.message}")
        params = np.exp(res.x)
        self.params_ = dict(zip(self.param_names, (float(p) for p in params), strict=True))
        self.log_likelihood_ = float(np.dot(weights, self._loglik(params, data)))
        self._data, self._weights = data, weights
        return self

    def _objective(self, data: Data, weights: Array,
                   total: float) -> Callable[[Array], tuple[float, Array]]:
        def f(log_params: Array) -> float:
            p = np.exp(log_params)
            # the optimiser may try extreme values: a non-finite likelihood just ranks last
            with np.errstate(all="ignore"):
                ll = float(np.dot(weights, self._loglik(p, data)))
            penalty = self.penalizer_coef * float(np.sum(p ** 2))
            return -(ll - penalty) / total if math.isfinite(ll) else 1e100

        combined = getattr(self, "_value_and_gradient", None)

        def f_and_grad(log_params: Array) -> tuple[float, Array]:
            p = np.exp(log_params)
            if combined is not None:
                with np.errstate(all="ignore"):
                    ll, grad_ll = combined(p, data, weights)
                if math.isfinite(ll) and np.all(np.isfinite(grad_ll)):
                    penalty = self.penalizer_coef * float(np.sum(p ** 2))
                    grad_ll = grad_ll - 2 * self.penalizer_coef * p
                    return -(ll - penalty) / total, -(grad_ll * p) / total
            value = f(log_params)
            with np.errstate(all="ignore"):
                grad = self._gradient(p, data, weights)
            if grad is not None and not np.all(np.isfinite(grad)):
                grad = None
            if grad is None:
                return value, _numeric_gradient(f, log_params, value)
            grad = grad - 2 * self.penalizer_coef * p
            return value, -(grad * p) / total

        return f_and_grad

    # -- fitted state ------------------------------------------------------------------------
    def _check_fitted(self) -> Array:
        if "params_" not in self.__dict__:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit first")
        return np.array([self.params_[n] for n in self.param_names])

    @property
    def covariance_(self) -> Array:
        """Covariance of the estimates (inverse observed information, delta method)."""
        params = self._check_fitted()
        if "_cov" not in self.__dict__:
            def ll(log_params: Array) -> float:
                return float(np.dot(self._weights, self._loglik(np.exp(log_params),
                                                                 self._data)))
            hess = _hessian(ll, np.log(params))
            try:
                cov_log = np.linalg.inv(-hess)
            except np.linalg.LinAlgError:
                cov_log = np.full_like(hess, np.nan)
            jac = np.diag(params)
            self._cov = jac @ cov_log @ jac
        return np.asarray(self._cov)

    @property
    def standard_errors_(self) -> dict[str, float]:
        """Standard error of each parameter."""
        se = np.sqrt(np.clip(np.diag(self.covariance_), 0, None))
        return dict(zip(self.param_names, (float(s) for s in se), strict=True))

    @property
    def aic_(self) -> float:
        """Akaike information criterion: 2k - 2 log-likelihood."""
        self._check_fitted()
        return 2 * len(self.param_names) - 2 * self.log_likelihood_

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95 % Wald intervals (on the log scale)."""
        params = self._check_fitted()
        se = np.array(list(self.standard_errors_.values()))
        half = 1.959964 * se / params
        return pd.DataFrame({"coef": params, "se(coef)": se,
                             "lower 95% bound": params * np.exp(-half),
                             "upper 95% bound": params * np.exp(half)},
                            index=pd.Index(self.param_names, name="param"))

    def param_draws(self, draws: int, random_state: int | None = 0) -> Array:
        """Parameter vectors drawn from the estimates' asymptotic distribution (log scale)."""
        params = self._check_fitted()
        cov_log = self.covariance_ / np.outer(params, params)
        if not np.all(np.isfinite(cov_log)):
            raise ConvergenceError("no parameter uncertainty: the information matrix is "
                                   "singular (is a parameter at its bound?)")
        rng = np.random.default_rng(random_state)
        return np.exp(rng.multivariate_normal(np.log(params), cov_log, size=draws,
                                              method="eigh"))

    def interval(self, predict: Callable[[BaseModel], Array], *, level: float = 0.95,
                 draws: int = 200, random_state: int | None = 0) -> tuple[Array, Array]:
        """Lower and upper ``level`` bounds of ``predict(model)`` over parameter draws.

        ``predict`` receives a copy of this model with drawn parameters (parametric bootstrap
        from the asymptotic distribution of the estimates).
        """
        samples = []
        for drawn in self.param_draws(draws, random_state):
            clone = self.__class__.__new__(self.__class__)
            clone.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_cov"})
            clone.params_ = dict(zip(self.param_names, (float(p) for p in drawn), strict=True))
            samples.append(np.asarray(predict(clone), dtype=np.float64))
        stacked = np.vstack(samples)
        tail = (1 - level) / 2 * 100
        lower, upper = np.percentile(stacked, [tail, 100 - tail], axis=0)
        return lower, upper

    def __repr__(self) -> str:
        if "params_" not in self.__dict__:
            return f"{type(self).__name__}()"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({shown}, log_likelihood={self.log_likelihood_:.2f})"


class PurchaseModel(BaseModel):
    """A model of repeat purchases fitted to ``(frequency, recency, T)`` in one time unit.

    ``groups`` names the column combinations whose expensive terms a model computes once per
    distinct value (see :func:`group_index`); they are stored as ``f<key>``/``i<key>``.
    """

    groups: ClassVar[dict[str, tuple[str, ...]]] = {}

    def fit(self, frequency: Any, recency: Any, T: Any, weights: Any = None) -> Self:  # noqa: N803
        """Fit to repeat purchases, time of the last purchase and age (same time unit)."""
        x = as_array(frequency, "frequency", integer=True)
        t_x = as_array(recency, "recency")
        t = as_array(T, "T")
        if np.any(t_x > t + 1e-9):
            raise InputError("recency must not exceed T", column="recency")
        return self._fit(*self._prepare(x, t_x, t, weights))

    def _prepare(self, x: Array, t_x: Array, t: Array, weights: Any) -> tuple[Data, Array]:
        data, w = compress({"x": x, "t_x": t_x, "T": t}, weights)
        index_frequencies(data)
        for key, cols in self.groups.items():
            first, groups = group_index(data, cols)
            data["i" + key] = groups
            for col in cols:  # each group's own values, gathered once rather than per evaluation
                data[f"{col}@{key}"] = data[col][first]
        return data, w


def _numeric_gradient(f: Callable[[Array], float], x: Array, fx: float) -> Array:
    grad = np.empty_like(x)
    for i in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[i]))
        step = x.copy()
        step[i] += h
        up = f(step)
        step[i] -= 2 * h
        grad[i] = (up - f(step)) / (2 * h)
    return grad


def _hessian(f: Callable[[Array], float], x: Array, h: float = 1e-4) -> Array:
    k = len(x)
    hess = np.empty((k, k))
    eye = np.eye(k) * h
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                value = (f(x + eye[i]) - 2 * f0 + f(x - eye[i])) / h ** 2
            else:
                value = (f(x + eye[i] + eye[j]) - f(x + eye[i] - eye[j])
                         - f(x - eye[i] + eye[j]) + f(x - eye[i] - eye[j])) / (4 * h ** 2)
            hess[i, j] = hess[j, i] = value
    return hess


def broadcast(*arrays: Any) -> list[Array]:
    """Inputs as float arrays broadcast to one shape."""
    return [np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(*arrays)]

