"""REST routes for metrics by name and for the stored CLV model and predictions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from loyalist.access.keys import ApiKey
from loyalist.api.auth import requires
from loyalist.api.cache import cached, clv_prediction
from loyalist.api.pages import PageParams, count_rows, page_params, paginate
from loyalist.clv.stored import predictions, stored_model
from loyalist.data.frames import records
from loyalist.data.views import tables
from loyalist.errors import InputError, NotFoundError
from loyalist.metrics.registry import METRICS
from loyalist.store.workspace import Workspace

router = APIRouter(prefix="/api/v1")
Viewer = Annotated[ApiKey, Depends(requires("viewer"))]
Page = Annotated[PageParams, Depends(page_params)]
Order = Annotated[Literal["clv", "p_alive", "expected_purchases", "expected_spend",
                          "customer_id"], Query(description="Rank by this column.")]
Text = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_]+$")]


def _workspace(request: Request) -> Workspace:
    return Workspace(request.app.state.settings.workspace)


def metric_options(t: dict[str, Any], *, as_of: dt.date | None, period: str | None,
                   by: str | None, variant: str | None, share: float | None) -> dict[str, Any]:
    """The options a caller gave, checked where a metric would fail late (``by`` column)."""
    if by is not None and by not in t["customers"].columns:
        raise InputError(f"by must be a customer column ({', '.join(t['customers'].columns)});"
                         f" got {by!r}", option="by", value=by)
    options = {"as_of": as_of.isoformat() if as_of else None, "period": period, "by": by,
               "variant": variant, "share": share}
    return {k: v for k, v in options.items() if v is not None}


@router.get("/metrics")
def list_metrics(_key: Viewer) -> dict[str, Any]:
    """Every metric the registry knows, with what it measures and its options."""
    return {"items": [{"name": m.name, "description": m.description} for m in METRICS.values()],
            "total": len(METRICS)}


@router.get("/metrics/{name}")
def run_metric(request: Request, name: str, _key: Viewer, page: Page,
               as_of: Annotated[dt.date | None, Query(
                   description="Date the metric is computed as of.")] = None,
               period: Annotated[Literal["day", "week", "month"] | None, Query()] = None,
               by: Text = None, variant: Text = None,
               share: Annotated[float | None, Query(gt=0, le=1)] = None) -> dict[str, Any]:
    """Compute a metric on the workspace; ``rows`` are paginated."""
    if name not in METRICS:
        raise NotFoundError(f"unknown metric {name!r}; GET /api/v1/metrics lists them",
                            metric=name)
    entry = METRICS[name]
    workspace = _workspace(request)
    with workspace.ibis() as backend:
        t = tables(backend)
        options = metric_options(t, as_of=as_of, period=period, by=by, variant=variant,
                                 share=share)
        key = ("metric", name, *sorted(options.items()))
        result = paginate(backend, cached(workspace, backend, key, lambda: entry.build(t, options)),
                          page)
    rows = result.pop("items")
    return {"metric": entry.name, "options": options, "rows": rows, **result}


@router.get("/clv")
def clv_model(request: Request, _key: Viewer) -> dict[str, Any]:
    """The stored CLV model: parameters, log-likelihood, when and on what it was fitted."""
    with _workspace(request).ibis() as backend:
        return stored_model(backend)


@router.get("/clv/customers")
def clv_customers(request: Request, _key: Viewer, page: Page,
                  order: Order = "clv",
                  min_clv: Annotated[float | None, Query(ge=0, le=1e12)] = None,
                  max_clv: Annotated[float | None, Query(ge=0, le=1e12)] = None,
                  limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
                  offset: Annotated[int | None, Query(ge=0, le=10**9)] = None,
                  ) -> dict[str, Any]:
    """Stored predictions per customer, best first; ``min_clv <= clv < max_clv`` filters.

    ``limit``/``offset`` page like ``page_size``/``page`` (they win when given).
    """
    with _workspace(request).ibis() as backend:
        ranked = predictions(backend, order=order, low=min_clv, high=max_clv)
        if limit is None and offset is None:
            return paginate(backend, ranked, page)
        size, skip = limit or page.page_size, offset or 0
        total = count_rows(backend, ranked)
        rows = records(backend.execute(ranked.limit(size, offset=skip)), iso=True)
    return {"items": rows, "limit": size, "offset": skip, "total": total}


@router.get("/clv/customers/{customer_id}")
def clv_customer(request: Request, customer_id: str, _key: Viewer) -> dict[str, Any]:
    """One customer's P(alive), expected purchases and spend, and CLV."""
    workspace = _workspace(request)
    with workspace.ibis() as backend:
        stored_model(backend)  # 404 with what to run when CLV was never fitted
        row = clv_prediction(workspace, backend, customer_id)
    if row is None:
        raise NotFoundError(f"no CLV prediction for customer {customer_id!r}",
                            customer_id=customer_id)
    return row
