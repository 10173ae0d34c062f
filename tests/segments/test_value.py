"""Full customer value on a hand-computed fixture, as of 2024-03-31, default weights.

x: signed up 2024-01-01 (tenure 90 days), pain 5, one order of 100 with margin 40, 2 converted
referrals (+1 not converted), 2 tickets (one complaint) with 10 + 20 handling minutes
-> cost to serve 2 x 5 + 30 x 0.5 + 1 x 20 = 45.
y: signed up 2024-03-01 (tenure 30), one order of 300 without margin (-> 0.3 x 300 = 90), one
review and one testimonial (-> 1 + 2 = 3).

Scale 100 / (0.2 + 0.2 + 0.2 + 0.1 + 0.1) = 125. Each part: max(value, 0) / max over customers.
x = 125 (0.2/3 + 0.2 x 40/90 + 0.2 + 0.1 - 0.1 - 0.1) = 31.9444...
y = 125 (0.2 + 0.2 + 0.1 + 0.1/3) = 66.6666...
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from loyalist.data import load
from loyalist.data.views import tables as view_tables
from loyalist.errors import ConfigError
from loyalist.segments.value import ValueWeights, value_parts, value_score
from loyalist.store.workspace import Workspace


@pytest.fixture
def value_tables(tmp_path):
    ws = Workspace(tmp_path / "v")
    load("customers", pa.table({"customer_id": ["x", "y"], "signup_at": ["2024-01-01",
                                "2024-03-01"], "pain_score": [5.0, None]}), workspace=ws)
    load("orders", pa.table({"order_id": ["1", "2"], "customer_id": ["x", "y"],
                             "ordered_at": ["2024-02-01", "2024-03-05"], "amount": [100.0, 300.0],
                             "margin": [40.0, None]}), workspace=ws)
    load("referrals", pa.table({"referral_id": ["f1", "f2", "f3"], "referrer_id": ["x"] * 3,
                                "referred_at": ["2024-02-01"] * 3,
                                "converted_at": ["2024-02-10", "2024-03-01", None]}), workspace=ws)
    load("reviews", pa.table({"review_id": ["v1", "v2"], "customer_id": ["y", "y"],
                              "posted_at": ["2024-03-10"] * 2, "kind": ["review", "testimonial"]}),
         workspace=ws)
    load("tickets", pa.table({"ticket_id": ["t1", "t2"], "customer_id": ["x", "x"],
                              "opened_at": ["2024-02-02", "2024-02-03"],
                              "is_complaint": ["true", "false"], "handling_minutes": [10.0, 20.0]}),
         workspace=ws)
    with ws.ibis() as backend:
        yield backend, view_tables(backend)


def test_parts(value_tables):
    backend, t = value_tables
    out = backend.execute(value_parts(t, as_of="2024-03-31")).set_index("customer_id")
    assert out.loc["x"].tolist() == [100.0, 40.0, 2.0, 0.0, 90.0, 45.0, 5.0]
    assert out.loc["y"].tolist() == [300.0, 90.0, 0.0, 3.0, 30.0, 0.0, 0.0]


def test_score_and_contributions(value_tables):
    backend, t = value_tables
    out = backend.execute(value_score(t, as_of="2024-03-31"))
    assert out.customer_id.tolist() == ["y", "x"]
    x = out.set_index("customer_id").loc["x"]
    assert x.value_score == pytest.approx(31.944444444, rel=1e-9)
    assert x.referrals_contribution == pytest.approx(25.0)
    assert x.cost_to_serve_contribution == pytest.approx(-12.5)
    assert x.pain_score_contribution == pytest.approx(-12.5)
    parts = [c for c in out.columns if c.endswith("_contribution")]
    assert x[parts].sum() == pytest.approx(x.value_score)
    y = out.set_index("customer_id").loc["y"]
    assert y.value_score == pytest.approx(66.666666667, rel=1e-9)


def test_weights_from_mapping_and_errors():
    w = ValueWeights.from_mapping({"referrals": 0.5, "cost_per_ticket": 10})
    assert w.referrals == 0.5 and w.cost_per_ticket == 10
    with pytest.raises(ConfigError, match="unknown key 'referals'"):
        ValueWeights.from_mapping({"referals": 1})
    with pytest.raises(ConfigError, match="must be a number"):
        ValueWeights.from_mapping({"margin": "high"})
    with pytest.raises(ConfigError, match="positive weight"):
        ValueWeights(revenue=0, margin=0, referrals=0, reviews=0, tenure_days=0)
