"""Survey endpoints: admin (define, invite, results) and public JSON for in-product widgets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, Field

from loyalist.access.keys import ApiKey
from loyalist.api.auth import requires
from loyalist.api.ratelimit import limit_public
from loyalist.surveys.service import SurveyService
from loyalist.surveys.summary import nps_summary

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys"])
Analyst = Annotated[ApiKey, Depends(requires("analyst"))]
Viewer = Annotated[ApiKey, Depends(requires("viewer"))]


def _service(request: Request) -> SurveyService:
    service: SurveyService = request.app.state.surveys
    return service


class Invite(BaseModel):
    """Who to invite, and through which channel."""

    customer_id: str = Field(min_length=1, max_length=200)
    channel: str = "link"


class Answer(BaseModel):
    """Answers sent with a signed token (the token is the only credential)."""

    token: str = Field(min_length=10, max_length=2000)
    answers: dict[str, Any]


@router.put("/{survey_id}")
def define(request: Request, survey_id: str, _key: Analyst,
           definition: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Create or replace a survey (the body's ``id`` must match the path)."""
    from loyalist.errors import InputError

    if definition.get("id") != survey_id:
        raise InputError("the definition's id must match the path", key="id")
    survey = _service(request).define(definition)
    return {"survey_id": survey.id, "questions": [q.id for q in survey.questions]}


@router.post("/{survey_id}/invitations", status_code=201)
def invite(request: Request, survey_id: str, body: Invite, _key: Analyst) -> dict[str, Any]:
    """Issue a signed single-use link (or widget token) unless throttling says not now."""
    token = _service(request).invite(survey_id, body.customer_id, channel=body.channel)
    if token is None:
        return {"token": None, "url": None, "throttled": True}
    return {"token": token, "url": f"/s/{token}", "throttled": False}


@router.get("/{survey_id}/results")
def results(request: Request, survey_id: str, _key: Viewer) -> dict[str, Any]:
    """NPS with n and the rewarded share of answers."""
    _service(request).survey(survey_id)  # 404 for an unknown survey
    return {"survey_id": survey_id, **nps_summary(request.app.state.surveys.engine, survey_id)}


@router.get("/widget/{token}", dependencies=[Depends(limit_public)])
def widget(request: Request, token: str) -> dict[str, Any]:
    """The questions behind a token, for an in-product widget."""
    survey, _claims = _service(request).open(token)
    return {"survey_id": survey.id, "title": survey.title, "questions": [
        {"id": q.id, "type": q.type, "prompt": q.prompt, "required": q.required,
         "scale": q.scale, "options": list(q.options)} for q in survey.questions]}


@router.post("/responses", status_code=201, dependencies=[Depends(limit_public)])
def respond(request: Request, body: Answer) -> dict[str, Any]:
    """Answer a survey with its signed token; a token answers once."""
    return _service(request).respond(body.token, body.answers)
