"""Pagination for every list: ``page`` (1-based) and ``page_size`` (1-1000)."""

from __future__ import annotations

from typing import Annotated, Any

import ibis.expr.operations as ops
import ibis.expr.types as ir
from fastapi import Query
from pydantic import BaseModel

from loyalist.data.frames import records


class PageParams(BaseModel):
    """Which page of a list to return."""

    page: int = 1
    page_size: int = 50


def page_params(page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                page_size: Annotated[int, Query(ge=1, le=1000)] = 50) -> PageParams:
    """Dependency reading ``page`` and ``page_size`` from the query string."""
    return PageParams(page=page, page_size=page_size)


def count_rows(backend: Any, expr: ir.Table) -> int:
    """Rows of ``expr``; an ordering on top is dropped first (DuckDB would sort to count)."""
    node = expr.op()
    while isinstance(node, ops.Sort):
        node = node.parent
    return int(backend.execute(node.to_expr().count()))


def paginate(backend: Any, expr: ir.Table, params: PageParams) -> dict[str, Any]:
    """One page of ``expr`` (already ordered) with the total count."""
    total = count_rows(backend, expr)
    rows = backend.execute(expr.limit(params.page_size,
                                      offset=(params.page - 1) * params.page_size))
    return {"items": records(rows, iso=True), "page": params.page, "page_size": params.page_size,
            "total": total}
