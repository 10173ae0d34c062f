"""Lifecycle counts by hand, and the identity active = new + returning + resurrected."""

from __future__ import annotations

import ibis
import pandas as pd

from loyalist.metrics.lifecycle import lifecycle


def _run(frame):
    return ibis.duckdb.connect().execute(lifecycle(ibis.memtable(frame)))


def test_by_hand():
    """a: Jan, Feb, Apr; b: Jan; c: Feb, Mar. Jan: new a b. Feb: new c, returning a, dormant b.
    Mar: returning c, dormant a. Apr: resurrected a, dormant c."""
    rows = [("a", "2024-01-03"), ("a", "2024-02-03"), ("a", "2024-04-09"), ("b", "2024-01-05"),
            ("c", "2024-02-07"), ("c", "2024-03-01"), (None, "2024-03-02")]
    frame = pd.DataFrame({"order_id": [str(i) for i in range(len(rows))],
                          "customer_id": [r[0] for r in rows],
                          "ordered_at": pd.to_datetime([r[1] for r in rows])})
    out = _run(frame)
    got = out[["active", "new", "returning", "resurrected", "dormant"]].values.tolist()
    assert got == [[2, 2, 0, 0, 0], [2, 1, 1, 0, 1], [1, 0, 1, 0, 1], [1, 0, 0, 1, 1]]


def test_identity_on_cdnow(shared_data):
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    frame = pd.DataFrame({"order_id": raw.index.astype(str),
                          "customer_id": raw["customer_id"].astype(str),
                          "ordered_at": pd.to_datetime(raw["date"].astype(str),
                                                       format="%Y%m%d")})
    out = _run(frame)
    assert len(out) == 18
    assert (out.active == out.new + out.returning + out.resurrected).all()
    assert out.new.sum() == frame.customer_id.nunique()  # everyone is new exactly once
    # dormant in m = active in m-1 - returning in m
    assert (out.dormant.iloc[1:].to_numpy()
            == out.active.iloc[:-1].to_numpy() - out.returning.iloc[1:].to_numpy()).all()
