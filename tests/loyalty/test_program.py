"""Program YAML validation: every error names its key path."""

from __future__ import annotations

import pytest

from loyalist.loyalty.errors import ProgramError
from loyalist.loyalty.program import example_program, load_program, parse_program

BASE = {"id": "p", "earning": [{"id": "buy", "kind": "order", "points": 1}]}


def _error(**changes) -> ProgramError:
    with pytest.raises(ProgramError) as info:
        parse_program({**BASE, **changes})
    return info.value


def test_the_example_program_is_valid():
    program = example_program()
    assert program.clawback == "within_balance" and program.tiers.levels[-1].id == "gold"
    assert {r.kind for r in program.rewards} == {"discount", "free_item", "credit", "experience"}


@pytest.mark.parametrize(("changes", "key", "message"), [
    ({"earning": [{"id": "a", "points": 1}, {"id": "b", "points": 1},
                  {"id": "c", "points": 0}]}, "earning[2].points", "must be a positive integer"),
    ({"earning": [{"id": "a", "points": 1.5}]}, "earning[0].points", "positive integer"),
    ({"earning": [{"id": "a", "points": 1, "rounding": "up"}]}, "earning[0].rounding",
     "floor, round, ceil"),
    ({"earning": [{"id": "a", "kind": "event", "event": "tweet", "points": 1}]},
     "earning[0].event", "must be one of"),
    ({"earning": [{"id": "a", "points": 1, "limit": {"period": "month"}}]},
     "earning[0].limit", "max_points, max_times"),
    ({"earning": [{"id": "a", "points": 1, "tiers": ["gold"]}]}, "earning[0].tiers",
     "unknown tier"),
    ({"earning": [{"id": "a", "points": 1, "colour": "red"}]}, "earning[0].colour",
     "unknown key"),
    ({"tiers": {"levels": [{"id": "a", "threshold": 10}, {"id": "b", "threshold": 5}]}},
     "tiers.levels[1].threshold", "must increase"),
    ({"tiers": {"window": "fortnight"}}, "tiers.window", "rolling_12_months"),
    ({"rewards": [{"id": "r", "kind": "cash", "cost": 5}]}, "rewards[0].kind", "must be one of"),
    ({"rewards": [{"id": "r", "cost": 5, "stock": -1}]}, "rewards[0].stock", ">= 0"),
    ({"rewards": [{"id": "r", "cost": 5, "early_access": {"days": 3}}]},
     "rewards[0].early_access", "needs available_from"),
    ({"badges": [{"id": "b", "metric": "events"}]}, "badges[0].event", "must be one of"),
    ({"expiry": {"mode": "per_lot", "days": 10}, "pending_days": 30}, "expiry.days",
     "longer than pending_days"),
    ({"clawback": "never"}, "clawback", "pending_only, within_balance, allow_negative"),
    ({"earning": [{"id": "a", "points": 1}, {"id": "a", "points": 2}]}, "earning[1].id",
     "duplicate"),
    ({"earning": [{"id": "a", "points": 1, "min_amount": "1.234"}]}, "earning[0].min_amount",
     "2 decimals"),
])
def test_errors_name_the_key(changes, key, message):
    error = _error(**changes)
    assert error.details["key"] == key
    assert str(error).startswith(f"{key}: ") and message in str(error)


def test_yaml_syntax_errors_give_the_line():
    with pytest.raises(ProgramError, match="line 3"):
        load_program("id: p\nearning: [\n")
