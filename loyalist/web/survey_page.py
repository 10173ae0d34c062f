"""The hosted survey page: plain HTML forms, accessible, mobile-friendly, no JavaScript."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from loyalist.api.ratelimit import limit_public
from loyalist.errors import LoyalistError
from loyalist.surveys.definitions import Question, Survey
from loyalist.surveys.service import SurveyService

router = APIRouter(include_in_schema=False, dependencies=[Depends(limit_public)])

_STYLE = """body{font-family:system-ui,sans-serif;max-width:640px;margin:0 auto;padding:16px;
color:#1d2733}fieldset{border:1px solid #d5dae0;border-radius:8px;margin:0 0 16px;padding:12px}
legend{font-weight:600;padding:0 4px}.scale{display:flex;flex-wrap:wrap;gap:6px}
.scale label{display:inline-flex;flex-direction:column;align-items:center;min-width:40px;
padding:6px;border:1px solid #d5dae0;border-radius:6px}.ends{display:flex;
justify-content:space-between;font-size:13px;color:#5b6775}textarea{width:100%;min-height:90px}
button{font-size:16px;padding:10px 18px}:focus{outline:3px solid #3b6ea8}"""

_ENDS = {"nps": ("Not at all likely", "Extremely likely"), "csat": ("Very unsatisfied",
         "Very satisfied"), "ces": ("Very difficult", "Very easy")}


def _html(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width,initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><main>{body}</main></body></html>", status)


def _question(q: Question) -> str:
    legend = f"<legend>{escape(q.prompt)}{' (required)' if q.required else ''}</legend>"
    req = " required" if q.required else ""
    if q.scale is not None:
        lo, hi = q.scale
        boxes = "".join(f'<label><input type="radio" name="{escape(q.id)}" value="{v}"{req}>'
                        f"{v}</label>" for v in range(lo, hi + 1))
        low, high = _ENDS[q.type]
        return (f'<fieldset>{legend}<div class="scale">{boxes}</div><div class="ends">'
                f"<span>{lo} = {low}</span><span>{hi} = {high}</span></div></fieldset>")
    if q.type == "choice":
        boxes = "".join(f'<div><label><input type="radio" name="{escape(q.id)}" '
                        f'value="{escape(o)}"{req}> {escape(o)}</label></div>' for o in q.options)
        return f"<fieldset>{legend}{boxes}</fieldset>"
    return (f'<fieldset>{legend}<label for="{escape(q.id)}" hidden>{escape(q.prompt)}</label>'
            f'<textarea id="{escape(q.id)}" name="{escape(q.id)}" maxlength="2000"{req}>'
            "</textarea></fieldset>")


def _form(survey: Survey, token: str) -> str:
    questions = "".join(_question(q) for q in survey.questions)
    return (f"<h1>{escape(survey.title)}</h1><form method=\"post\" action=\"/s/{escape(token)}\">"
            f'{questions}<button type="submit">Send</button></form>')


@router.get("/s/{token}", response_class=HTMLResponse)
def show(request: Request, token: str) -> HTMLResponse:
    """The survey form behind a signed link."""
    service: SurveyService = request.app.state.surveys
    try:
        survey, _claims = service.open(token)
    except LoyalistError as exc:
        return _html("Survey", f"<h1>Sorry</h1><p>{escape(exc.message)}.</p>", exc.status)
    return _html(survey.title, _form(survey, token))


@router.post("/s/{token}", response_class=HTMLResponse)
async def answer(request: Request, token: str) -> HTMLResponse:
    """Store the form's answers (once per link) and thank the customer."""
    service: SurveyService = request.app.state.surveys
    form = await request.form()
    answers = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        service.respond(token, answers)
    except LoyalistError as exc:
        return _html("Survey", f"<h1>Sorry</h1><p>{escape(exc.message)}.</p>", exc.status)
    return _html("Thank you", "<h1>Thank you!</h1><p>Your answer was recorded.</p>")
