"""Fuzz the metric and CLV routes on a workspace with a stored CLV fit: never a 5xx.

The schema-driven fuzz (``test_fuzz.py``) covers these routes too, but draws random metric
names (404) on a workspace without CLV; here every registry name runs with random options.
"""

from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from loyalist.api import create_app
from loyalist.config import Settings
from loyalist.metrics.registry import METRICS
from tests.support.clv_shop import make_clv_workspace

SETTINGS = hypothesis.settings(max_examples=60, deadline=None, database=None,
                               suppress_health_check=list(hypothesis.HealthCheck))
WORDS = st.sampled_from(["", "on", "on_or_after", "inactivity", "cancellation", "period_end",
                         "orders", "subscriptions", "survey", "records", "residual", "country",
                         "plan", "customer_id", "x" * 70, "a;b", "é"]) | st.text(max_size=12)


def maybe(strategy):
    return st.none() | strategy


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    ws = make_clv_workspace(tmp_path_factory.mktemp("fuzz-clv") / "shop")
    with TestClient(create_app(Settings(workspace=ws.path), open_access=True),
                    raise_server_exceptions=False) as c:
        yield c


def _check(response):
    assert response.status_code < 500, (response.request.url, response.text[:300])
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}, response.text[:300]


@SETTINGS
@hypothesis.given(data=st.data())
def test_every_metric_with_random_options(api, data):
    options = {
        "as_of": data.draw(maybe(st.dates(dt.date(1850, 1, 1), dt.date(2250, 1, 1)).map(str)
                                 | st.text(max_size=12))),
        "period": data.draw(maybe(st.sampled_from(["day", "week", "month", "year", ""]))),
        "by": data.draw(maybe(WORDS)), "variant": data.draw(maybe(WORDS)),
        "share": data.draw(maybe(st.floats(-1, 2) | st.just("nan"))),
        "page": data.draw(maybe(st.integers(-1, 5))),
        "page_size": data.draw(maybe(st.integers(0, 1001))),
    }
    name = data.draw(st.sampled_from(sorted(METRICS)))
    _check(api.get(f"/api/v1/metrics/{name}",
                   params={k: v for k, v in options.items() if v is not None}))


@SETTINGS
@hypothesis.given(order=maybe(WORDS | st.sampled_from(["clv", "p_alive", "customer_id"])),
                  low=maybe(st.floats(-10, 2000) | st.just("inf")),
                  high=maybe(st.floats(-10, 2000)), limit=maybe(st.integers(-1, 1001)),
                  offset=maybe(st.integers(-1, 500)),
                  customer=st.text(st.characters(min_codepoint=33, max_codepoint=126,
                                                exclude_characters="/?#%"),
                                   min_size=1, max_size=8))
def test_clv_routes_with_random_input(api, order, low, high, limit, offset, customer):
    params = {"order": order, "min_clv": low, "max_clv": high, "limit": limit, "offset": offset}
    _check(api.get("/api/v1/clv/customers",
                   params={k: v for k, v in params.items() if v is not None}))
    _check(api.get(f"/api/v1/clv/customers/{customer}"))
    _check(api.get("/api/v1/clv"))
