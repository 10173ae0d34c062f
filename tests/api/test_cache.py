"""The per-process cache follows the workspace: any write (import, CLV fit) gives new answers."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from loyalist.api import cache, create_app
from loyalist.clv.workflow import load_fit, save_clv
from loyalist.config import Settings
from loyalist.data.tables import ensure_tables
from tests.api.conftest import auth
from tests.support.clv_shop import make_clv_workspace


@pytest.fixture
def clv_client(tmp_path):
    ws = make_clv_workspace(tmp_path / "shop")
    app = create_app(Settings(workspace=ws.path))
    with TestClient(app, raise_server_exceptions=False) as c:
        c.cookies.set("loyalist_key", app.state.keys.create("viewer", "pages"))
        yield c, ws


def test_remember_builds_once_per_workspace_state(workspace):
    with workspace.connect() as con:
        ensure_tables(con)
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert cache.remember(workspace, ("k",), build) == 1
    assert cache.remember(workspace, ("k",), build) == 1
    assert cache.remember(workspace, ("other",), build) == 2
    with workspace.connect() as con:
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, amount) "
                    "VALUES ('o1', 'c1', TIMESTAMP '2024-01-01', 5)")
    assert cache.remember(workspace, ("k",), build) == 3


def test_results_of_an_earlier_state_are_dropped(workspace):
    with workspace.connect() as con:
        ensure_tables(con)
    cache.clear()
    cache.remember(workspace, ("a",), lambda: 1)
    cache.remember(workspace, ("b",), lambda: 2)
    with workspace.connect() as con:
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, amount) "
                    "VALUES ('o1', 'c1', TIMESTAMP '2024-01-01', 5)")
    cache.remember(workspace, ("a",), lambda: 3)
    assert [key[1:] for key in cache._CACHE] == [("a",)]


def test_a_customers_orders_fetched_by_row_id_are_those_a_scan_finds(rfm_workspace,
                                                                   monkeypatch):
    with rfm_workspace.ibis() as backend:
        orders = backend.table("orders")
        for cid in ("a", "c", "nobody"):
            scan = backend.execute(orders.filter(orders.customer_id == cid)
                                   .select("order_id", "ordered_at", "amount"))
            found = cache.customer_orders(rfm_workspace, backend, cid)
            assert found is not None
            assert found.sort_values("order_id").to_dict("records") == (
                scan.sort_values("order_id").to_dict("records"))
            assert list(found.columns) == ["order_id", "ordered_at", "amount"]
        monkeypatch.setattr(cache, "MAX_FETCHED_ORDERS", 1)  # many orders: scan instead
        assert cache.customer_orders(rfm_workspace, backend, "c") is None


def test_a_write_still_in_the_write_ahead_log_changes_the_state(workspace):
    with workspace.connect() as con:
        ensure_tables(con)
    before = cache.state(workspace)
    with workspace.connect() as con:  # a writer that stopped before checkpointing
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, amount) "
                    "VALUES ('o1', 'c1', TIMESTAMP '2024-01-01', 5)")
    assert cache.state(workspace) != before


def test_customer_360_shows_an_import_at_once(client, keys, write):
    h = auth(keys["analyst"])
    client.cookies.set("loyalist_key", keys["viewer"])
    url = "/api/v1/customers/c?as_of=2024-03-31"
    before = client.get(url, headers=h).json()
    assert client.get(url, headers=h).json() == before  # second answer from the cache
    assert "c2" in client.get("/customers/c?as_of=2024-03-31").text
    csv = write("more.csv", "order_id,customer_id,ordered_at,amount\nc9,c,2024-03-30,123.45\n")
    assert client.post("/api/v1/imports/orders", files={"file": ("more.csv", csv.read_bytes(),
                       "text/csv")}, headers=h).status_code == 201
    after = client.get(url, headers=h).json()
    assert after["money"]["orders"] == before["money"]["orders"] + 1
    assert after["money"]["revenue"] == pytest.approx(before["money"]["revenue"] + 123.45)
    assert after["money"]["recent_orders"][0]["order_id"] == "c9"
    assert after["segments"][-1]["f"] >= before["segments"][-1]["f"]
    assert after["value"]["revenue"] != before["value"]["revenue"]
    assert "123.45" in client.get("/customers/c?as_of=2024-03-31").text


def test_clv_pages_show_a_new_fit_at_once(clv_client):
    client, ws = clv_client
    first = client.get("/clv").text
    assert client.get("/clv").text == first
    with ws.ibis() as backend:
        found = load_fit(backend)
    assert found is not None
    fit, pred = found
    pred = pred.copy()
    last = pred.sort_values("clv").customer_id.iloc[0]  # the least valuable becomes the best
    pred.loc[pred.customer_id == last, ["clv", "p_alive"]] = [99_999.0, 0.5]
    with ws.connect() as con:
        save_clv(con, fit, pred)
    page = client.get("/clv").text
    top = page.split("Top 20 customers by CLV", 1)[1]
    assert f">{last}</a>" in top and "99,999" in top
    assert "99,999.00" in client.get(f"/customers/{last}").text
    body = client.get(f"/api/v1/clv/customers/{last}",
                      headers={"Authorization": f"Bearer {client.cookies['loyalist_key']}"})
    assert body.json()["clv"] == 99_999.0
    band = client.get("/clv/customers?min_clv=1000").text
    assert f">{last}</a>" in band


def test_customer_360_of_unknown_and_derived_customers(client, keys):
    h = auth(keys["viewer"])
    assert client.get("/api/v1/customers/nobody", headers=h).status_code == 404
    view = client.get("/api/v1/customers/a?as_of=2024-03-31", headers=h).json()
    assert view["profile"]["customer_id"] == "a"
    assert isinstance(pd.Timestamp(view["profile"]["signup_at"]), pd.Timestamp)
