"""A stable random sample of customers, for report sections that score every customer.

A customer is in the sample when a hash of their id falls below ``limit / customers``: the same
customers on every run, with all of their rows in every table.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from loyalist.data.derived import SOURCES, of_customers

_PER = 1_000_000


def sample_customers(backend: Any, t: dict[str, ir.Table],
                     limit: int) -> tuple[dict[str, ir.Table], int]:
    """Every table cut to a sample of about ``limit`` customers, and the number of customers.

    Tables without a ``customer_id`` column are kept whole. With ``limit`` customers or fewer
    nothing is cut. Orders and events keep their stored per-customer tables
    (:func:`loyalist.data.derived.of_customers`).
    """
    n = int(backend.execute(t["customers"].count()))
    if n <= limit:
        return t, n
    keep_below = limit * _PER // n

    def keep(customer_id: ir.StringValue) -> ir.BooleanValue:
        bucket = (customer_id.hash() % _PER + _PER) % _PER  # the hash may be negative
        return bucket < keep_below

    def cut(name: str, table: ir.Table) -> ir.Table:
        if "customer_id" not in table.columns:
            return table
        return of_customers(table, keep) if name in SOURCES else table.filter(keep(
            table.customer_id))

    return {name: cut(name, table) for name, table in t.items()}, n
