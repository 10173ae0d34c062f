"""Every API route, with its error cases: one error shape, the right 4xx, never a 500."""

from __future__ import annotations

import pytest

from loyalist.api import create_app
from loyalist.config import Settings
from loyalist.errors import ConfigError
from tests.api.conftest import auth


def assert_error(response, status, kind):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message", "details"}
    assert body["error"]["type"] == kind


def test_health_needs_no_key(client):
    assert client.get("/api/v1/health").json() == {"status": "ok"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"X-API-Key": "lk_abc_def"}])
def test_keys_are_required(client, headers):
    assert_error(client.get("/api/v1/segments/rfm", headers=headers), 401, "AuthError")


def test_roles(client, keys, write):
    csv = write("o.csv", "order_id,customer_id,ordered_at,amount\nz1,z,2024-03-01,5\n")
    files = {"file": ("o.csv", csv.read_bytes(), "text/csv")}
    assert_error(client.post("/api/v1/imports/orders", files=files, headers=auth(keys["viewer"])),
                 403, "ForbiddenError")
    ok = client.post("/api/v1/imports/orders", files=files, headers=auth(keys["analyst"]))
    assert ok.status_code == 201 and ok.json()["rows_loaded"] == 1
    assert_error(client.get("/api/v1/keys", headers=auth(keys["analyst"])), 403,
                 "ForbiddenError")


def test_segments_and_drill_down(client, keys):
    h = auth(keys["viewer"])
    summary = client.get("/api/v1/segments/rfm?as_of=2024-03-31", headers=h).json()
    assert summary["as_of"] == "2024-03-31" and summary["total"] == 5
    counts = {s["segment"]: s["customers"] for s in summary["items"]}
    drill = client.get("/api/v1/segments/rfm/customers?as_of=2024-03-31&segment=Champions",
                       headers=h).json()
    assert drill["total"] == counts["Champions"] == 1 and drill["items"][0]["customer_id"] == "a"
    cell = client.get("/api/v1/segments/rfm/customers?as_of=2024-03-31&r=2&f=3", headers=h).json()
    assert [c["customer_id"] for c in cell["items"]] == ["c"]
    moves = client.get("/api/v1/segments/migration?as_of=2024-03-31&since_days=60",
                       headers=h).json()
    assert {"segment_before": "Need attention", "segment": "At risk", "customers": 1} in \
        moves["items"]


def test_customers_list_search_best_falling_and_360(client, keys):
    h = auth(keys["viewer"])
    page = client.get("/api/v1/customers?page_size=2&page=2", headers=h).json()
    assert (page["total"], page["page"], [c["customer_id"] for c in page["items"]]) == (
        5, 2, ["c", "d"])
    assert client.get("/api/v1/customers?q=e", headers=h).json()["total"] == 1
    best = client.get("/api/v1/customers/best?as_of=2024-03-31", headers=h).json()
    assert [c["customer_id"] for c in best["items"]][:2] == ["a", "e"]
    falling = client.get("/api/v1/customers/falling-off?as_of=2024-03-31&since_days=60",
                         headers=h).json()
    assert [c["customer_id"] for c in falling["items"]] == ["c"]
    view = client.get("/api/v1/customers/c?as_of=2024-03-31", headers=h).json()
    assert view["money"]["revenue"] == 1000.0 and view["segments"][-1]["segment"] == "At risk"
    value = client.get("/api/v1/value?as_of=2024-03-31&page_size=1", headers=h).json()
    assert value["total"] == 5 and len(value["items"]) == 1


@pytest.mark.parametrize(("url", "status", "kind"), [
    ("/api/v1/customers/nobody", 404, "NotFoundError"),
    ("/api/v1/segments/rfm?as_of=yesterday", 422, "ValidationError"),
    ("/api/v1/segments/rfm?map=../../etc/passwd", 400, "InputError"),
    ("/api/v1/segments/rfm/customers?r=9", 422, "ValidationError"),
    ("/api/v1/customers?page=0", 422, "ValidationError"),
    ("/api/v1/customers?page_size=100000", 422, "ValidationError"),
    ("/api/v1/rejects?table=nope", 400, "SchemaError"),
    ("/api/v1/nowhere", 404, "HTTPError"),
])
def test_bad_requests(client, keys, url, status, kind):
    assert_error(client.get(url, headers=auth(keys["admin"])), status, kind)


def test_malformed_uploads(client, keys, write):
    h = auth(keys["analyst"])
    assert_error(client.post("/api/v1/imports/orders", headers=h), 422, "ValidationError")
    assert_error(client.post("/api/v1/imports/nope", headers=h,
                             files={"file": ("x.csv", b"a\n1\n", "text/csv")}), 400, "SchemaError")
    missing = client.post("/api/v1/imports/orders", headers=h,
                          files={"file": ("x.csv", b"order_id\n1\n", "text/csv")})
    assert_error(missing, 400, "ImportFileError")
    assert "missing required column 'ordered_at'" in missing.json()["error"]["message"]
    binary = client.post("/api/v1/imports/orders", headers=h,
                         files={"file": ("x.parquet", b"\x00\x01garbage", "application/x")})
    assert_error(binary, 400, "ImportFileError")
    strict = client.post("/api/v1/imports/orders?strict=true", headers=h, files={"file": (
        "s.csv", b"order_id,ordered_at,amount\n1,never,1\n", "text/csv")})
    assert_error(strict, 400, "StrictImportError")


def test_upload_rejects_are_listed_and_reupload_changes_nothing(client, keys):
    h = auth(keys["analyst"])
    body = b"order_id,customer_id,ordered_at,amount\nn1,n,2024-03-01,5\nn2,n,bad,5\n"
    first = client.post("/api/v1/imports/orders", headers=h,
                        files={"file": ("../../evil name.csv", body, "text/csv")}).json()
    again = client.post("/api/v1/imports/orders", headers=h,
                        files={"file": ("../../evil name.csv", body, "text/csv")}).json()
    assert (first["lines_read"], first["rows_loaded"], first["rows_rejected"]) == (2, 1, 1)
    assert first["file"].endswith("uploads/orders/evil_name.csv")  # no path escape
    assert again["rows_loaded"] == first["rows_loaded"]
    rejected = client.get("/api/v1/rejects?table=orders", headers=h).json()
    assert rejected["total"] == 1 and rejected["items"][0]["line"] == 3
    # after answering, the upload rebuilt the per-customer tables the new orders changed
    from loyalist.data.derived import stale_sources
    from loyalist.store.workspace import Workspace

    assert "orders" not in stale_sources(Workspace(client.app.state.settings.workspace))


def test_key_management(client, keys):
    h = auth(keys["admin"])
    made = client.post("/api/v1/keys", json={"role": "viewer", "name": "ci"}, headers=h)
    assert made.status_code == 201
    new = made.json()["key"]
    assert client.get("/api/v1/customers", headers=auth(new)).status_code == 200
    listed = client.get("/api/v1/keys", headers=h).json()
    assert listed["total"] == 4 and all("secret" not in str(k) for k in listed["items"])
    key_id = new.split("_")[1]
    assert client.delete(f"/api/v1/keys/{key_id}", headers=h).status_code == 204
    assert_error(client.get("/api/v1/customers", headers=auth(new)), 401, "AuthError")
    assert_error(client.delete("/api/v1/keys/nope", headers=h), 404, "NotFoundError")
    assert_error(client.post("/api/v1/keys", json={"role": "god"}, headers=h), 400, "InputError")
    assert_error(client.post("/api/v1/keys", content=b"{", headers={
        **h, "content-type": "application/json"}), 422, "ValidationError")


def test_open_access_only_on_loopback(rfm_workspace):
    with pytest.raises(ConfigError, match="only allowed on 127.0.0.1"):
        create_app(Settings(workspace=rfm_workspace.path), open_access=True, host="0.0.0.0")


def test_openapi_documents_every_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/segments/rfm", "/api/v1/segments/rfm/customers", "/api/v1/customers",
                 "/api/v1/customers/{customer_id}", "/api/v1/imports/{table}", "/api/v1/keys",
                 "/api/v1/value", "/api/v1/rejects", "/api/v1/segments/migration"):
        assert path in paths


def test_dashboard_survey_page(client, keys):
    assert client.get("/surveys", follow_redirects=False).status_code == 303
    client.cookies.set("loyalist_key", keys["viewer"])
    page = client.get("/surveys")
    assert page.status_code == 200 and "NPS and feedback" in page.text  # no answers yet


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_dates_at_the_edge_of_the_calendar(client, keys, day):
    """Found by the fuzz: as_of=0001-01-01 minus 90 days overflowed into a 500."""
    for url in (f"/api/v1/segments/migration?as_of={day}", f"/api/v1/segments/rfm?as_of={day}",
                f"/api/v1/customers/falling-off?as_of={day}"):
        assert_error(client.get(url, headers=auth(keys["viewer"])), 400, "InputError")


def test_cached_segments_follow_imports(client, keys, write):
    """A second request reads the cache; an import changes the workspace file and the answer."""
    h = auth(keys["analyst"])
    first = client.get("/api/v1/segments/rfm?as_of=2024-04-30", headers=h).json()["total"]
    assert client.get("/api/v1/segments/rfm?as_of=2024-04-30", headers=h).json()["total"] == first
    csv = write("new.csv", "order_id,customer_id,ordered_at,amount\nz9,zed,2024-04-01,50\n")
    client.post("/api/v1/imports/orders", files={"file": ("new.csv", csv.read_bytes(),
                                                          "text/csv")}, headers=h)
    customers = client.get("/api/v1/segments/rfm/customers?as_of=2024-04-30&page_size=100",
                           headers=h).json()
    assert "zed" in {c["customer_id"] for c in customers["items"]}


@pytest.mark.parametrize(("url", "params"), [
    ("/api/v1/customers", {"q": "a\x00b"}),
    ("/api/v1/segments/rfm/customers", {"segment": "a\x00b"}),
    ("/customers", {"segment": "a\x00b"}),
    ("/api/v1/customers/a%00b", {}),
])
def test_a_nul_in_a_parameter_is_a_bad_request(client, keys, url, params):
    """Found by the fuzz: a NUL in a filter value broke the SQL text into a 500."""
    client.cookies.set("loyalist_key", keys["viewer"])
    response = client.get(url, params=params, headers=auth(keys["viewer"]))
    assert_error(response, 400, "InputError")
