"""Operational-store tables of surveys: definitions, invitations (sends and shows), responses."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

surveys = sa.Table(
    "surveys", metadata,
    sa.Column("survey_id", sa.String(100), primary_key=True),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# One row per link sent or widget shown: the throttling ledger and the single-use guard.
invitations = sa.Table(
    "survey_invitations", metadata,
    sa.Column("nonce", sa.String(32), primary_key=True),
    sa.Column("survey_id", sa.String(100), nullable=False),
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),  # link or widget
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("used_at", sa.DateTime, nullable=True),
    sa.Index("ix_invitations_customer", "customer_id", "created_at"),
)

responses = sa.Table(
    "survey_answers", metadata,
    sa.Column("response_id", sa.String(80), primary_key=True),  # <nonce>:<question>
    sa.Column("nonce", sa.String(32), nullable=False),
    sa.Column("survey_id", sa.String(100), nullable=False),
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("question", sa.String(100), nullable=False),
    sa.Column("question_type", sa.String(10), nullable=False),
    sa.Column("score", sa.Integer, nullable=True),
    sa.Column("answer", sa.String(200), nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("answered_at", sa.DateTime, nullable=False),
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("rewarded", sa.Boolean, nullable=False),
)

# Follow-ups from closing the loop (detractor call, promoter referral ask); the playbooks of
# the churn-risk capability read the same table.
followups = sa.Table(
    "survey_followups", metadata,
    sa.Column("followup_id", sa.String(80), primary_key=True),  # <nonce>:<kind>, once per answer
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("survey_id", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("score", sa.Integer, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
