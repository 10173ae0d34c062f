"""Running surveys on the operational store: invite (throttled), show, answer once, follow up."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from loyalist.errors import InputError, NotFoundError
from loyalist.surveys.answers import validate_answers
from loyalist.surveys.definitions import Survey, parse_survey
from loyalist.surveys.links import LinkClaims, LinkError, LinkUsedError, sign, verify
from loyalist.surveys.tables import followups, invitations, metadata, responses, surveys

secret_table = sa.Table("survey_secret", metadata,
                        sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("secret", sa.String(128), nullable=False))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class SurveyService:
    """Surveys on an operational-store engine.

    ``secret`` signs the links; when not given, one is generated on first use and kept in the
    operational store (never logged).
    """

    def __init__(self, engine: sa.Engine, secret: bytes | None = None) -> None:
        self.engine = engine
        metadata.create_all(engine)
        self._secret = secret or self._stored_secret()
        self._cache: dict[str, Survey] = {}
        # SQLite has one writer; threads of one process queue on a lock instead of meeting in
        # SQLite's busy handler, whose back-off sleeps (up to 100 ms) make the latency tail.
        self._sqlite_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def _writing(self) -> AbstractContextManager[object]:
        return self._sqlite_lock if self._sqlite_lock is not None else nullcontext()

    def _stored_secret(self) -> bytes:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(secret_table.c.secret)).first()
            if row is None:
                value = secrets.token_hex(32)
                conn.execute(secret_table.insert().values(id=1, secret=value))
                return value.encode()
        return str(row[0]).encode()

    def define(self, survey: Survey | dict[str, Any]) -> Survey:
        """Store (or replace) a survey definition."""
        parsed = survey if isinstance(survey, Survey) else parse_survey(survey)
        body = asdict(parsed)
        with self._writing(), self.engine.begin() as conn:
            conn.execute(surveys.delete().where(surveys.c.survey_id == parsed.id))
            conn.execute(surveys.insert().values(survey_id=parsed.id, definition=body,
                                                 created_at=_now()))
        self._cache.pop(parsed.id, None)
        return parsed

    def survey(self, survey_id: str) -> Survey:
        """A stored survey (definitions are cached; :meth:`define` refreshes the cache)."""
        if survey_id in self._cache:
            return self._cache[survey_id]
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(surveys.c.definition)
                               .where(surveys.c.survey_id == survey_id)).first()
        if row is None:
            raise NotFoundError(f"no survey {survey_id!r}", survey_id=survey_id)
        survey = self._cache[survey_id] = _from_stored(row[0])
        return survey

    def may_ask(self, conn: sa.Connection, survey: Survey, customer_id: str,
                now: dt.datetime) -> str | None:
        """Why ``customer_id`` must not be asked now (``None`` when they may be)."""
        last_any = conn.execute(sa.select(sa.func.max(invitations.c.created_at)).where(
            invitations.c.customer_id == customer_id)).scalar()
        if last_any is not None and last_any > now - dt.timedelta(days=survey.cooldown_days):
            return f"asked on {last_any:%Y-%m-%d}; cooldown {survey.cooldown_days} days"
        last_this = conn.execute(sa.select(sa.func.max(invitations.c.created_at)).where(
            invitations.c.customer_id == customer_id,
            invitations.c.survey_id == survey.id)).scalar()
        limit = dt.timedelta(days=survey.max_per_customer_days)
        if last_this is not None and last_this > now - limit:
            return f"asked this survey on {last_this:%Y-%m-%d}; limit one per " \
                   f"{survey.max_per_customer_days} days"
        if _sample(survey.id, customer_id) >= survey.sample_rate:
            return f"not in the {survey.sample_rate:.0%} sample"
        return None

    def invite(self, survey_id: str, customer_id: str, *, channel: str = "link",
               now: dt.datetime | None = None) -> str | None:
        """Issue a signed single-use token, or ``None`` when throttling says not now."""
        if channel not in ("link", "widget"):
            raise InputError(f"channel must be link or widget, got {channel!r}")
        survey, now = self.survey(survey_id), now or _now()
        claims = LinkClaims(survey.id, str(customer_id), secrets.token_hex(16),
                            now + dt.timedelta(days=survey.link_ttl_days))
        with self._writing(), self.engine.begin() as conn:
            if self.may_ask(conn, survey, claims.customer_id, now) is not None:
                return None
            conn.execute(invitations.insert().values(
                nonce=claims.nonce, survey_id=survey.id, customer_id=claims.customer_id,
                channel=channel, created_at=now, expires_at=claims.expires_at))
        return sign(self._secret, claims)

    def open(self, token: str, *, now: dt.datetime | None = None) -> tuple[Survey, LinkClaims]:
        """Check a token (signature, expiry, not used) and return its survey."""
        claims = verify(self._secret, token, now or _now())
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(invitations).where(
                invitations.c.nonce == claims.nonce)).first()
        if row is None or row.customer_id != claims.customer_id or \
                row.survey_id != claims.survey_id:
            raise LinkError("this survey link is not valid")
        if row.used_at is not None:
            raise LinkUsedError("this survey was already answered with this link")
        return self.survey(claims.survey_id), claims

    def respond(self, token: str, answers: dict[str, Any], *,
                now: dt.datetime | None = None) -> dict[str, Any]:
        """Store the answers of one link, once. Skipped questions are kept as no value."""
        now = now or _now()
        survey, claims = self.open(token, now=now)
        rows, complete = validate_answers(survey, answers)
        rewarded = survey.reward_points > 0 and complete  # for completing, whatever the score
        with self._writing(), self.engine.begin() as conn:
            used = conn.execute(invitations.update().where(
                invitations.c.nonce == claims.nonce, invitations.c.used_at.is_(None),
            ).values(used_at=now))
            if used.rowcount != 1:
                raise LinkUsedError("this survey was already answered with this link")
            for row in rows:
                conn.execute(responses.insert().values(
                    response_id=f"{claims.nonce}:{row['question']}", nonce=claims.nonce,
                    survey_id=survey.id, customer_id=claims.customer_id, answered_at=now,
                    complete=complete, rewarded=rewarded, **row))
            kinds = _followups(rows)
            for kind, score in kinds:
                conn.execute(followups.insert().values(
                    followup_id=f"{claims.nonce}:{kind}", customer_id=claims.customer_id,
                    survey_id=survey.id, kind=kind, score=score, created_at=now))
        return {"survey_id": survey.id, "complete": complete, "rewarded": rewarded,
                "answered": sum(1 for r in rows if r["score"] is not None
                                or r["answer"] is not None or r["comment"] is not None),
                "followups": [k for k, _ in kinds]}


def _followups(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    out = []
    for row in rows:
        if row["question_type"] == "nps" and row["score"] is not None:
            if row["score"] <= 6:
                out.append(("detractor_followup", row["score"]))
            elif row["score"] >= 9:
                out.append(("referral_ask_candidate", row["score"]))
    return out


def _sample(survey_id: str, customer_id: str) -> float:
    """A stable number in [0, 1) per (survey, customer): the same customer stays in or out."""
    digest = hashlib.sha256(f"{survey_id}\x00{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _from_stored(data: dict[str, Any]) -> Survey:
    from loyalist.surveys.definitions import Question

    questions = tuple(Question(**{**q, "options": tuple(q["options"])})
                      for q in data["questions"])
    return Survey(**{**data, "questions": questions})
