"""The stored per-customer tables: built by the first reader after an import, identical to the
on-the-fly ones, and never read once stale."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from loyalist.data import load
from loyalist.data.derived import (
    build_customer_months,
    build_event_days,
    build_order_days,
    build_sessions,
    customer_months,
    event_days,
    order_days,
    refresh_if_stale,
    refresh_workspace,
    sessions,
    stale_sources,
)
from loyalist.data.views import tables
from loyalist.metrics.retention import cohort_retention
from tests.support.synthetic import synthetic_shop

BUILT = {"order_days": ("orders", lambda o: build_order_days(o)),
         "customer_months": ("orders", lambda o: build_customer_months(build_order_days(o))),
         "event_days": ("events", build_event_days),
         "sessions": ("events", build_sessions)}
READ = {"order_days": order_days, "customer_months": customer_months,
        "event_days": event_days, "sessions": sessions}


def _stored_name(expr: ibis.Table) -> str | None:
    return getattr(expr.op(), "name", None)


def _frame(backend, expr) -> pd.DataFrame:
    out = backend.execute(expr)
    return out.sort_values(list(out.columns[:2])).reset_index(drop=True)


@pytest.fixture(scope="module")
def shop_workspace(tmp_path_factory):
    from loyalist.store.workspace import Workspace

    ws = Workspace(tmp_path_factory.mktemp("derived") / "ws")
    shop = synthetic_shop()
    for name in ("customers", "orders", "events"):
        load(name, shop[name], workspace=ws)
    assert refresh_if_stale(ws) == ("orders", "events")
    return ws


def test_once_built_they_equal_the_expressions(shop_workspace):
    with shop_workspace.ibis() as backend:
        t = tables(backend)
        for derived, (source, build) in BUILT.items():
            stored = READ[derived](t[source])
            assert _stored_name(stored) == f"_{derived}"
            fresh = build(backend.table(source))  # built on the fly from the same rows
            assert _stored_name(fresh) is None
            a, b = _frame(backend, stored), _frame(backend, fresh)
            assert len(a) > 100, derived
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_a_write_outside_import_is_never_served_stale(tmp_path):
    from loyalist.store.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    orders = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "b"],
                           "ordered_at": ["2024-01-05", "2024-02-07"], "amount": [10.0, 5.0]})
    load("orders", orders, workspace=ws)
    refresh_workspace(ws)
    with ws.connect() as con:  # a write that bypasses `loyalist import`
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, amount) "
                    "VALUES ('3', 'a', TIMESTAMP '2024-03-01', 7.0)")
    with ws.ibis() as backend:
        t = tables(backend)
        assert _stored_name(order_days(t["orders"])) is None  # stale: built on the fly
        out = backend.execute(cohort_retention(t["orders"]))
        assert out.customers.tolist() == [1, 1, 1]  # a in January and March, b in February
    refresh_workspace(ws)
    with ws.ibis() as backend:
        t = tables(backend)
        assert _stored_name(order_days(t["orders"])) == "_order_days"
        assert backend.execute(cohort_retention(t["orders"])).customers.tolist() == [1, 1, 1]


def test_an_import_makes_them_stale_and_the_next_refresh_rebuilds_only_its_source(tmp_path):
    from loyalist.store.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    first = pd.DataFrame({"order_id": ["1"], "customer_id": ["a"],
                          "ordered_at": ["2024-01-05"], "amount": [10.0]})
    load("orders", first, workspace=ws)
    events = pd.DataFrame({"event_id": ["e1"], "customer_id": ["a"],
                           "occurred_at": ["2024-01-05"], "event_type": ["login"]})
    load("events", events, workspace=ws)
    assert stale_sources(ws) == ("orders", "events")
    assert refresh_if_stale(ws) == ("orders", "events") and stale_sources(ws) == ()
    again = pd.DataFrame({"order_id": ["1", "2"], "customer_id": ["a", "a"],
                          "ordered_at": ["2024-01-05", "2024-01-09"], "amount": [12.0, 3.0]})
    load("orders", again, workspace=ws)  # an upsert: order 1 changes, order 2 is new
    with ws.ibis() as backend:  # stale: the same rows, computed on the fly
        assert _stored_name(order_days(tables(backend)["orders"])) is None
    assert refresh_if_stale(ws) == ("orders",)
    with ws.ibis() as backend:
        days = order_days(tables(backend)["orders"])
        assert _stored_name(days) == "_order_days"
        out = backend.to_pyarrow(days.order_by("day").select(
            "day", "orders", "revenue", "next_day", "day_no", "revenue_to_date"))
    assert out.to_pylist() == [
        {"day": dt.date(2024, 1, 5), "orders": 1, "revenue": 12.0,
         "next_day": dt.date(2024, 1, 9), "day_no": 1, "revenue_to_date": 12.0},
        {"day": dt.date(2024, 1, 9), "orders": 1, "revenue": 3.0, "next_day": None,
         "day_no": 2, "revenue_to_date": 15.0}]


def test_sessions_with_another_rule_are_built_on_the_fly(shop_workspace):
    with shop_workspace.ibis() as backend:
        events = tables(backend)["events"]
        assert _stored_name(sessions(events)) == "_sessions"
        assert _stored_name(sessions(events, idle_minutes=10)) is None


def test_a_customer_subset_and_an_earlier_date_cut_the_stored_tables_exactly(shop_workspace):
    from loyalist.data.derived import of_customers, orders_before

    with shop_workspace.ibis() as backend:
        orders = tables(backend)["orders"]
        some = of_customers(orders, lambda c: c.hash() % 3 != 0)
        earlier = orders_before(orders, dt.date(2024, 3, 1))  # a month start: months cut too
        mid_month = orders_before(orders, dt.date(2024, 3, 17))
        for cut in (some, earlier, mid_month):
            assert _stored_name(cut) is None
            plain = cut.filter(ibis.literal(True))  # the same rows, nothing stored for it
            for read in (order_days, customer_months):
                a, b = _frame(backend, read(cut)), _frame(backend, read(plain))
                assert len(a) > 20
                pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("unit", ["D", "W"])
def test_the_clv_summary_from_stored_days_equals_the_direct_one(shop_workspace, unit):
    from loyalist.clv.summary import rfm_summary

    with shop_workspace.ibis() as backend:
        orders = tables(backend)["orders"]
        for end in ("2024-06-30", "2023-11-15"):
            stored = _frame(backend, rfm_summary(orders, observation_end=end, unit=unit))
            direct = _frame(backend, rfm_summary(orders.filter(ibis.literal(True)),
                                                 observation_end=end, unit=unit))
            assert len(stored) > 50
            pd.testing.assert_frame_equal(stored, direct, check_exact=False, rtol=1e-12)
