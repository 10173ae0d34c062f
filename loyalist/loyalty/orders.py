"""Orders drive the ledger: each order state is an idempotent upsert.

The keys are derived from the order's state, so ingesting a state again (or concurrently, or an
older state after a newer one) writes nothing: the first sight of an order posts its earn
(``order:<id>:earn``), and a state with a larger refunded amount claws back the difference
(``order:<id>:refund:<cents>``; :meth:`Ledger.refund` takes the cumulative refund, so only the
part not taken back before counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from loyalist.errors import InputError
from loyalist.loyalty.ledger import Ledger, Receipt, to_minor

STATUSES = ("placed", "returned", "refunded")


@dataclass(frozen=True)
class OrderState:
    """The full state of an order as the shop knows it now.

    ``refunded_amount`` is the total refunded so far; ``returned`` or ``refunded`` without one
    means the whole order. ``updated_at`` is when the shop saw this state (default: now).
    """

    order_id: str
    member_id: str
    amount: Any
    ordered_at: dt.datetime
    status: str = "placed"
    refunded_amount: Any = 0
    updated_at: dt.datetime | None = None

    @classmethod
    def of(cls, state: OrderState | dict[str, Any]) -> OrderState:
        """From a dict with the same keys (``customer_id`` is accepted for ``member_id``)."""
        if isinstance(state, OrderState):
            return state
        data = dict(state)
        if "member_id" not in data and "customer_id" in data:
            data["member_id"] = data.pop("customer_id")
        try:
            return cls(**data)
        except TypeError as exc:
            raise InputError(f"not an order state: {exc}") from None


def ingest_order(ledger: Ledger, order_state: OrderState | dict[str, Any]) -> list[Receipt]:
    """Bring the ledger up to date with one order state; return the receipts of this call.

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> from loyalist.loyalty.program import example_program
    >>> ledger = Ledger(sa.create_engine("sqlite://"), example_program())
    >>> ledger.ensure_schema()
    >>> state = {"order_id": "o1", "member_id": "m1", "amount": 80,
    ...          "ordered_at": dt.datetime(2025, 3, 1)}
    >>> [r.points for r in ingest_order(ledger, state)]
    [80]
    >>> [r.replayed for r in ingest_order(ledger, state)]
    [True]
    >>> later = {**state, "refunded_amount": 20, "updated_at": dt.datetime(2025, 3, 9)}
    >>> [r.points for r in ingest_order(ledger, later)]
    [80, -20]
    """
    order = OrderState.of(order_state)
    if order.status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}, got {order.status!r}",
                         order_id=order.order_id)
    amount = to_minor(order.amount)
    refunded = to_minor(order.refunded_amount, "refunded_amount")
    if order.status != "placed" and refunded == 0:
        refunded = amount
    if refunded > amount:
        raise InputError("refunded_amount is larger than the order", order_id=order.order_id)
    receipts = [ledger.earn_for_order(order.member_id, order.order_id, amount / 100,
                                      key=f"order:{order.order_id}:earn", at=order.ordered_at)]
    if refunded:
        receipts.append(ledger.refund(order.member_id, order.order_id,
                                      refunded_amount=refunded / 100,
                                      key=f"order:{order.order_id}:refund:{refunded}",
                                      at=order.updated_at))
    return receipts


def replay_orders(ledger: Ledger, orders_frame: pd.DataFrame, *, batch: int = 250,
                  on_progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Replay the analytics workspace's orders into the program, oldest first.

    ``orders_frame`` has ``customer_id``, ``order_id``, ``ordered_at`` and ``amount`` (the
    workspace's ``orders`` table). Guest orders (no customer) are skipped. Orders are written
    ``batch`` at a time in one transaction (:meth:`Ledger.batch`); a replay stopped half-way
    keeps the batches committed, and running it again writes only the rest.
    ``on_progress`` gets the number of rows done after each batch.

    Returns counts: ``orders`` ingested, ``skipped`` guests, ``points`` earned by this call.
    """
    missing = {"customer_id", "order_id", "ordered_at", "amount"} - set(orders_frame.columns)
    if missing:
        raise InputError(f"orders need columns {', '.join(sorted(missing))}")
    if batch < 1:
        raise InputError("batch must be at least 1", batch=batch)
    frame = orders_frame.sort_values(["ordered_at", "order_id"], kind="stable")
    counts = {"orders": 0, "skipped": 0, "points": 0}
    rows = list(frame.itertuples(index=False))
    for start in range(0, len(rows), batch):
        with ledger.batch():
            for row in rows[start:start + batch]:
                customer: Any = row.customer_id
                if pd.isna(customer):
                    counts["skipped"] += 1
                    continue
                when: Any = row.ordered_at
                ordered_at = pd.Timestamp(when).to_pydatetime()
                receipts = ingest_order(ledger, OrderState(str(row.order_id), str(customer),
                                                           row.amount, ordered_at))
                counts["orders"] += 1
                counts["points"] += sum(r.points for r in receipts if not r.replayed)
        if on_progress is not None:
            on_progress(min(start + batch, len(rows)))
    return counts
