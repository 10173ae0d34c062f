"""Read the CLV results stored in a workspace (``loyalist clv fit``) without refitting.

The API and the dashboard read the stored model and predictions in the engine (ranked, filtered
by CLV band, paginated) instead of loading every customer's prediction into memory.
"""

from __future__ import annotations

import json
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loyalist.data.frames import records
from loyalist.errors import InputError, NotFoundError

NOT_FITTED = "no CLV model in the workspace: run `loyalist clv fit` first"
ORDERS = ("clv", "p_alive", "expected_purchases", "expected_spend", "customer_id")


def _present(backend: Any, name: str) -> bool:
    return name in set(backend.list_tables())


def stored_model(backend: Any) -> dict[str, Any]:
    """The latest stored fit: model, unit, dates, parameters, log-likelihood, customers.

    Raises :class:`NotFoundError` when CLV was never fitted.
    """
    if not _present(backend, "clv_models"):
        raise NotFoundError(NOT_FITTED)
    models = backend.execute(backend.table("clv_models").order_by("fitted_at"))
    if models.empty:
        raise NotFoundError(NOT_FITTED)
    row = models.iloc[-1].to_dict()

    def day(value: Any) -> str | None:
        return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()

    ll = float(row["log_likelihood"])
    return {"model": str(row["model"]), "unit": str(row["unit"]),
            "fitted_at": pd.Timestamp(row["fitted_at"]).isoformat(),
            "observation_end": day(row["observation_end"]),
            "calibration_end": day(row.get("calibration_end")),
            "params": json.loads(row["params"]),
            "spend_params": json.loads(row["spend_params"] or "null"),
            "log_likelihood": ll if ll == ll else None, "customers": int(row["customers"])}


def predictions(backend: Any, *, order: str = "clv", low: float | None = None,
                high: float | None = None) -> ir.Table:
    """Stored per-customer predictions, best ``order`` first (ties by customer id).

    ``low``/``high`` keep customers with ``low <= clv < high`` (a CLV band, as the report's
    distribution counts them). Raises :class:`NotFoundError` when CLV was never fitted.
    """
    if order not in ORDERS:
        raise InputError(f"order must be one of {', '.join(ORDERS)}; got {order!r}",
                         option="order", value=order)
    if not _present(backend, "clv_predictions"):
        raise NotFoundError(NOT_FITTED)
    p = backend.table("clv_predictions")
    if low is not None:
        p = p.filter(p.clv >= low)
    if high is not None:
        p = p.filter(p.clv < high)
    if order == "customer_id":
        return p.order_by(p.customer_id)
    return p.order_by([p[order].desc(nulls_first=False), p.customer_id])


def stored_predictions(backend: Any) -> ir.Table | None:
    """The stored per-customer predictions in no particular order, ``None`` if never fitted."""
    return backend.table("clv_predictions") if _present(backend, "clv_predictions") else None


def customer_prediction(backend: Any, customer_id: str, *,
                        fetched: pa.Table | None = None) -> dict[str, Any] | None:
    """One customer's stored prediction, ``None`` when CLV was never fitted or it is absent.

    ``fetched``, when given, is :func:`stored_predictions` already fetched as Arrow (the web
    app keeps it per workspace state); the customer is then looked up in memory.
    """
    if fetched is not None:
        at = pc.index(fetched["customer_id"], customer_id).as_py()
        rows = fetched.slice(max(at, 0), 1 if at >= 0 else 0).to_pandas()
    else:
        p = stored_predictions(backend)
        if p is None:
            return None
        rows = backend.execute(p.filter(p.customer_id == ibis.literal(customer_id)).limit(1))
    return records(rows, iso=True)[0] if len(rows) else None
