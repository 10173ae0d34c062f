"""AUC, lift and calibration on known answers; the learned score; a synthetic shop with known
churn drivers; Online Retail (churn = no order in the last 90 days of the data)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from loyalist.errors import InputError, NotFittedError
from loyalist.risk import SIGNALS, LearnedScore, backtest, load_spec, risk_signals, score_signals
from loyalist.risk.backtest import auc


def test_auc_and_lift_by_hand():
    assert auc(np.array([4, 3, 2, 1]), np.array([1, 1, 0, 0])) == 1.0
    assert auc(np.array([1, 1, 1, 1]), np.array([1, 0, 1, 0])) == 0.5  # ties count half
    scores = np.arange(100, dtype=float)
    churned = (scores >= 90).astype(int)  # the top decile churns, no one else
    bt = backtest(scores, churned)
    assert bt.auc == 1.0 and bt.top_decile_lift == pytest.approx(10.0)
    assert bt.calibration.churn_rate.tolist() == [1.0] + [0.0] * 9  # decile 1 = top scores
    with pytest.raises(InputError):
        auc(np.array([1.0, 2.0]), np.array([1, 1]))


def test_learned_score_needs_fit():
    with pytest.raises(NotFittedError):
        LearnedScore().predict(pd.DataFrame({"x": [1.0]}))


def test_synthetic_known_drivers():
    """Churn driven by failed payments and activity drops: the declarative spec and the learned
    score both find it, and the learned coefficients rank those two signals first."""
    rng = np.random.default_rng(7)
    n = 4000
    frame = pd.DataFrame(dict.fromkeys(SIGNALS, np.nan), index=range(n))
    frame.insert(0, "customer_id", [f"c{i}" for i in range(n)])
    frame["failed_payments"] = rng.poisson(0.3, n).astype(float)
    frame["activity_drop"] = rng.uniform(0, 1, n)
    frame["days_since_order"] = rng.uniform(0, 200, n)  # noise: not a driver here
    logit = -2.5 + 1.6 * frame.failed_payments + 3.0 * frame.activity_drop
    churned = rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))
    import ibis

    scored = ibis.duckdb.connect().execute(score_signals(ibis.memtable(frame), load_spec()))
    declarative = backtest(scored.score.to_numpy(), churned)
    train = np.arange(n) < n // 2
    model = LearnedScore().fit(frame[train], churned[train])
    learned = backtest(model.predict(frame[~train]), churned[~train])
    assert declarative.auc > 0.65 and learned.auc > declarative.auc
    top = sorted(model.coefficients().items(), key=lambda kv: -abs(kv[1]))[:2]
    assert {name for name, _ in top} == {"failed_payments", "activity_drop"}


@pytest.mark.slow
def test_online_retail_backtest(workspace):
    """Score everyone on 2011-09-10 from the history before; churn = no order afterwards (the
    last 90 days of the data). Both scores beat random."""
    from loyalist.data import load
    from loyalist.data.datasets import prepare
    from loyalist.data.views import tables

    source, parts = prepare("online-retail")
    for p in parts:
        load(p.table, p.rows, workspace=workspace, source=source, line_column=p.line_column,
             extra_rejects=p.rejects)
    spec = load_spec()
    with workspace.ibis() as backend:
        t = tables(backend)
        o = t["orders"].filter(t["orders"].customer_id.notnull())
        now = backend.execute(score_signals(risk_signals(t, as_of="2011-09-10"), spec))
        after = set(backend.execute(o.filter(o.ordered_at >= dt.datetime(2011, 9, 11))
                                    .select("customer_id").distinct()).customer_id)
        train = backend.execute(risk_signals(t, as_of="2011-06-11"))
        later = set(backend.execute(o.filter(o.ordered_at >= dt.datetime(2011, 6, 12),
                                             o.ordered_at < dt.datetime(2011, 9, 11))
                                    .select("customer_id").distinct()).customer_id)
    churned = ~now.customer_id.isin(after)
    declarative = backtest(now.score.to_numpy(), churned.to_numpy())
    model = LearnedScore().fit(train, ~train.customer_id.isin(later))
    learned = backtest(model.predict(now[train.columns]), churned.to_numpy())
    assert 0.4 < declarative.churn_rate < 0.5
    assert declarative.auc > 0.6 and declarative.top_decile_lift > 1.3
    assert learned.auc > declarative.auc


def test_telco_held_out(workspace, shared_data):
    """IBM Telco: fit the learned score on 70 % of customers, score the other 30 % (a fixed
    random split); the learned score beats the declarative default and both beat random."""
    from loyalist.data import load
    from loyalist.data.datasets import telco
    from loyalist.data.views import tables

    path = shared_data / "telco" / "Telco-Customer-Churn.csv"
    name, parts, labels = telco(path)
    for p in parts:
        load(p.table, p.rows, workspace=workspace, source=name, line_column=p.line_column)
    with workspace.ibis() as backend:
        signals = backend.execute(risk_signals(tables(backend), as_of="2024-01-01"))
    scored = backend_free_score(signals)
    churned = signals.customer_id.map(dict(zip(labels["customer_id"].to_pylist(),
                                               labels["churned"].to_pylist(), strict=True)))
    churned = churned.to_numpy()
    test = np.random.default_rng(0).uniform(size=len(signals)) < 0.3
    declarative = backtest(scored[test], churned[test])
    model = LearnedScore().fit(signals[~test], churned[~test])
    learned = backtest(model.predict(signals[test]), churned[test])
    assert len(signals) == 7043 and 0.25 < declarative.churn_rate < 0.3
    assert declarative.auc > 0.65 and learned.auc > declarative.auc + 0.02
    assert learned.top_decile_lift > 1.5


def backend_free_score(signals):
    import ibis

    return ibis.duckdb.connect().execute(
        score_signals(ibis.memtable(signals), load_spec())).score.to_numpy()
