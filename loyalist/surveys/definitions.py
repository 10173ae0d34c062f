"""Survey definitions (YAML or dict): questions, trigger, throttling and reward.

Question types and their fixed scales: ``nps`` 0-10, ``csat`` 1-5, ``ces`` 1-7, ``choice`` (one of
``options``; the "how did you hear about us" question maps each option to an acquisition channel
with ``channels``), ``text`` (free comment, at most 2,000 characters). Every question may be
skipped unless ``required``; a skipped answer is stored as no value, so it never counts in a
denominator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from loyalist.errors import InputError, yaml_problem

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
TYPES = (*SCALES, "choice", "text")
TRIGGERS = ("manual", "ticket_closed", "days_after_first_order", "days_after_signup",
            "periodic", "event")
MAX_TEXT = 2000


class SurveyDefinitionError(InputError):
    """A survey definition is invalid; ``details["key"]`` names the offending key."""


@dataclass(frozen=True)
class Question:
    """One question of a survey."""

    id: str
    type: str
    prompt: str
    required: bool = False
    options: tuple[str, ...] = ()
    channels: dict[str, str] = field(default_factory=dict)

    @property
    def scale(self) -> tuple[int, int] | None:
        """The fixed numeric scale, for nps, csat and ces."""
        return SCALES.get(self.type)


@dataclass(frozen=True)
class Survey:
    """A survey: questions, when to ask, how often at most, and an optional reward."""

    id: str
    title: str
    questions: tuple[Question, ...]
    trigger: str = "manual"
    trigger_days: int = 0
    event: str = ""
    cooldown_days: int = 30
    max_per_customer_days: int = 90
    sample_rate: float = 1.0
    link_ttl_days: int = 14
    reward_points: int = 0

    def question(self, qid: str) -> Question:
        """The question called ``qid``."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise InputError(f"survey {self.id} has no question {qid!r}", question=qid)


def _need(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise SurveyDefinitionError(f"{where}{key}: required, a {kind.__name__}",
                                    key=f"{where}{key}")
    return value


def _int(data: dict[str, Any], key: str, default: int, low: int, high: int, where: str) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SurveyDefinitionError(f"{where}{key}: must be a whole number {low}-{high}, got "
                                    f"{value!r}", key=f"{where}{key}")
    return value


def _question(data: Any, i: int) -> Question:
    where = f"questions[{i}]."
    if not isinstance(data, dict):
        raise SurveyDefinitionError(f"questions[{i}]: must be a mapping", key=f"questions[{i}]")
    kind = _need(data, "type", str, where)
    if kind not in TYPES:
        raise SurveyDefinitionError(f"{where}type: one of {', '.join(TYPES)}, got {kind!r}",
                                    key=f"{where}type")
    options = tuple(str(o) for o in data.get("options", []))
    if kind == "choice" and len(options) < 2:
        raise SurveyDefinitionError(f"{where}options: a choice needs two or more options",
                                    key=f"{where}options")
    channels = {str(k): str(v) for k, v in (data.get("channels") or {}).items()}
    unknown = set(channels) - set(options)
    if unknown:
        raise SurveyDefinitionError(f"{where}channels: not options: {sorted(unknown)}",
                                    key=f"{where}channels")
    extra = set(data) - {"id", "type", "prompt", "required", "options", "channels"}
    if extra:
        raise SurveyDefinitionError(f"{where[:-1]}: unknown keys {sorted(extra)}",
                                    key=f"{where}{sorted(extra)[0]}")
    return Question(_need(data, "id", str, where), kind, _need(data, "prompt", str, where),
                    bool(data.get("required", False)), options, channels)


def parse_survey(data: Any) -> Survey:
    """Validate a survey definition (parsed YAML or JSON) and build it."""
    if not isinstance(data, dict):
        raise SurveyDefinitionError("a survey definition must be a mapping", key="")
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise SurveyDefinitionError("questions: a non-empty list is required", key="questions")
    parsed = tuple(_question(q, i) for i, q in enumerate(questions))
    ids = [q.id for q in parsed]
    if len(set(ids)) != len(ids):
        raise SurveyDefinitionError("questions: ids repeat", key="questions")
    trigger = data.get("trigger", {}) or {}
    kind = trigger.get("type", "manual") if isinstance(trigger, dict) else None
    if kind not in TRIGGERS:
        raise SurveyDefinitionError(f"trigger.type: one of {', '.join(TRIGGERS)}, got {kind!r}",
                                    key="trigger.type")
    throttle = data.get("throttle", {}) or {}
    rate = throttle.get("sample_rate", 1.0)
    if not isinstance(rate, int | float) or not 0 < rate <= 1:
        raise SurveyDefinitionError(f"throttle.sample_rate: must be in (0, 1], got {rate!r}",
                                    key="throttle.sample_rate")
    return Survey(
        id=_need(data, "id", str, ""), title=_need(data, "title", str, ""), questions=parsed,
        trigger=kind, trigger_days=_int(trigger, "days", 0, 0, 3650, "trigger."),
        event=str(trigger.get("event", "")),
        cooldown_days=_int(throttle, "cooldown_days", 30, 0, 3650, "throttle."),
        max_per_customer_days=_int(throttle, "max_per_customer_days", 90, 0, 3650, "throttle."),
        sample_rate=float(rate), link_ttl_days=_int(data, "link_ttl_days", 14, 1, 365, ""),
        reward_points=_int(data.get("reward", {}) or {}, "points", 0, 0, 1_000_000, "reward."),
    )


def load_survey(text: str) -> Survey:
    """Parse a survey definition from YAML text."""
    try:
        return parse_survey(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise SurveyDefinitionError(f"not valid YAML: {yaml_problem(exc)}", key="") from exc
