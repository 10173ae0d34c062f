"""Validating answers against a survey's questions."""

from __future__ import annotations

from typing import Any

from loyalist.errors import InputError
from loyalist.surveys.definitions import MAX_TEXT, Survey


def validate_answers(survey: Survey, answers: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """Return one row per question (skipped ones with no value) and whether all were answered.

    Raises :class:`InputError` naming the question for an unknown question, a score off its
    scale, an option not offered, an over-long comment, or a skipped required question.
    """
    if not isinstance(answers, dict):
        raise InputError("answers must be an object of question id -> answer")
    known = {q.id for q in survey.questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise InputError(f"unknown question(s): {', '.join(unknown)}", question=unknown[0])
    rows, complete = [], True
    for q in survey.questions:
        value = answers.get(q.id)
        if value is None or (isinstance(value, str) and not value.strip()):
            if q.required:
                raise InputError(f"{q.id}: an answer is required", question=q.id)
            complete = False
            rows.append(_row(q.id, q.type, None, None, None))
            continue
        rows.append(_one(q.id, q.type, q.scale, q.options, q.channels, value))
    return rows, complete


def _one(qid: str, kind: str, scale: tuple[int, int] | None, options: tuple[str, ...],
         channels: dict[str, str], value: Any) -> dict[str, Any]:
    if scale is not None:
        try:
            score = int(str(value).strip())
        except ValueError:
            raise InputError(f"{qid}: a whole number {scale[0]}-{scale[1]} is needed",
                             question=qid) from None
        if not scale[0] <= score <= scale[1] or str(value).strip() not in (str(score),):
            raise InputError(f"{qid}: a whole number {scale[0]}-{scale[1]} is needed",
                             question=qid)
        return _row(qid, kind, score, None, None)
    text = str(value).strip()
    if kind == "choice":
        if text not in options:
            raise InputError(f"{qid}: one of {', '.join(options)}", question=qid)
        return _row(qid, kind, None, channels.get(text, text), None)
    if len(text) > MAX_TEXT:
        raise InputError(f"{qid}: at most {MAX_TEXT} characters", question=qid)
    return _row(qid, kind, None, None, text)


def _row(qid: str, kind: str, score: int | None, answer: str | None,
         comment: str | None) -> dict[str, Any]:
    return {"question": qid, "question_type": kind, "score": score, "answer": answer,
            "comment": comment}
