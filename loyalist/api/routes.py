"""REST routes under ``/api/v1``: thin wrappers that parse, call the library and render."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel

from loyalist.access.keys import ApiKey, KeyStore
from loyalist.api.auth import requires
from loyalist.api.cache import cached_segments, customer_view
from loyalist.api.pages import PageParams, page_params, paginate
from loyalist.data.derived import refresh_if_stale
from loyalist.data.importer import import_file, rejects
from loyalist.data.schema import table as table_spec
from loyalist.data.views import tables
from loyalist.errors import InputError
from loyalist.segments.dates import resolve_as_of, shift_days
from loyalist.segments.maps import load_map, shipped_maps
from loyalist.segments.movement import (
    best_customers,
    falling_off,
    migration_matrix,
    movement,
    segment_summary,
    segments_then_and_now,
)
from loyalist.segments.value import value_score
from loyalist.store.workspace import Workspace

router = APIRouter(prefix="/api/v1")
Viewer = Annotated[ApiKey, Depends(requires("viewer"))]
Analyst = Annotated[ApiKey, Depends(requires("analyst"))]
Admin = Annotated[ApiKey, Depends(requires("admin"))]
Page = Annotated[PageParams, Depends(page_params)]
AsOf = Annotated[dt.date | None, Query(description="Date; default the last order.")]
MapName = Annotated[str, Query(description="Segment map: " + ", ".join(shipped_maps()))]


def _workspace(request: Request) -> Workspace:
    return Workspace(request.app.state.settings.workspace)


@contextmanager
def _data(request: Request) -> Iterator[tuple[Any, dict[str, Any]]]:
    with _workspace(request).ibis() as backend:
        yield backend, tables(backend)


def _seg_map(name: str) -> Any:
    if name not in shipped_maps():  # the API never reads files named by a caller
        raise InputError(f"unknown segment map {name!r} (maps: {', '.join(shipped_maps())})",
                         map=name)
    return load_map(name)


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness check (no key needed)."""
    return {"status": "ok"}


@router.get("/segments/rfm")
def rfm_summary(request: Request, _key: Viewer, page: Page, as_of: AsOf = None,
                map: MapName = "rf-grid") -> dict[str, Any]:
    """Segment sizes and revenue as of a date."""
    with _data(request) as (backend, t):
        day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
        seg = cached_segments(_workspace(request), backend, t, day, _seg_map(map))
        return {"as_of": day.isoformat(), **paginate(backend, segment_summary(seg), page)}


@router.get("/segments/rfm/customers")
def rfm_customers(request: Request, _key: Viewer, page: Page, as_of: AsOf = None,
                  map: MapName = "rf-grid", segment: str | None = None,
                  r: Annotated[int | None, Query(ge=1, le=5)] = None,
                  f: Annotated[int | None, Query(ge=1, le=5)] = None) -> dict[str, Any]:
    """The customers behind a segment or an RFM grid cell (drill-down)."""
    with _data(request) as (backend, t):
        day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
        seg = cached_segments(_workspace(request), backend, t, day, _seg_map(map))
        if segment is not None:
            seg = seg.filter(seg.segment == segment)
        if r is not None:
            seg = seg.filter(seg.r == r)
        if f is not None:
            seg = seg.filter(seg.f == f)
        return {"as_of": day.isoformat(), **paginate(backend, best_customers(seg), page)}


@router.get("/segments/migration")
def migration(request: Request, _key: Viewer, page: Page, as_of: AsOf = None,
              since_days: Annotated[int, Query(ge=1, le=3650)] = 90,
              map: MapName = "rf-grid") -> dict[str, Any]:
    """Customers per (segment before, segment now) pair."""
    with _data(request) as (backend, t):
        day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
        before, now = segments_then_and_now(t, as_of=day, before=shift_days(day, -since_days),
                                            segment_map=_seg_map(map))
        return {"as_of": day.isoformat(),
                **paginate(backend, migration_matrix(movement(before, now)), page)}


@router.get("/customers")
def list_customers(request: Request, _key: Viewer, page: Page,
                   q: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    """Customers, optionally those whose id contains ``q``."""
    with _data(request) as (backend, t):
        c = t["customers"]
        if q:
            c = c.filter(c.customer_id.contains(q))
        return paginate(backend, c.order_by("customer_id"), page)


@router.get("/customers/best")
def best(request: Request, _key: Viewer, page: Page, as_of: AsOf = None,
         map: MapName = "rf-grid") -> dict[str, Any]:
    """Best customers: best segment first, then by value."""
    return rfm_customers(request, _key, page, as_of, map)


@router.get("/customers/falling-off")
def falling(request: Request, _key: Viewer, page: Page, as_of: AsOf = None,
            since_days: Annotated[int, Query(ge=1, le=3650)] = 90,
            threshold_days: Annotated[int, Query(ge=1, le=3650)] = 90,
            map: MapName = "rf-grid") -> dict[str, Any]:
    """Customers who moved to a worse segment or crossed the recency threshold, with reasons."""
    with _data(request) as (backend, t):
        day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
        before, now = segments_then_and_now(t, as_of=day, before=shift_days(day, -since_days),
                                            segment_map=_seg_map(map))
        moves = falling_off(movement(before, now, recency_threshold_days=threshold_days))
        return {"as_of": day.isoformat(), **paginate(backend, moves, page)}


@router.get("/customers/{customer_id}")
def customer(request: Request, customer_id: str, _key: Viewer,
             as_of: AsOf = None) -> dict[str, Any]:
    """Customer 360."""
    with _data(request) as (backend, t):
        day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
        view = customer_view(_workspace(request), backend, t, customer_id, day, load_map())
    return _jsonable(view)


@router.get("/value")
def value(request: Request, _key: Viewer, page: Page, as_of: AsOf = None) -> dict[str, Any]:
    """Full customer value scores with each part's contribution, best first."""
    with _data(request) as (backend, t):
        day = resolve_as_of(backend, t, as_of.isoformat() if as_of else None)
        return {"as_of": day.isoformat(), **paginate(backend, value_score(t, as_of=day), page)}


@router.post("/imports/{table}", status_code=201)
def upload(request: Request, table: str, _key: Analyst, after: BackgroundTasks,
           file: Annotated[UploadFile, File(description="CSV (.csv, .csv.gz) or Parquet")],
           strict: bool = False) -> dict[str, Any]:
    """Import an uploaded file with the CLI's validation; bad rows are kept as rejects.

    After the answer, the per-customer tables of ``orders`` and ``events`` are rebuilt when the
    import changed them (pages compute them on the fly meanwhile).
    """
    table_spec(table)  # unknown table -> 400 before the upload is stored
    base = PurePosixPath((file.filename or "upload.csv").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".") or "upload"
    folder = Workspace(request.app.state.settings.workspace).path / "uploads" / table
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with target.open("wb") as out:
        while chunk := file.file.read(1 << 20):
            out.write(chunk)
    workspace = Workspace(request.app.state.settings.workspace)
    result = import_file(workspace, table, target, strict=strict)
    after.add_task(refresh_if_stale, workspace)
    return result.to_dict()


@router.get("/rejects")
def list_rejects(request: Request, _key: Viewer, page: Page,
                 table: str | None = None) -> dict[str, Any]:
    """Rejected lines with file, line, column and reason."""
    rows = rejects(Workspace(request.app.state.settings.workspace), table)
    start = (page.page - 1) * page.page_size
    return {"items": _jsonable(rows[start:start + page.page_size]), "page": page.page,
            "page_size": page.page_size, "total": len(rows)}


class NewKey(BaseModel):
    """A key to create."""

    role: str
    name: str = ""


@router.get("/keys")
def list_keys(request: Request, _key: Admin, page: Page) -> dict[str, Any]:
    """API keys (never their secrets)."""
    store: KeyStore = request.app.state.keys
    keys = [k.__dict__ for k in store.list()]
    start = (page.page - 1) * page.page_size
    return {"items": _jsonable(keys[start:start + page.page_size]), "page": page.page,
            "page_size": page.page_size, "total": len(keys)}


@router.post("/keys", status_code=201)
def create_key(request: Request, body: NewKey, _key: Admin) -> dict[str, str]:
    """Create a key; the response is the only time its secret is shown."""
    store: KeyStore = request.app.state.keys
    return {"key": store.create(body.role, body.name), "role": body.role}


@router.delete("/keys/{key_id}", status_code=204)
def revoke_key(request: Request, key_id: str, _key: Admin) -> None:
    """Revoke a key."""
    store: KeyStore = request.app.state.keys
    store.revoke(key_id)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


__all__ = ["router"]
