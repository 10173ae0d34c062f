"""Churn risk: signals, a declarative health score, a learned alternative and backtests."""

from __future__ import annotations

from loyalist.risk.backtest import Backtest, auc, backtest
from loyalist.risk.learned import LearnedScore
from loyalist.risk.score import explain, health_scores, score_signals
from loyalist.risk.signals import SIGNALS, risk_signals
from loyalist.risk.spec import HealthSpec, SpecError, load_spec, parse_spec

__all__ = ["SIGNALS", "Backtest", "HealthSpec", "LearnedScore", "SpecError", "auc", "backtest",
           "explain", "health_scores", "load_spec", "parse_spec", "risk_signals",
           "score_signals"]
