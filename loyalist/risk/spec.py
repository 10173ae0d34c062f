"""The declarative health spec: which signals count, how much, when red, and missing data.

YAML::

    grades: {yellow: 40, red: 70}   # score (0-100, higher = more risk) where grades start
    missing: neutral                # default for signals without data: neutral, risk or safe
    signals:
      purchase_drop: {weight: 3, red_at: 0.6}
      failed_payments: {weight: 3, red_at: 1, forces_red: true}
      renewal_days: {weight: 1, red_at: 30, direction: below}

A signal's part is ``weight * min(value / red_at, 1)`` (``direction: below`` turns it around:
``weight * min(red_at / max(value, 1e-9), 1)``, so 30 days to renewal is full weight and 60 half);
the score is ``100 * sum(parts) / sum(weights)`` over the signals counted: ``neutral`` missing data
leaves a signal out of both sums, ``risk`` counts it at full weight, ``safe`` at zero. A signal
with ``forces_red`` at or past ``red_at`` makes the grade red whatever the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from loyalist.errors import InputError, yaml_problem
from loyalist.risk.signals import SIGNALS

MISSING = ("neutral", "risk", "safe")


class SpecError(InputError):
    """An invalid health spec; ``details["key"]`` names the offending key."""


@dataclass(frozen=True)
class SignalRule:
    """How one signal counts."""

    name: str
    weight: float
    red_at: float
    direction: str = "above"
    forces_red: bool = False
    missing: str = "neutral"


@dataclass(frozen=True)
class HealthSpec:
    """A validated health spec."""

    rules: tuple[SignalRule, ...]
    yellow: float = 40.0
    red: float = 70.0
    extra: dict[str, Any] = field(default_factory=dict)


def _number(value: Any, key: str, *, positive: bool = True) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or (
            positive and value <= 0):
        raise SpecError(f"{key}: must be a {'positive ' if positive else ''}number, got "
                        f"{value!r}", key=key)
    return float(value)


def parse_spec(data: Any) -> HealthSpec:
    """Validate a spec (parsed YAML) and build it; errors name the key."""
    if not isinstance(data, dict):
        raise SpecError("a health spec must be a mapping", key="")
    unknown = set(data) - {"grades", "missing", "signals"}
    if unknown:
        raise SpecError(f"unknown key {sorted(unknown)[0]!r}", key=sorted(unknown)[0])
    default_missing = data.get("missing", "neutral")
    if default_missing not in MISSING:
        raise SpecError(f"missing: one of {', '.join(MISSING)}", key="missing")
    signals = data.get("signals")
    if not isinstance(signals, dict) or not signals:
        raise SpecError("signals: a mapping of signal name to rule is required", key="signals")
    rules = tuple(_rule(name, body, default_missing) for name, body in signals.items())
    grades = data.get("grades", {}) or {}
    yellow = _number(grades.get("yellow", 40), "grades.yellow")
    red = _number(grades.get("red", 70), "grades.red")
    if not yellow < red <= 100:
        raise SpecError("grades: need yellow < red <= 100", key="grades")
    return HealthSpec(rules, yellow, red)


def _rule(name: str, body: Any, default_missing: str) -> SignalRule:
    key = f"signals.{name}"
    if name not in SIGNALS:
        raise SpecError(f"{key}: unknown signal (signals: {', '.join(SIGNALS)})", key=key)
    if not isinstance(body, dict):
        raise SpecError(f"{key}: must be a mapping with weight and red_at", key=key)
    unknown = set(body) - {"weight", "red_at", "direction", "forces_red", "missing"}
    if unknown:
        bad = sorted(unknown)[0]
        raise SpecError(f"{key}.{bad}: unknown key", key=f"{key}.{bad}")
    direction = body.get("direction", "above")
    if direction not in ("above", "below"):
        raise SpecError(f"{key}.direction: above or below", key=f"{key}.direction")
    missing = body.get("missing", default_missing)
    if missing not in MISSING:
        raise SpecError(f"{key}.missing: one of {', '.join(MISSING)}", key=f"{key}.missing")
    return SignalRule(name, _number(body.get("weight"), f"{key}.weight"),
                      _number(body.get("red_at"), f"{key}.red_at"), direction,
                      bool(body.get("forces_red", False)), missing)


def load_spec(name_or_path: str | Path = "default") -> HealthSpec:
    """Load the shipped ``default`` spec or a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError(f"{path}: cannot read ({exc.strerror})", key="") from exc
    elif str(name_or_path) == "default":
        text = resources.files("loyalist.risk").joinpath("default_spec.yaml").read_text()
    else:
        raise SpecError(f"no health spec {str(name_or_path)!r} (use 'default' or a .yaml file)",
                        key="")
    try:
        return parse_spec(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {yaml_problem(exc)}", key="") from exc
