"""Survey commands: define, invite, results, sync into the workspace, read comments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from loyalist.cli.common import check_choice, settings_of
from loyalist.cli.output import app, out, print_rows
from loyalist.data.views import tables
from loyalist.errors import ImportFileError
from loyalist.segments.dates import as_date
from loyalist.store.operational import connect_operational, default_url
from loyalist.store.workspace import Workspace
from loyalist.surveys.definitions import load_survey
from loyalist.surveys.service import SurveyService
from loyalist.surveys.summary import nps_summary
from loyalist.surveys.sync import sync_responses
from loyalist.surveys.text import read_comments
from loyalist.surveys.triggers import invite_due
from loyalist.surveys.views import nps_by_period

surveys_app = typer.Typer(help="NPS, CSAT, CES and 'how did you hear about us' surveys.",
                          no_args_is_help=True)
app.add_typer(surveys_app, name="surveys")
Fmt = Annotated[str, typer.Option("--format", help="table, csv or json.")]


def _service(ctx: typer.Context) -> SurveyService:
    settings = settings_of(ctx)
    engine = connect_operational(settings.operational_url or default_url(settings.workspace))
    secret = settings.survey_secret.encode() if settings.survey_secret else None
    return SurveyService(engine, secret)


@surveys_app.command("define")
def define(ctx: typer.Context, file: Path) -> None:
    """Create or replace a survey from a YAML definition."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportFileError(f"{file}: cannot read ({exc.strerror})", file=str(file)) from exc
    survey = _service(ctx).define(load_survey(text))
    out.print(f"survey {survey.id}: {len(survey.questions)} question(s)", highlight=False)


@surveys_app.command("invite")
def invite(ctx: typer.Context, survey_id: str, customer_ids: list[str],
           base_url: Annotated[str, typer.Option(help="Public URL of the server.")] =
           "http://127.0.0.1:8000", fmt: Fmt = "table") -> None:
    """Issue signed single-use links (throttled customers get none)."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    service = _service(ctx)
    rows: list[dict[str, Any]] = []
    for customer in customer_ids:
        token = service.invite(survey_id, customer)
        rows.append({"customer_id": customer,
                     "link": f"{base_url.rstrip('/')}/s/{token}" if token else None,
                     "throttled": token is None})
    print_rows(rows, fmt, title=f"{sum(r['link'] is not None for r in rows)} link(s)",
               limit=len(rows))


@surveys_app.command("due")
def due(ctx: typer.Context, survey_id: str,
        as_of: Annotated[str | None, typer.Option(help="Day (YYYY-MM-DD) [default: today].")]
        = None,
        base_url: Annotated[str, typer.Option(help="Public URL of the server.")] =
        "http://127.0.0.1:8000", fmt: Fmt = "table") -> None:
    """Invite everyone the survey's trigger selects on a day (throttling applies)."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    day = as_date(as_of) if as_of else dt.date.today()
    rows = invite_due(_service(ctx), Workspace(settings_of(ctx).workspace), survey_id, day)
    links = [{"customer_id": r["customer_id"], "throttled": r["throttled"],
              "link": f"{base_url.rstrip('/')}/s/{r['token']}" if r["token"] else None}
             for r in rows]
    print_rows(links, fmt, title=f"{sum(not r['throttled'] for r in rows)} invitation(s) on "
               f"{day}", limit=len(links))


@surveys_app.command("results")
def results(ctx: typer.Context, survey_id: Annotated[str | None, typer.Argument()] = None,
            ) -> None:
    """NPS with n and the rewarded share of answers (one survey or all)."""
    out.print_json(json.dumps(nps_summary(_service(ctx).engine, survey_id)))


@surveys_app.command("sync")
def sync(ctx: typer.Context) -> None:
    """Copy answers into the workspace (comments redacted) for metrics and the report."""
    result = sync_responses(_service(ctx).engine, Workspace(settings_of(ctx).workspace))
    out.print(f"survey_responses: {result.rows_loaded:,} loaded, {result.rows_rejected:,} "
              "rejected", highlight=False)


@surveys_app.command("nps")
def nps(ctx: typer.Context,
        by: Annotated[str | None, typer.Option(help="Customer column, e.g. acquisition_channel.")]
        = None, fmt: Fmt = "table") -> None:
    """Monthly NPS with n and its adjusted-Wald 95 % interval (from the workspace)."""
    check_choice("--format", fmt, ("table", "csv", "json"))
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        t = tables(backend)
        frame = backend.execute(nps_by_period(t["survey_responses"], t["customers"], by=by))
    frame["month"] = frame["month"].astype(str)
    print_rows(frame.to_dict(orient="records"), fmt, title="NPS by month", limit=len(frame))


@surveys_app.command("comments")
def comments(ctx: typer.Context,
             n_themes: Annotated[int, typer.Option(help="How many themes.")] = 5) -> None:
    """Themes and sentiment of the comments in the workspace (PII redacted)."""
    with Workspace(settings_of(ctx).workspace).ibis() as backend:
        r = tables(backend)["survey_responses"]
        texts = backend.execute(r.filter(r.comment.notnull()).comment).tolist()
    read = read_comments(texts, n_themes=n_themes)
    scores = [c["sentiment"] for c in read["comments"]]
    mean = sum(scores) / len(scores) if scores else 0.0
    out.print(f"{len(scores)} comment(s), mean sentiment {mean:+.2f}", highlight=False)
    for theme in read["themes"]:
        out.print(f"- {', '.join(theme['words'])} ({theme['size']}): "
                  f"{' | '.join(theme['examples'][:2])}", highlight=False)
