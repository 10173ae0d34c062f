"""Real data against independent pandas computations, for what the other metric tests leave out.

Already covered elsewhere: CDNOW cohort retention (test_retention), CDNOW 90-day churn
(test_churn) and Online Retail concentration (test_concentration). Here: Online Retail cohort
retention, repeat purchase rate and 90-day churn, and CDNOW repeat purchase rate, top-20 % share
and Gini. loyalist reads the data the documented way (``prepare`` + import into a workspace:
Online Retail cancellations become refunds, bad-debt and stock adjustments are rejected, guest
invoices have no customer); pandas reads the raw shipped files and applies the same rules itself.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from loyalist.data import load
from loyalist.data.datasets import prepare, shipped_file
from loyalist.data.views import tables
from loyalist.metrics.churn import monthly_churn
from loyalist.metrics.concentration import customer_revenue, gini, top_share
from loyalist.metrics.overview import repeat_purchase_rate
from loyalist.metrics.retention import cohort_retention
from loyalist.store.workspace import Workspace

RETAIL_AS_OF = dt.date(2011, 12, 9)


def _workspace(path, dataset):
    ws = Workspace(path)
    source, parts = prepare(dataset)
    for p in parts:
        load(p.table, p.rows, workspace=ws, source=source, line_column=p.line_column,
             extra_rejects=p.rejects)
    return ws


def _run(ws, build):
    with ws.ibis() as backend:
        return backend.execute(build(tables(backend)))


@pytest.fixture(scope="module")
def retail_ws(tmp_path_factory):
    return _workspace(tmp_path_factory.mktemp("retail"), "online-retail")


@pytest.fixture(scope="module")
def cdnow_ws(tmp_path_factory):
    return _workspace(tmp_path_factory.mktemp("cdnow"), "cdnow")


@pytest.fixture(scope="module")
def retail_orders():
    """Invoices of the raw file by the documented rules, in pandas (guests kept, no id)."""
    raw = pd.read_csv(shipped_file("online_retail_I.csv.gz"), dtype=str)
    sale = ~raw.InvoiceNo.str.startswith(("C", "A")) & (raw.Quantity.astype(int) >= 0)
    lines = raw[sale].assign(ordered_at=pd.to_datetime(raw.InvoiceDate[sale]))
    orders = lines.groupby("InvoiceNo").agg(customer_id=("CustomerID", "first"),
                                            ordered_at=("ordered_at", "min"))
    assert len(orders) == 20_725  # docs/demo-data.md
    return orders.reset_index().rename(columns={"InvoiceNo": "order_id"})


@pytest.fixture(scope="module")
def cdnow_orders():
    raw = pd.read_csv(shipped_file("CDNOW_master.txt.gz"), sep=r"\s+", dtype=str)
    return pd.DataFrame({"customer_id": raw.customer_id.str.lstrip("0"),
                         "ordered_at": pd.to_datetime(raw.date, format="%Y%m%d"),
                         "amount": raw.dollar_value.astype(float)})


def _repeat_rate(orders: pd.DataFrame) -> float:
    known = orders.dropna(subset=["customer_id"])
    per = known.groupby("customer_id").size()
    return float((per >= 2).mean())


def _cohorts(orders: pd.DataFrame) -> pd.DataFrame:
    known = orders.dropna(subset=["customer_id"])
    m = known.assign(m=known.ordered_at.dt.year * 12 + known.ordered_at.dt.month - 1)
    m = m.drop_duplicates(["customer_id", "m"])
    m["cohort"] = m.groupby("customer_id").m.transform("min")
    m["period"] = m.m - m.cohort
    out = m.groupby(["cohort", "period"]).customer_id.nunique().rename("customers").to_frame()
    sizes = m[m.period == 0].groupby("cohort").customer_id.nunique()
    out["rate"] = out.customers / out.index.get_level_values(0).map(sizes).to_numpy()
    return out.sort_index()


def _churn(orders: pd.DataFrame, as_of: dt.date, days: int = 90) -> pd.DataFrame:
    known = orders.dropna(subset=["customer_id"])
    d = known.assign(day=known.ordered_at.dt.normalize())[["customer_id", "day"]]
    d = d.drop_duplicates().sort_values(["customer_id", "day"])
    nxt = d.groupby("customer_id").day.shift(-1)
    lost_on = d.day[nxt.isna() | ((nxt - d.day).dt.days > days)] + pd.Timedelta(days=days)
    lost = lost_on[lost_on <= pd.Timestamp(as_of)].dt.to_period("M").value_counts()
    first = d.day.min().to_period("M") + 1
    rows = []
    for month in pd.period_range(first, pd.Timestamp(as_of).to_period("M"), freq="M"):
        start = month.start_time
        window = d[(d.day >= start - pd.Timedelta(days=days)) & (d.day < start)]
        rows.append((start.date(), window.customer_id.nunique(), int(lost.get(month, 0))))
    return pd.DataFrame(rows, columns=["month", "customers_at_start", "lost"])


@pytest.mark.slow
def test_online_retail_cohort_retention(retail_ws, retail_orders):
    got = _run(retail_ws, lambda t: cohort_retention(t["orders"], variant="on"))
    cohort = pd.to_datetime(got.cohort)
    got = got.assign(cohort=cohort.dt.year * 12 + cohort.dt.month - 1) \
        .set_index(["cohort", "period"]).sort_index()
    expected = _cohorts(retail_orders)
    assert len(got) == len(expected) == 13 * 14 // 2  # Dec 2010 .. Dec 2011 cohorts
    assert got.customers.tolist() == expected.customers.tolist()
    assert np.allclose(got.rate, expected.rate, rtol=1e-12, atol=0)


@pytest.mark.slow
def test_online_retail_repeat_purchase_rate(retail_ws, retail_orders):
    got = _run(retail_ws, lambda t: repeat_purchase_rate(t["orders"]))
    assert got == pytest.approx(_repeat_rate(retail_orders), rel=1e-12)
    assert 0.6 < got < 0.7  # about two in three identified customers came back


@pytest.mark.slow
def test_online_retail_90_day_churn(retail_ws, retail_orders):
    got = _run(retail_ws, lambda t: monthly_churn(t["orders"], as_of=RETAIL_AS_OF))
    expected = _churn(retail_orders, RETAIL_AS_OF)
    assert [pd.Timestamp(m).date() for m in got.month] == expected.month.tolist()
    assert got.customers_at_start.tolist() == expected.customers_at_start.tolist()
    assert got.lost.tolist() == expected.lost.tolist()
    rate = expected.lost / expected.customers_at_start
    assert np.allclose(got.churn_rate, rate, rtol=1e-12)


def test_cdnow_repeat_rate_and_concentration(cdnow_ws, cdnow_orders):
    with cdnow_ws.ibis() as backend:
        t = tables(backend)
        rev = customer_revenue(t["orders"])
        top, g = backend.execute(top_share(rev, 0.2)), backend.execute(gini(rev))
        repeat = backend.execute(repeat_purchase_rate(t["orders"]))
    assert repeat == pytest.approx(_repeat_rate(cdnow_orders), rel=1e-12)
    per = np.sort(cdnow_orders.groupby("customer_id").amount.sum().to_numpy())  # ascending
    k = math.ceil(0.2 * len(per))
    assert top == pytest.approx(per[-k:].sum() / per.sum(), rel=1e-9)
    i = np.arange(1, len(per) + 1)
    expected_gini = 2 * (i * per).sum() / (len(per) * per.sum()) - (len(per) + 1) / len(per)
    assert g == pytest.approx(expected_gini, rel=1e-9)
