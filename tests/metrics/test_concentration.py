"""Revenue concentration by hand; Online Retail against pandas."""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
import pytest

from loyalist.metrics.concentration import customer_revenue, gini, lorenz_curve, top_share

REV = ibis.memtable({"customer_id": list("abcde"), "revenue": [50.0, 20.0, 10.0, 10.0, 10.0]})
CON = ibis.duckdb.connect()


def test_top_share_and_gini_by_hand():
    """Top 20 % of 5 = 1 customer (50 of 100). Top 40 % = 2 (70). Ascending 10, 10, 10, 20, 50:
    G = 2 (1*10 + 2*10 + 3*10 + 4*20 + 5*50) / (5 * 100) - 6/5 = 2 * 390 / 500 - 1.2 = 0.36."""
    assert CON.execute(top_share(REV, 0.2)) == 0.5
    assert CON.execute(top_share(REV, 0.4)) == pytest.approx(0.7)
    assert CON.execute(gini(REV)) == pytest.approx(0.36)
    equal = ibis.memtable({"customer_id": list("xyz"), "revenue": [5.0, 5.0, 5.0]})
    assert CON.execute(gini(equal)) == pytest.approx(0.0)


def test_lorenz_curve():
    curve = CON.execute(lorenz_curve(REV, points=5))
    assert curve.customer_share.tolist() == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert curve.revenue_share.tolist() == pytest.approx([0.5, 0.7, 0.8, 0.9, 1.0])


def test_net_of_refunds():
    orders = ibis.memtable({"customer_id": ["a", "a", "b", None], "amount": [10.0, 5.0, 3.0, 9.0],
                            "ordered_at": ["2024-01-01", "2024-01-02", "2024-01-01",
                                           "2024-01-03"]})
    orders = orders.mutate(ordered_at=orders.ordered_at.cast("timestamp"))
    refunds = ibis.memtable({"customer_id": ["a"], "amount": [4.0]})
    out = CON.execute(customer_revenue(orders, refunds).order_by("customer_id"))
    assert out.revenue.tolist() == [11.0, 3.0]
    with pytest.raises(ValueError):
        top_share(REV, 0)


@pytest.mark.slow
def test_online_retail_matches_pandas(workspace):
    """Online Retail with its documented treatment (cancellations are refunds, guests excluded):
    the top 20 % share and the Gini against an independent pandas computation."""
    from loyalist.data import load
    from loyalist.data.datasets import prepare
    from loyalist.data.views import tables

    source, parts = prepare("online-retail")
    for p in parts:
        load(p.table, p.rows, workspace=workspace, source=source, line_column=p.line_column,
             extra_rejects=p.rejects)
    with workspace.ibis() as backend:
        t = tables(backend)
        rev = customer_revenue(t["orders"], t["refunds"])
        share, g = backend.execute(top_share(rev, 0.2)), backend.execute(gini(rev))
        orders = backend.execute(t["orders"].select("customer_id", "amount"))
        refunds = backend.execute(t["refunds"].select("customer_id", "amount"))
    per = orders.dropna(subset=["customer_id"]).groupby("customer_id").amount.sum()
    per = per.sub(refunds.dropna(subset=["customer_id"]).groupby("customer_id").amount.sum(),
                  fill_value=0).reindex(per.index)
    frame = pd.DataFrame({"customer_id": per.index, "revenue": per.to_numpy()})
    ranked = frame.sort_values(["revenue", "customer_id"], ascending=[False, True])
    k = math.ceil(0.2 * len(ranked))
    assert share == pytest.approx(ranked.revenue.iloc[:k].sum() / ranked.revenue.sum(),
                                  rel=1e-12)
    asc = np.sort(frame.revenue.to_numpy())
    i = np.arange(1, len(asc) + 1)
    expected_gini = 2 * (i * asc).sum() / (len(asc) * asc.sum()) - (len(asc) + 1) / len(asc)
    assert g == pytest.approx(expected_gini, rel=1e-9)
    assert 0.7 < share < 0.8  # the shop's top fifth brings about three quarters of revenue
