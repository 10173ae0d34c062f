"""Loyalty endpoints under ``/api/v1/loyalty``: members, points, rewards, tiers, events, orders.

Writes need the ``analyst`` role and an ``Idempotency-Key`` header, which becomes the ledger's
key: sending a write again with its key returns the first answer (``200`` and
``Idempotent-Replayed: true`` instead of ``201``) and changes nothing. Order ingest derives its
ledger keys from the order's state, so the same order sent by anyone is counted once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from loyalist.access.keys import ApiKey
from loyalist.api.auth import requires
from loyalist.api.pages import PageParams, page_params
from loyalist.errors import InputError
from loyalist.loyalty.applied import LedgerSource
from loyalist.loyalty.ledger import Ledger, Receipt
from loyalist.loyalty.members import list_members, member_view, statement_page
from loyalist.loyalty.orders import STATUSES, ingest_order
from loyalist.loyalty.program_schema import EVENTS

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty"])
Viewer = Annotated[ApiKey, Depends(requires("viewer"))]
Analyst = Annotated[ApiKey, Depends(requires("analyst"))]
Page = Annotated[PageParams, Depends(page_params)]
MemberId = Annotated[str, Path(min_length=1, max_length=200)]
Key = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                            description="Unique per write; a retry sends the same key.")]
Points = Annotated[int, Field(strict=True, ge=1, le=1_000_000_000)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), decimal_places=2)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Earn(BaseModel):
    """Points to credit by hand (a goodwill gesture, a migration)."""

    points: Points
    reason: Text = "manual"
    reference: Text | None = None
    pending: bool = False


class Redeem(BaseModel):
    """A reward of the catalogue, or a number of points to spend."""

    reward_id: Text | None = None
    points: Points | None = None


class Event(BaseModel):
    """Something a member did that the program may reward."""

    event: str = Field(description="One of: " + ", ".join(EVENTS))
    reference: Text | None = None


class Order(BaseModel):
    """An order's full current state (send it again whenever it changes)."""

    order_id: Text
    member_id: Text
    amount: Money
    ordered_at: dt.datetime
    status: str = Field("placed", description="One of: " + ", ".join(STATUSES))
    refunded_amount: Money = Decimal(0)
    updated_at: dt.datetime | None = None


def _ledger(request: Request) -> Ledger:
    source: LedgerSource = request.app.state.loyalty
    return source.ledger()


def _page(items: list[dict[str, Any]], total: int, page: PageParams) -> dict[str, Any]:
    return {"items": jsonable_encoder(items), "page": page.page, "page_size": page.page_size,
            "total": total}


_RECEIPT_FIELDS = tuple(f.name for f in dataclasses.fields(Receipt))


def _receipt(receipt: Receipt) -> Response:
    """The receipt as JSON: ``201``, or ``200`` with ``Idempotent-Replayed`` for a replay.

    Encoded here: its fields are JSON already (strings, integers, tuples of them, ``None``), and
    the generic encoders cost more than the ledger write on the busiest routes.
    """
    body = json.dumps({name: getattr(receipt, name) for name in _RECEIPT_FIELDS},
                      separators=(",", ":"), ensure_ascii=False).encode()
    if receipt.replayed:
        return Response(body, 200, {"Idempotent-Replayed": "true"}, "application/json")
    return Response(body, 201, media_type="application/json")


def _offset(page: PageParams) -> int:
    return (page.page - 1) * page.page_size


@router.get("/members")
def members(request: Request, _key: Viewer, page: Page) -> dict[str, Any]:
    """Members of the program, by id."""
    items, total = list_members(_ledger(request), offset=_offset(page), limit=page.page_size)
    return _page(items, total, page)


@router.get("/members/{member_id}")
def member(request: Request, member_id: MemberId, _key: Viewer) -> dict[str, Any]:
    """A member: profile, balance, tier and badges."""
    ledger = _ledger(request)
    return jsonable_encoder(member_view(ledger, member_id, dt.datetime.now(dt.UTC)
                                        .replace(tzinfo=None)))


@router.get("/members/{member_id}/balance")
def balance(request: Request, member_id: MemberId, _key: Viewer,
            at: dt.datetime | None = None) -> dict[str, Any]:
    """Available, pending, expired points and totals, now or at a time."""
    return jsonable_encoder(dataclasses.asdict(_ledger(request).balance(member_id, at)))


@router.get("/members/{member_id}/statement")
def statement(request: Request, member_id: MemberId, _key: Viewer,
              page: Page) -> dict[str, Any]:
    """Every entry of the member, oldest first, with a running total."""
    items, total = statement_page(_ledger(request), member_id, offset=_offset(page),
                                  limit=page.page_size)
    return _page(items, total, page)


@router.post("/members/{member_id}/earn", status_code=201)
def earn(request: Request, member_id: MemberId, body: Earn, key: Key,
         _key: Analyst) -> Response:
    """Credit points."""
    receipt = _ledger(request).earn(member_id, body.points, key=key, reason=body.reason,
                                    reference=body.reference, pending=body.pending)
    return _receipt(receipt)


@router.post("/members/{member_id}/redeem", status_code=201)
def redeem(request: Request, member_id: MemberId, body: Redeem, key: Key,
           _key: Analyst) -> Response:
    """Redeem a reward (``reward_id``) or spend ``points``; refused: 409 (403 not eligible)."""
    ledger = _ledger(request)
    if (body.reward_id is None) == (body.points is None):
        raise InputError("give either reward_id or points", key="reward_id")
    receipt = (ledger.redeem(member_id, body.reward_id, key=key) if body.reward_id is not None
               else ledger.spend(member_id, body.points or 0, key=key))
    return _receipt(receipt)


@router.post("/members/{member_id}/events", status_code=201)
def event(request: Request, member_id: MemberId, body: Event, key: Key,
          _key: Analyst) -> Response:
    """Record a loyalty event (review, referral_converted, ...) and credit its points."""
    receipt = _ledger(request).earn_event(member_id, body.event, key=key,
                                          reference=body.reference)
    return _receipt(receipt)


@router.post("/orders", status_code=201)
def order(request: Request, response: Response, body: Order, key: Key,
          _key: Analyst) -> dict[str, Any]:
    """Ingest an order's state: its earn, and a clawback when the refunded amount grows."""
    receipts = ingest_order(_ledger(request), body.model_dump())
    response.status_code = 200 if all(r.replayed for r in receipts) else 201
    return {"order_id": body.order_id, "idempotency_key": key,
            "receipts": jsonable_encoder([dataclasses.asdict(r) for r in receipts])}


@router.get("/rewards")
def rewards(request: Request, _key: Viewer) -> dict[str, Any]:
    """The rewards catalogue with the stock left."""
    ledger = _ledger(request)
    return {"items": jsonable_encoder([{**dataclasses.asdict(r), "stock_left": ledger.stock(r.id)}
                                       for r in ledger.program.rewards])}


@router.get("/tiers")
def tiers(request: Request, _key: Viewer) -> dict[str, Any]:
    """How tiers are earned and kept, and the levels."""
    return jsonable_encoder(dataclasses.asdict(_ledger(request).program.tiers))


@router.get("/badges")
def badges(request: Request, _key: Viewer) -> dict[str, Any]:
    """The badges a member can win."""
    return {"items": jsonable_encoder([dataclasses.asdict(b)
                                       for b in _ledger(request).program.badges])}
