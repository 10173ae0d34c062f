"""Customer lifetime value from a purchase model and a spend model.

``CLV = sum_{i=1..H} E[purchases in month i] * E[spend per purchase] / (1 + d)^i``

where the months are counted from the end of the data (``T``), ``H`` is the horizon in months
and ``d`` the *monthly* discount rate (0.01 is about 12.7 % a year). The data's time unit is
explicit: ``unit="W"`` (weeks, 4.348 a month), ``"D"`` (days, 30.44 a month) or ``"M"``.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from loyalist.clv.base import Array, broadcast, per_distinct
from loyalist.errors import InputError

UNITS_PER_MONTH = {"D": 365.25 / 12, "W": 365.25 / 12 / 7, "M": 1.0}


class PurchaseModel(Protocol):
    """What CLV needs from a fitted BG/NBD, MBG/NBD or Pareto/NBD model."""

    def conditional_probability_alive(self, frequency: Any, recency: Any,
                                      T: Any) -> Array:  # noqa: N803
        """P(alive at T)."""

    def expected_purchases_if_alive(self, t: Any, frequency: Any,
                                    T: Any) -> Array:  # noqa: N803
        """E[purchases in (T, T+t]] if alive at T."""


class SpendModel(Protocol):
    """What CLV needs from a fitted Gamma-Gamma model."""

    def conditional_expected_average_profit(self, frequency: Any = None,
                                            monetary_value: Any = None) -> Array:
        """E[spend per purchase]."""


def customer_lifetime_value(transactions: PurchaseModel, spend: SpendModel, frequency: Any,
                            recency: Any, T: Any, monetary_value: Any, *,  # noqa: N803
                            months: int = 12, unit: str = "W", discount_rate: float = 0.01,
                            margin: float = 1.0) -> Array:
    """Discounted expected value of each customer's purchases over the next ``months``.

    Customers are grouped by ``(frequency, T)`` so each month's expectation is computed once
    per group, and P(alive) once per customer: a million customers take about a second.

    Examples
    --------
    >>> from loyalist.clv import BetaGeo, GammaGamma
    >>> bg, gg = BetaGeo(), GammaGamma()      # the CDNOW estimates (weeks)
    >>> bg.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> gg.params_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    >>> value = customer_lifetime_value(bg, gg, [5, 0], [30, 0], [38, 38], [18.0, 0.0])
    >>> bool(value[0] > value[1] > 0)
    True
    """
    if unit not in UNITS_PER_MONTH:
        raise InputError(f"unit must be one of {', '.join(UNITS_PER_MONTH)}, got {unit!r}")
    if months < 1 or discount_rate < 0:
        raise InputError("months must be >= 1 and discount_rate >= 0")
    x, t_x, age, m = (v.ravel() for v in broadcast(frequency, recency, T, monetary_value))
    p_alive = transactions.conditional_probability_alive(x, t_x, age)
    step = UNITS_PER_MONTH[unit]
    months_ahead = np.arange(1, months + 1, dtype=np.float64)

    def discounted_purchases(xu: Array, tu: Array) -> Array:
        cumulative = np.vstack([transactions.expected_purchases_if_alive(k * step, xu, tu)
                                for k in months_ahead])
        monthly = np.diff(cumulative, axis=0, prepend=0.0)
        return np.asarray((monthly / (1 + discount_rate) ** months_ahead[:, None]).sum(axis=0))

    # the purchase terms depend on (x, T) only: once per distinct pair
    factor = per_distinct(discounted_purchases, x, age)
    per_purchase = spend.conditional_expected_average_profit(x, m)
    return np.asarray(margin * factor * p_alive * per_purchase)
