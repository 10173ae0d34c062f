"""RFM summary for the CLV models: CDNOW against Fader & Hardie's summary, tiny fixtures by hand."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from loyalist.clv.summary import calibration_holdout, rfm_summary
from loyalist.data.datasets import prepare
from tests.support.backends import load_backend

SPARK_SOCKETS = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
MARKS = {"postgres": [pytest.mark.postgres], "spark": [pytest.mark.spark, SPARK_SOCKETS]}


def _orders(rows):
    """``(customer, "YYYY-MM-DD[ HH:MM]", amount)`` rows as an orders table."""
    return ibis.memtable(pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "ordered_at": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
        "amount": [float(r[2]) for r in rows]}))


def _run(expr):
    return ibis.duckdb.connect().execute(expr).set_index("customer_id").sort_index()


# a: Jan 1 twice (10 + 5 merged: the first purchase), Jan 8 (20), Jan 15 twice (3 + 4 merged),
#    Feb 5 (after observation_end: ignored).  b: one order on Jan 28 = observation_end (counts).
#    c: Jan 4 and Jan 4 again (one purchase).  None: a guest order (ignored).
TINY = [("a", "2024-01-01 09:00", 10), ("a", "2024-01-01 18:30", 5), ("a", "2024-01-08", 20),
        ("a", "2024-01-15 10:00", 3), ("a", "2024-01-15 11:00", 4), ("a", "2024-02-05", 99),
        ("b", "2024-01-28 23:59", 8), ("c", "2024-01-04", 1), ("c", "2024-01-04", 2),
        (None, "2024-01-02", 50)]


def test_tiny_by_hand_in_days():
    got = _run(rfm_summary(_orders(TINY), observation_end=dt.date(2024, 1, 28), unit="D"))
    assert got.index.tolist() == ["a", "b", "c"]
    assert got.frequency.tolist() == [2, 0, 0]
    assert got.recency.tolist() == [14.0, 0.0, 0.0]
    assert got["T"].tolist() == [27.0, 0.0, 24.0]
    assert got.monetary_value.tolist() == [13.5, 0.0, 0.0]  # (20 + 7) / 2
    assert str(got.frequency.dtype) == "int64"


def test_tiny_by_hand_in_weeks():
    got = _run(rfm_summary(_orders(TINY), observation_end="2024-01-28", unit="W"))
    assert got.recency.tolist() == [2.0, 0.0, 0.0]
    assert got["T"].tolist() == pytest.approx([27 / 7, 0.0, 24 / 7], abs=1e-12)


def test_observation_end_is_a_whole_day():
    """A datetime counts as its day: b's order at 23:59 is in, and T is in whole days."""
    got = _run(rfm_summary(_orders(TINY), observation_end=dt.datetime(2024, 1, 28, 0, 0),
                           unit="D"))
    assert got.loc["b"].tolist() == [0, 0.0, 0.0, 0.0]
    assert got.loc["a", "T"] == 27.0


def test_merge_by_week():
    """ISO weeks (Monday start): a buys in the weeks of Jan 1, 8 and 15 -> 2 repeat weeks; c's
    Jan 4 is in the week of Jan 1; the end (Sunday Jan 28) is in the week of Jan 22."""
    got = _run(rfm_summary(_orders(TINY), observation_end="2024-01-28", unit="W",
                           merge="period"))
    assert got.frequency.tolist() == [2, 0, 0]
    assert got.recency.tolist() == [2.0, 0.0, 0.0]
    assert got["T"].tolist() == [3.0, 0.0, 3.0]
    extra = _run(rfm_summary(_orders([*TINY, ("c", "2024-01-06", 6)]),
                             observation_end="2024-01-28", unit="W", merge="period"))
    assert extra.loc["c"].tolist() == [0, 0.0, 3.0, 0.0]  # same week as Jan 4: merged


def test_date_column_and_other_names():
    o = ibis.memtable(pd.DataFrame({"who": ["x", "x"], "day": [dt.date(2024, 3, 1),
                                                               dt.date(2024, 3, 8)],
                                    "value": [1, 3]}))
    got = _run(rfm_summary(o, observation_end="2024-03-15", unit="W", customer_col="who",
                           time_col="day", amount_col="value"))
    assert got.loc["x"].tolist() == [1, 1.0, 2.0, 3.0]


def test_calibration_end_gives_the_calibration_summary():
    got = _run(rfm_summary(_orders(TINY), observation_end="2024-03-01",
                           calibration_end="2024-01-10", unit="D"))
    assert got.index.tolist() == ["a", "c"]  # b first bought after the calibration period
    assert got.loc["a"].tolist() == [1, 7.0, 9.0, 20.0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="unit must be"):
        rfm_summary(_orders(TINY), observation_end="2024-01-28", unit="M")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="merge must be"):
        rfm_summary(_orders(TINY), observation_end="2024-01-28", merge="hour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be after"):
        calibration_holdout(_orders(TINY), calibration_end="2024-01-28",
                            observation_end="2024-01-28")


def test_calibration_holdout_by_hand():
    """Calibration up to Jan 10, holdout Jan 11 .. Jan 31 (21 days = 3 weeks).
    a: calibration purchases Jan 1 (15) and Jan 8 (20); holdout Jan 15 (3 + 4 merged: one
    purchase of 7); Feb 5 is after the holdout.  c: Jan 4 only, nothing in the holdout.
    b: first purchase Jan 28, in the holdout: left out."""
    got = _run(calibration_holdout(_orders(TINY), calibration_end="2024-01-10",
                                   observation_end="2024-01-31", unit="W"))
    assert got.columns.tolist() == ["frequency_cal", "recency_cal", "T_cal",
                                    "monetary_value_cal", "frequency_holdout",
                                    "monetary_value_holdout", "duration_holdout"]
    assert got.index.tolist() == ["a", "c"]
    assert got.loc["a"].tolist() == pytest.approx([1, 1.0, 9 / 7, 20.0, 1, 7.0, 3.0])
    assert got.loc["c"].tolist() == pytest.approx([0, 0.0, 6 / 7, 0.0, 0, 0.0, 3.0])
    assert str(got.frequency_holdout.dtype) == "int64"


def test_calibration_holdout_two_holdout_purchases():
    rows = [("a", "2024-01-01", 1), ("a", "2024-01-05", 2), ("a", "2024-01-05", 2),
            ("a", "2024-01-07", 8)]
    got = _run(calibration_holdout(_orders(rows), calibration_end="2024-01-02",
                                   observation_end="2024-01-08", unit="D"))
    assert got.loc["a"].tolist() == [0, 0.0, 1.0, 0.0, 2, 6.0, 6.0]  # (4 + 8) / 2


@pytest.fixture(scope="module")
def cdnow_sample(shared_data):
    """The 1/10 sample's transactions, taken from the master file shipped in the package
    (``CDNOW_sample.txt`` names each customer's master id and sample id)."""
    sample = pd.read_csv(shared_data / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None,
                         names=["master_id", "sample_id", "date", "cds", "amount"])
    ids = sample.drop_duplicates("master_id").set_index("master_id").sample_id
    _, parts = prepare("cdnow")
    raw = parts[0].rows.to_pandas()
    master = raw.customer_id.astype(int)
    raw = raw[master.isin(ids.index)]
    orders = pd.DataFrame({"customer_id": master[raw.index].map(ids).to_numpy(),
                           "ordered_at": pd.to_datetime(raw.ordered_at).to_numpy(),
                           "amount": raw.amount.astype(float).to_numpy()})
    assert len(orders) == len(sample) == 6919
    return orders


def test_cdnow_sample_matches_fader_hardie(cdnow_sample, shared_data):
    """Fader, Hardie & Lee (2005), "Counting your customers the easy way": the CDNOW sample's
    39-week calibration summary (weeks, same-day purchases merged). Their convention: the
    period ends on 1997-09-30 and that day's purchases count; T is days from the first purchase
    to 1997-09-30, over 7. Tolerance: the 2 decimals shipped (frequency exact)."""
    got = _run(rfm_summary(ibis.memtable(cdnow_sample), observation_end="1997-09-30", unit="W"))
    ref = pd.read_csv(shared_data / "cdnow" / "cdnow_customers_summary.csv", index_col="ID")
    spend = pd.read_csv(shared_data / "cdnow" / "cdnow_customers_summary_with_transactions.csv",
                        index_col="ID")
    assert got.index.tolist() == ref.index.tolist() == spend.index.tolist()
    assert (got.frequency.to_numpy() == ref.frequency.to_numpy()).all()
    for column, expected in (("recency", ref.recency), ("T", ref["T"]),
                             ("monetary_value", spend.zbar)):
        err = np.abs(got[column].to_numpy() - expected.to_numpy())
        assert err.max() <= 0.005 + 1e-9, column
    assert (got.frequency == 0).sum() == 1411
    assert (spend.zbar[got.frequency.to_numpy() == 0] == 0).all()


@pytest.mark.parametrize("engine", [pytest.param(e, marks=MARKS[e]) for e in MARKS])
def test_same_on_every_engine(engine, request):
    frame = pd.DataFrame({"customer_id": [r[0] for r in TINY],
                          "ordered_at": pd.to_datetime([r[1] for r in TINY], format="ISO8601"),
                          "amount": [float(r[2]) for r in TINY]})
    data = {"orders": pa.Table.from_pandas(frame, preserve_index=False)}
    url = request.getfixturevalue("postgres_url") if engine == "postgres" else None
    args = {"calibration_end": "2024-01-10", "observation_end": "2024-01-31", "unit": "W"}
    results = []
    for name in ("duckdb", engine):
        with load_backend(name, data, postgres_url=url) as backend:
            orders = backend.table("orders")
            summary = rfm_summary(orders, observation_end="2024-01-28", unit="W")
            week = rfm_summary(orders, observation_end="2024-01-28", unit="W", merge="period")
            both = calibration_holdout(orders, **args)
            results.append([backend.execute(e.order_by("customer_id")) for e in
                            (summary, week, both)])
    for ref, got in zip(*results, strict=True):
        pd.testing.assert_frame_equal(ref, got, check_dtype=False)
