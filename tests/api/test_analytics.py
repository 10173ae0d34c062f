"""Metrics by name and the stored CLV model through the API: numbers, pages and errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from loyalist.api import create_app
from loyalist.config import Settings
from loyalist.metrics.registry import METRICS
from tests.api.conftest import auth
from tests.api.test_routes import assert_error
from tests.support.clv_shop import clv_orders, make_clv_workspace


@pytest.fixture(scope="module")
def clv_api(tmp_path_factory):
    ws = make_clv_workspace(tmp_path_factory.mktemp("clv-api") / "shop")
    app = create_app(Settings(workspace=ws.path))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, auth(app.state.keys.create("viewer", "analytics"))


def test_metric_list_names_every_registry_entry(clv_api):
    client, h = clv_api
    body = client.get("/api/v1/metrics", headers=h).json()
    assert [m["name"] for m in body["items"]] == list(METRICS) and body["total"] == len(METRICS)
    assert all(m["description"] for m in body["items"])


def test_metric_rows_are_paginated_and_match_the_orders(clv_api):
    client, h = clv_api
    orders = clv_orders()
    first = client.get("/api/v1/metrics/orders_by_month?page_size=5", headers=h).json()
    assert first["metric"] == "orders_by_month" and first["options"] == {}
    assert first["total"] == 12 and len(first["rows"]) == 5
    rest = client.get("/api/v1/metrics/orders_by_month?page_size=5&page=3", headers=h).json()
    assert len(rest["rows"]) == 2
    jan = orders[orders.ordered_at.dt.month == 1]
    assert first["rows"][0]["orders"] == len(jan)
    assert first["rows"][0]["revenue"] == pytest.approx(jan.amount.sum())


def test_metric_options_change_the_result(clv_api):
    client, h = clv_api
    weekly = client.get("/api/v1/metrics/orders_per_customer?period=week", headers=h).json()
    monthly = client.get("/api/v1/metrics/orders_per_customer", headers=h).json()
    assert weekly["options"] == {"period": "week"} and weekly["total"] > monthly["total"]
    churn = client.get("/api/v1/metrics/churn?as_of=2024-06-30", headers=h).json()
    assert churn["options"] == {"as_of": "2024-06-30"}
    assert churn["rows"][-1]["month"].startswith("2024-06")
    top = client.get("/api/v1/metrics/revenue_concentration?share=0.5", headers=h).json()
    assert top["rows"][0]["top"] == 0.5 and 0.5 < top["rows"][0]["top_share"] <= 1
    by = client.get("/api/v1/metrics/cohort_retention?by=country&variant=on_or_after",
                    headers=h).json()
    assert by["options"] == {"by": "country", "variant": "on_or_after"} and by["total"] > 0


@pytest.mark.parametrize(("url", "status", "kind"), [
    ("/api/v1/metrics/nope", 404, "NotFoundError"),
    ("/api/v1/metrics/churn?as_of=2024-13-01", 422, "ValidationError"),
    ("/api/v1/metrics/churn?as_of=yesterday", 422, "ValidationError"),
    ("/api/v1/metrics/churn?as_of=1800-01-01", 400, "InputError"),
    ("/api/v1/metrics/cohort_retention?period=year", 422, "ValidationError"),
    ("/api/v1/metrics/cohort_retention?by=nope", 400, "InputError"),
    ("/api/v1/metrics/cohort_retention?variant=sometimes", 400, "InputError"),
    ("/api/v1/metrics/churn?variant=x%3By", 422, "ValidationError"),
    ("/api/v1/metrics/revenue_concentration?share=2", 422, "ValidationError"),
    ("/api/v1/metrics/churn?page_size=0", 422, "ValidationError"),
    ("/api/v1/clv/customers?order=name", 422, "ValidationError"),
    ("/api/v1/clv/customers?limit=0", 422, "ValidationError"),
    ("/api/v1/clv/customers?offset=-1", 422, "ValidationError"),
    ("/api/v1/clv/customers/nobody", 404, "NotFoundError"),
])
def test_bad_input_is_a_4xx_in_the_one_shape(clv_api, url, status, kind):
    client, h = clv_api
    assert_error(client.get(url, headers=h), status, kind)


@pytest.mark.parametrize("url", ["/api/v1/metrics", "/api/v1/metrics/churn", "/api/v1/clv",
                                 "/api/v1/clv/customers", "/api/v1/clv/customers/c1"])
def test_a_viewer_key_is_required(clv_api, url):
    client, _ = clv_api
    assert_error(client.get(url), 401, "AuthError")


def test_clv_model(clv_api):
    client, h = clv_api
    body = client.get("/api/v1/clv", headers=h).json()
    assert body["model"] == "bgnbd" and set(body["params"]) == {"r", "alpha", "a", "b"}
    assert body["log_likelihood"] < 0 and body["customers"] == 400
    assert body["observation_end"] == "2024-12-30" and body["calibration_end"] == "2024-07-31"
    assert body["fitted_at"] and set(body["spend_params"]) == {"p", "q", "gamma"}


def test_clv_customers_ranked_paged_and_one(clv_api):
    client, h = clv_api
    page = client.get("/api/v1/clv/customers?page_size=10", headers=h).json()
    assert page["total"] == 400 and len(page["items"]) == 10
    clvs = [c["clv"] for c in page["items"]]
    assert clvs == sorted(clvs, reverse=True)
    window = client.get("/api/v1/clv/customers?limit=3&offset=2", headers=h).json()
    assert (window["limit"], window["offset"], window["total"]) == (3, 2, 400)
    assert [c["customer_id"] for c in window["items"]] == [
        c["customer_id"] for c in page["items"][2:5]]
    alive = client.get("/api/v1/clv/customers?order=p_alive&page_size=400", headers=h).json()
    p = [c["p_alive"] for c in alive["items"]]
    assert p == sorted(p, reverse=True)
    band = client.get("/api/v1/clv/customers?min_clv=10&max_clv=25&page_size=400",
                      headers=h).json()
    assert band["total"] == len(band["items"]) > 0
    assert all(10 <= c["clv"] < 25 for c in band["items"])
    best = page["items"][0]
    one = client.get(f"/api/v1/clv/customers/{best['customer_id']}", headers=h).json()
    assert one == best and 0 <= one["p_alive"] <= 1


def test_clv_before_a_fit_says_what_to_run(client, keys):
    h = auth(keys["viewer"])
    for url in ("/api/v1/clv", "/api/v1/clv/customers", "/api/v1/clv/customers/a"):
        response = client.get(url, headers=h)
        assert_error(response, 404, "NotFoundError")
        assert "loyalist clv fit" in response.json()["error"]["message"]
