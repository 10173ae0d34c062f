"""Canonical tables as Ibis expressions, with ``customers`` derived from orders where missing."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loyalist.data.derived import order_days, use_stored
from loyalist.data.schema import TABLES, table


def tables(backend: Any) -> dict[str, ir.Table]:
    """Every canonical table of an Ibis ``backend`` as an expression.

    ``customers`` also holds every identified customer who appears only in ``orders``
    (``signup_at`` = first order), so data sets that have only orders get a customers table.
    Tables the backend lacks come back empty with the canonical columns.
    """
    present = set(backend.list_tables())
    out: dict[str, ir.Table] = {}
    for spec in TABLES:
        if spec.name in present:
            stored = backend.table(spec.name)
            missing = {c.name: ibis.null(_schema(spec.name)[c.name]) for c in spec.columns
                       if c.name not in stored.columns}  # written by an older loyalist
            out[spec.name] = stored.mutate(**missing) if missing else stored
        else:  # an empty Arrow table keeps every column's type on every engine
            out[spec.name] = ibis.memtable(_schema(spec.name).to_pyarrow().empty_table())
    use_stored(backend, out, present)
    out["customers"] = customers_with_derived(out["customers"], out["orders"])
    return out


def _schema(name: str) -> ibis.Schema:
    kinds = {"string": "string", "int": "int64", "float": "float64", "bool": "boolean",
             "date": "date", "timestamp": "timestamp"}
    return ibis.schema({c.name: kinds[c.type] for c in table(name).columns})


def customers_with_derived(customers: ir.Table, orders: ir.Table) -> ir.Table:
    """``customers`` plus a row for every customer id found only in ``orders``."""
    days = order_days(orders)
    first = days.filter(days.day_no == 1)
    derived = first.select("customer_id", signup_at=first.first_at)
    missing = derived.anti_join(customers, "customer_id")
    fill = {
        name: ibis.null(dtype)
        for name, dtype in customers.schema().items()
        if name not in ("customer_id", "signup_at")
    }
    missing = missing.mutate(**fill).select(*customers.columns)
    return customers.union(missing.cast(customers.schema()))
