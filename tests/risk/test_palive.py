"""The p_alive_drop signal: one BG/NBD fit as of the day, P(alive) then and now."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from loyalist.clv.betageo import BetaGeo
from loyalist.data import load
from loyalist.data.views import tables
from loyalist.risk import health_scores, load_spec
from loyalist.risk.palive import p_alive_drop_frame, p_alive_source, p_alive_table
from loyalist.risk.signals import risk_signals

AS_OF = dt.date(2024, 6, 30)


def _orders() -> pd.DataFrame:
    """12 steady monthly buyers (to mid-June); 12 who bought monthly until January; ``late``
    first bought in May (no P(alive) 90 days before)."""
    rows = []
    for i in range(12):
        for month in range(1, 7):
            rows.append((f"s{i}", dt.date(2024, month, 15 + i)))
        for month in (1, 2, 3):
            rows.append((f"q{i}", dt.date(2023, 10 + month - 1, 1 + i)))
        rows.append((f"q{i}", dt.date(2024, 1, 1 + i)))
    rows.append(("late", dt.date(2024, 5, 20)))
    frame = pd.DataFrame(rows, columns=["customer_id", "day"])
    frame["order_id"] = [f"o{i}" for i in range(len(frame))]
    frame["ordered_at"] = frame.day.astype(str)
    frame["amount"] = 10.0
    return frame


@pytest.fixture
def shop(workspace):
    frame = _orders()
    load("orders", pa.table({c: frame[c].tolist() for c in
                             ("order_id", "customer_id", "ordered_at", "amount")}),
         workspace=workspace)
    return workspace, frame


def _summary(frame: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """The lifetimes summary in weeks, computed with pandas (independent of rfm_summary)."""
    days = frame[frame.day <= end].groupby("customer_id").day.agg(["min", "max", "nunique"])
    return pd.DataFrame({
        "frequency": days["nunique"] - 1,
        "recency": [(b - a).days / 7 for a, b in zip(days["min"], days["max"], strict=True)],
        "T": [(end - a).days / 7 for a in days["min"]]}, index=days.index)


def test_drop_matches_a_direct_computation(shop):
    ws, frame = shop
    with ws.ibis() as backend:
        got = p_alive_drop_frame(backend, tables(backend), as_of=AS_OF).to_pandas().set_index(
            "customer_id")
    now, then = _summary(frame, AS_OF), _summary(frame, AS_OF - dt.timedelta(days=90))
    model = BetaGeo().fit(now.frequency, now.recency, now["T"])
    p_now = pd.Series(model.conditional_probability_alive(now.frequency, now.recency, now["T"]),
                      index=now.index)
    p_then = pd.Series(model.conditional_probability_alive(
        then.frequency, then.recency, then["T"]), index=then.index)
    expected = (p_then - p_now.loc[then.index]).clip(lower=0)
    assert "late" not in got.index  # first order after 2024-04-01: no P(alive) then
    assert len(got) == 24
    np.testing.assert_allclose(got.p_alive_drop.loc[expected.index], expected, atol=1e-5)
    # the customers who stopped in January lost most; steady buyers lost nothing
    assert got.p_alive_drop.loc[[f"q{i}" for i in range(12)]].min() > 0.2
    assert got.p_alive_drop.loc[[f"s{i}" for i in range(12)]].max() < 0.05


def test_signal_is_joined_in_and_scored(shop):
    ws, _ = shop
    with ws.ibis() as backend:
        t = tables(backend)
        table = p_alive_table(backend, t, as_of=AS_OF)
        with_drop = backend.execute(risk_signals(t, as_of=AS_OF, p_alive=table))
        without = backend.execute(risk_signals(t, as_of=AS_OF))
        scored = backend.execute(health_scores(t, load_spec(), as_of=AS_OF,
                                               p_alive=p_alive_source(backend, t)))
    assert without.p_alive_drop.isna().all()
    drops = with_drop.set_index("customer_id").p_alive_drop
    assert drops.loc["q0"] > 0.2 and np.isnan(drops.loc["late"])
    assert scored.set_index("customer_id").p_alive_drop_part.loc["q0"] > 0


def test_too_few_orders_leave_the_signal_null(rfm_workspace):
    with rfm_workspace.ibis() as backend:
        t = tables(backend)
        assert p_alive_table(backend, t, as_of="2024-04-02") is None
        out = backend.execute(risk_signals(t, as_of="2024-04-02", p_alive=None))
    assert out.p_alive_drop.isna().all()
