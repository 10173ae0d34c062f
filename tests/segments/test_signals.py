"""Loyalty signals on a hand-computed fixture, as of 2024-03-31.

p: 1 converted referral, 1 review, 1 community answer, 1 survey answer, an order of 90 with 10
discount (full-price share 1 - 10/100 = 0.9), 2 paid invoices (paid share 1).
q: an order of 50 without discount (1.0), invoices: 1 paid, 1 failed (0.5), nothing else.
Index = mean of the six components (counts / max count) x 100:
p = (1 + 1 + 1 + 1 + 0.9 + 1) / 6 x 100 = 98.333..., q = (0 + 0 + 0 + 0 + 1 + 0.5) / 6 x 100 = 25.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from loyalist.data import load
from loyalist.data.views import tables as view_tables
from loyalist.segments.signals import loyalty_signals
from loyalist.store.workspace import Workspace


def test_signals_index_and_advocates(tmp_path):
    ws = Workspace(tmp_path / "s")
    load("orders", pa.table({"order_id": ["1", "2"], "customer_id": ["p", "q"],
                             "ordered_at": ["2024-01-05", "2024-01-06"], "amount": [90.0, 50.0],
                             "discount_amount": [10.0, None]}), workspace=ws)
    load("referrals", pa.table({"referral_id": ["r"], "referrer_id": ["p"],
                                "referred_at": ["2024-02-01"], "converted_at": ["2024-02-05"]}),
         workspace=ws)
    load("reviews", pa.table({"review_id": ["v"], "customer_id": ["p"],
                              "posted_at": ["2024-02-01"]}), workspace=ws)
    load("community_activity", pa.table({"activity_id": ["c1", "c2"], "customer_id": ["p", "q"],
                                         "occurred_at": ["2024-02-01"] * 2,
                                         "kind": ["answer", "question"]}), workspace=ws)
    load("survey_responses", pa.table({"response_id": ["s"], "customer_id": ["p"],
                                       "question": ["nps"], "answered_at": ["2024-02-01"],
                                       "score": [10]}), workspace=ws)
    load("invoices", pa.table({"invoice_id": ["i1", "i2", "i3", "i4"],
                               "customer_id": ["p", "p", "q", "q"],
                               "issued_at": ["2024-01-01"] * 4, "amount": [10.0] * 4,
                               "status": ["paid", "paid", "paid", "failed"]}), workspace=ws)
    with ws.ibis() as backend:
        t = view_tables(backend)
        out = backend.execute(loyalty_signals(t, as_of="2024-03-31", advocate_share=0.5))
    assert out.customer_id.tolist() == ["p", "q"]
    p, q = out.iloc[0], out.iloc[1]
    assert (p.referrals, p.reviews, p.community, p.feedback) == (1, 1, 1, 1)
    assert p.full_price_share == pytest.approx(0.9) and p.paid_share == 1.0
    assert p.loyalty_index == pytest.approx(98.3333333333)
    assert q.community == 0  # a question is not advocacy
    assert q.paid_share == 0.5 and q.loyalty_index == pytest.approx(25.0)
    assert out.advocate.tolist() == [True, False]
