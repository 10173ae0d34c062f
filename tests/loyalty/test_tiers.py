"""Tier windows: the bound and the sums a write uses agree with the exact computation."""

from __future__ import annotations

import contextlib
import datetime as dt

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalist.loyalty.derived import TierView
from loyalist.loyalty.errors import InsufficientPointsError
from loyalist.loyalty.ledger import Ledger
from loyalist.loyalty.program import parse_program
from loyalist.loyalty.tiers import tier_from_items, window_bounds, window_parts

T0 = dt.datetime(2024, 1, 1)
times = st.integers(0, 900).map(lambda d: T0 + dt.timedelta(days=d, hours=d % 7))
items = st.lists(st.tuples(times, st.integers(-300, 2000)), max_size=25)
windows = st.sampled_from(["lifetime", "rolling_12_months", "calendar_year"])
policies = st.one_of(
    st.fixed_dictionaries({"window": windows,
                           "downgrade": st.sampled_from(["immediate", "never"])}),
    st.fixed_dictionaries({"window": windows, "downgrade": st.just("grace"),
                           "grace_days": st.integers(0, 200)}))


def _program(tiers):
    return parse_program({"id": "t", "tiers": {
        **tiers, "levels": [{"id": "member", "threshold": 0},
                            {"id": "silver", "threshold": 1000},
                            {"id": "gold", "threshold": 5000}]}})


@settings(max_examples=300, deadline=None)
@given(items, policies, times, st.integers(0, 3000))
def test_the_bound_is_the_value_and_never_below_the_highest_earlier_one(items, tiers, at, base):
    policy = _program(tiers).tiers
    value, bound = window_bounds(items, policy, at, base)
    exact, highest = window_parts(items, policy, at, base)
    assert value == exact
    assert (bound is None) == (highest is None)
    assert bound is None or highest is None or bound >= highest


@settings(max_examples=300, deadline=None)
@given(items, policies, times, st.lists(st.integers(0, 3000), max_size=3))
def test_a_writes_tier_view_agrees_with_the_tier_of_all_items(items, tiers, at, added):
    program = _program(tiers)
    view = TierView(program, list(items), dt.datetime(1, 1, 1), None)
    new = [(at, v) for v in added]
    assert view.status(at, new) == tier_from_items(list(items) + new, program, at)
    assert view.status(at) == tier_from_items(list(items), program, at)


writes = st.lists(st.one_of(
    st.tuples(st.just("order"), st.integers(0, 400_000)),
    st.tuples(st.just("refund"), st.integers(0, 10), st.integers(1, 4)),
    st.tuples(st.just("advance"), st.integers(0, 200)),
    st.tuples(st.just("spend"), st.integers(1, 500))), max_size=25)


@settings(max_examples=150, deadline=None)
@given(writes, policies, st.sampled_from(["points_earned", "spend"]))
def test_the_tier_a_write_answers_is_the_tier_of_all_its_entries(ops, tiers, basis):
    """Every policy, through the ledger: a write reads its tier as sums with the lock (or the
    items, when a tier is never lost) and answers the tier that all the entries give."""
    program = parse_program({
        "id": "t", "earning": [{"id": "buy", "kind": "order", "per": "currency_unit",
                                "points": 1}],
        "tiers": {**tiers, "basis": basis, "levels": [
            {"id": "member", "threshold": 0}, {"id": "silver", "threshold": 1000},
            {"id": "gold", "threshold": 5000}]}})
    engine = sa.create_engine("sqlite://")
    ledger = Ledger(engine, program)
    ledger.ensure_schema()
    at, orders = T0, []
    for i, op in enumerate(ops):
        if op[0] == "advance":
            at += dt.timedelta(days=op[1])
            continue
        if op[0] == "order":
            orders.append((f"o{i}", op[1]))
            receipt = ledger.earn_for_order("m", f"o{i}", op[1] / 100, key=f"k{i}", at=at)
        elif op[0] == "refund" and orders:
            order_id, amount = orders[op[1] % len(orders)]
            receipt = ledger.refund("m", order_id, refunded_amount=amount * op[2] // 400,
                                    key=f"k{i}", at=at)
        elif op[0] == "spend":
            with contextlib.suppress(InsufficientPointsError):
                ledger.spend("m", op[1], key=f"k{i}", at=at)
            continue
        else:
            continue
        assert receipt.tier == ledger.tier("m", at=at).tier, (op, at)
    engine.dispose()
