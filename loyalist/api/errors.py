"""One error shape for every error: ``{"error": {"type", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from loyalist.errors import LoyalistError

log = logging.getLogger("loyalist.api")


def error_body(kind: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of an error."""
    return {"error": {"type": kind, "message": message, "details": details or {}}}


def install(app: FastAPI) -> None:
    """Register the handlers that render every error in the one shape."""

    @app.exception_handler(LoyalistError)
    async def _loyalist(_request: Request, exc: LoyalistError) -> JSONResponse:
        return JSONResponse(error_body(type(exc).__name__, exc.message, _plain(exc.details)),
                            status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
                    for e in exc.errors()]
        first = problems[0] if problems else {"where": "request", "problem": "invalid"}
        return JSONResponse(error_body("ValidationError", f"{first['where']}: {first['problem']}",
                                       {"problems": problems}), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body("HTTPError", str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: log it (never the request's headers, which hold keys).
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("InternalError", "unexpected error; see the server log"),
                            status_code=500)


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool | list | None) else str(v)
            for k, v in details.items()}
