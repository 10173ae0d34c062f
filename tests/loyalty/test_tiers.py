"""Tier windows: the one-pass bound a write uses agrees with the exact computation."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalist.loyalty.derived import TierView
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
