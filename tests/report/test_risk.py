"""The churn-risk backtest section on a shop where fading buyers churn."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from loyalist.data import load
from loyalist.data.views import tables
from loyalist.report.risk import TITLE, churn_backtest, risk_sections
from loyalist.report.sampling import sample_customers

LAST = dt.date(2024, 12, 31)


@pytest.fixture
def shop(workspace):
    """60 buyers every 20 days to the end; 60 who stop in August (cut-off 2024-10-02); of
    those, f0-f9 come back in November, and r0-r9 stop at the cut-off."""
    rows = []
    for i in range(60):
        for k in range(0, 360, 20):
            day = dt.date(2024, 1, 1) + dt.timedelta(days=k + i % 7)
            if day <= LAST and not (i < 10 and day > dt.date(2024, 10, 2)):
                rows.append((f"r{i}", day))
            if day <= dt.date(2024, 8, 1):
                rows.append((f"f{i}", day))
        if i < 10:
            rows.append((f"f{i}", dt.date(2024, 11, 15)))
    rows.append(("r59", LAST))
    load("orders", pa.table({"order_id": [f"o{n}" for n in range(len(rows))],
                             "customer_id": [c for c, _ in rows],
                             "ordered_at": [d.isoformat() for _, d in rows],
                             "amount": [10.0] * len(rows)}), workspace=workspace)
    return workspace


def test_backtest_numbers(shop):
    with shop.ibis() as backend:
        cutoff, bt, total = churn_backtest(backend, tables(backend), LAST)
    assert cutoff == dt.date(2024, 10, 2) and total == 120
    assert bt.n == 120 and bt.churn_rate == pytest.approx(60 / 120)  # r0-r9 and f10-f59
    assert bt.auc > 0.75 and bt.top_decile_lift > 1.5
    assert bt.calibration.customers.sum() == 120 and len(bt.calibration) == 10


def test_a_large_shop_is_scored_on_a_stable_sample(shop):
    """Above the limit a hash of the customer id picks the customers, with all their orders."""
    with shop.ibis() as backend:
        t = tables(backend)
        sample, total = sample_customers(backend, t, 60)
        ids = set(backend.execute(sample["customers"].customer_id))
        again = set(backend.execute(sample_customers(backend, t, 60)[0]["customers"].customer_id))
        orders = backend.execute(sample["orders"])
        every = backend.execute(t["orders"])
        found = churn_backtest(backend, t, LAST, limit=60)
        (section,) = risk_sections(backend, t, LAST)  # the default limit keeps everyone
    assert total == 120 and ids == again and 30 <= len(ids) <= 90
    assert set(orders.customer_id) == ids  # every order of a sampled customer is kept
    assert len(orders) == every.customer_id.isin(ids).sum()
    assert found is not None and found[1].n == len(ids) and found[2] == 120
    assert "sample" not in section.caption


def test_section_with_chart_and_caption(shop):
    with shop.ibis() as backend:
        (section,) = risk_sections(backend, tables(backend), LAST)
    assert section.title == TITLE
    assert section.body.count("<rect") == 10 and "AUC" in section.body
    assert "2024-10-02" in section.caption and "top-decile lift" in section.caption


def test_too_few_orders(rfm_workspace):
    with rfm_workspace.ibis() as backend:
        (section,) = risk_sections(backend, tables(backend), dt.date(2024, 4, 2))
        (none,) = risk_sections(backend, tables(backend), None)
    assert section.title == TITLE and "No data yet" in section.body
    assert "No data yet" in none.body
