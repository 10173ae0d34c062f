"""Answers flow from the operational store into the analytics workspace's survey_responses.

NPS, CSAT and CES answers land with ``question`` = their type (so the metrics find them), a
"how did you hear about us" choice with channel mapping as ``question = 'heard_about'`` and the
mapped channel as ``answer``; comments are redacted on the way. Skipped questions land with no
value, so they count in no denominator. Re-running the sync changes nothing (upsert by
response id).
"""

from __future__ import annotations

import pyarrow as pa
import sqlalchemy as sa

from loyalist.data.importer import ImportResult, load
from loyalist.store.workspace import Workspace
from loyalist.surveys.tables import responses
from loyalist.surveys.text import redact


def sync_responses(engine: sa.Engine, workspace: Workspace) -> ImportResult:
    """Copy every stored answer into the workspace (idempotent)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(responses).order_by(responses.c.response_id)).all()
    kinds = {"nps", "csat", "ces"}
    data = {
        "response_id": [r.response_id for r in rows],
        "customer_id": [r.customer_id for r in rows],
        "survey_id": [r.survey_id for r in rows],
        "question": [r.question_type if r.question_type in kinds else
                     ("heard_about" if r.question_type == "choice" else r.question)
                     for r in rows],
        "answered_at": [r.answered_at for r in rows],
        "score": pa.array([r.score for r in rows], pa.int64()),
        "answer": [r.answer for r in rows],
        "comment": [redact(r.comment) if r.comment else None for r in rows],
        "rewarded": [bool(r.rewarded) for r in rows],
    }
    return load("survey_responses", pa.table(data), workspace=workspace,
                source="operational store: survey_answers")
