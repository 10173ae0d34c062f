"""A learned churn-risk score: logistic regression on the same signals.

Missing signal values become 0 with an indicator column ``<signal>_missing`` (missing is often
informative: no product use at all); features are standardised; classes are balanced. The
coefficients say which signals the data found predictive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from loyalist.errors import InputError, NotFittedError


def _design(signals: pd.DataFrame, columns: list[str]) -> np.ndarray:
    values = signals[columns].astype(float)
    missing = values.isna().astype(float).add_suffix("_missing")
    return pd.concat([values.fillna(0.0), missing], axis=1).to_numpy()


@dataclass
class LearnedScore:
    """Logistic regression on risk signals; ``fit`` then ``predict`` (0-100)."""

    C: float = 1.0
    random_state: int | None = 0
    columns_: list[str] = field(default_factory=list)

    def fit(self, signals: pd.DataFrame, churned: np.ndarray) -> LearnedScore:
        """Fit on one row of signals per customer and whether each churned later."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = np.asarray(churned, dtype=int)
        if len(y) != len(signals) or len(set(y.tolist())) != 2:
            raise InputError("fit needs one label per row and both churners and stayers")
        self.columns_ = [c for c in signals.columns if c != "customer_id"
                         and signals[c].notna().any()]
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=2000, random_state=self.random_state))
        self.model_.fit(_design(signals, self.columns_), y)
        return self

    def predict(self, signals: pd.DataFrame) -> np.ndarray:
        """Churn probability x 100 per row."""
        if not self.columns_:
            raise NotFittedError("LearnedScore is not fitted yet: call fit first")
        return 100.0 * self.model_.predict_proba(_design(signals, self.columns_))[:, 1]

    def coefficients(self) -> dict[str, float]:
        """Standardised coefficient of every feature (positive = more risk)."""
        if not self.columns_:
            raise NotFittedError("LearnedScore is not fitted yet: call fit first")
        names = self.columns_ + [f"{c}_missing" for c in self.columns_]
        coef = self.model_[-1].coef_[0]
        return dict(zip(names, (float(c) for c in coef), strict=True))
