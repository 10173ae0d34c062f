"""The FastAPI application: REST API under ``/api/v1`` and the dashboard pages."""

from __future__ import annotations

from fastapi import Depends, FastAPI, Request

from loyalist import __version__
from loyalist.access.keys import KeyStore
from loyalist.api import errors
from loyalist.api.analytics import router as analytics_router
from loyalist.api.loyalty import router as loyalty_router
from loyalist.api.ratelimit import RateLimiter
from loyalist.api.routes import router as api_router
from loyalist.api.surveys import router as survey_router
from loyalist.config import Settings
from loyalist.errors import ConfigError, InputError
from loyalist.loyalty.applied import LedgerSource
from loyalist.store.operational import connect_operational, default_url
from loyalist.surveys.service import SurveyService
from loyalist.web import router as web_router
from loyalist.web.clv_page import router as clv_page_router
from loyalist.web.metrics_page import router as metrics_page_router
from loyalist.web.program_page import router as program_page_router
from loyalist.web.survey_page import router as survey_page_router
from loyalist.web.tasks_page import router as tasks_page_router

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def no_nul(request: Request) -> None:
    """Refuse a NUL in any query or path parameter (it cut the SQL text of a filter: a 500)."""
    for key, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if "\x00" in f"{key}{value}":
            raise InputError(f"parameter {key!r} must not contain a NUL character", option=key)


def create_app(settings: Settings, *, open_access: bool = False,
               host: str = "127.0.0.1", public_limit: int | None = 120) -> FastAPI:
    """Build the app. ``open_access`` (no keys) is refused unless bound to the loopback.

    ``public_limit`` caps requests per client per minute on the public survey endpoints
    (``None``: no cap, for load tests).
    """
    if open_access and host not in LOCAL_HOSTS:
        raise ConfigError(f"open access is only allowed on 127.0.0.1, not {host}", key="host",
                          value=host)
    app = FastAPI(title="loyalist", version=__version__, dependencies=[Depends(no_nul)],
                  description="Customer loyalty and retention: metrics, segments, customers, "
                              "imports. Send an API key as 'Authorization: Bearer <key>'.")
    app.state.settings = settings
    app.state.open_access = open_access
    engine = connect_operational(settings.operational_url or default_url(settings.workspace))
    app.state.keys = KeyStore(engine)
    secret = settings.survey_secret.encode() if settings.survey_secret else None
    app.state.surveys = SurveyService(engine, secret)
    app.state.loyalty = LedgerSource(engine, settings.program_file)
    app.state.public_limit = RateLimiter(public_limit) if public_limit else None
    errors.install(app)
    app.include_router(api_router)
    app.include_router(analytics_router)
    app.include_router(survey_router)
    app.include_router(loyalty_router)
    app.include_router(web_router)
    app.include_router(clv_page_router)
    app.include_router(metrics_page_router)
    app.include_router(survey_page_router)
    app.include_router(program_page_router)
    app.include_router(tasks_page_router)
    return app
