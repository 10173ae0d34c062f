"""Hypothesis: any sequence of earns, spends, refunds, expiries and retries keeps the books."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalist.loyalty.errors import InsufficientPointsError
from loyalist.loyalty.ledger import Ledger, Receipt
from loyalist.loyalty.tables import entries
from tests.loyalty.conftest import T0, make_program

OPS = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 200), st.booleans()),
    st.tuples(st.just("order"), st.integers(0, 30000)),
    st.tuples(st.just("spend"), st.integers(1, 300)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 4)),
    st.tuples(st.just("advance"), st.integers(0, 120)),
    st.tuples(st.just("expire"),),
    st.tuples(st.just("adjust"), st.integers(-50, 50).filter(bool)),
    st.tuples(st.just("retry"), st.integers(0, 40)),
)


def _call(ledger: Ledger, op: tuple[Any, ...], key: str, at: dt.datetime,
          orders: list[tuple[str, int]]) -> Any:
    kind = op[0]
    try:
        if kind == "earn":
            return ledger.earn("m", op[1], key=key, pending=op[2], at=at)
        if kind == "order":
            orders.append((key, op[1]))
            return ledger.earn_for_order("m", key, op[1] / 100, key=key, at=at)
        if kind == "spend":
            return ledger.spend("m", op[1], key=key, at=at)
        if kind == "refund" and orders:
            order_id, amount = orders[op[1] % len(orders)]
            return ledger.refund("m", order_id, refunded_amount=amount * op[2] // 400,
                                 key=key, at=at)
        if kind == "expire":
            return ledger.expire("m", key=key, at=at)
        if kind == "adjust":
            return ledger.adjust("m", op[1], key=key, reason="test", at=at)
    except InsufficientPointsError as exc:
        return type(exc).__name__
    return None


def _count(ledger: Ledger) -> tuple[int, int]:
    with ledger.engine.connect() as conn:
        return tuple(conn.execute(sa.select(sa.func.count(), sa.func.coalesce(
            sa.func.sum(entries.c.points), 0))).one())  # type: ignore[return-value]


def _check_receipt(ledger: Ledger, op: str, receipt: Any, at: dt.datetime) -> None:
    """What a write answers (read from derived rows) is what all the entries say."""
    if not isinstance(receipt, Receipt):
        return
    bal = ledger.balance("m", at=at)
    assert (receipt.available, receipt.pending) == (bal.available, bal.pending), op
    if op not in ("spend", "expire"):  # these move no tier: they answer the tier before
        assert receipt.tier == ledger.tier("m", at=at).tier, op


def _check(ledger: Ledger, at: dt.datetime, policy: str) -> None:
    bal = ledger.balance("m", at=at)
    assert _count(ledger)[1] == bal.total
    assert bal.total == bal.available + bal.pending + bal.expired - bal.expired_recorded
    assert bal.pending >= 0 and bal.debt >= 0
    if policy != "allow_negative":
        assert bal.available >= 0 and bal.debt == 0
    for row in ledger.state("m").rows:
        if row.is_lot:
            assert 0 <= row.used <= row.points
        if row.points < 0:
            assert row.covered <= -row.points
    # the rows writes read (lots left, debts, totals, tier items) equal the entries' values
    assert ledger.reconcile() == []


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, max_size=30),
       policy=st.sampled_from(["pending_only", "within_balance", "allow_negative"]),
       expiry=st.sampled_from([{"mode": "none"}, {"mode": "per_lot", "days": 90},
                               {"mode": "inactivity", "days": 60}]))
def test_books_always_balance(ops, policy, expiry):
    engine = sa.create_engine("sqlite://")
    tiers = {"levels": [{"id": "silver", "threshold": 100}, {"id": "gold", "threshold": 300}],
             "window": "rolling_12_months", "downgrade": "grace", "grace_days": 30}
    badges = [{"id": "big", "metric": "points_earned", "at_least": 200},
              {"id": "shopper", "metric": "orders", "at_least": 2},
              {"id": "spender", "metric": "spend", "at_least": 300}]
    ledger = Ledger(engine, make_program(clawback=policy, expiry=expiry, pending_days=14,
                                         tiers=tiers, badges=badges))
    ledger.ensure_schema()
    at, done, orders = T0, [], []
    for i, op in enumerate(ops):
        if op[0] == "advance":
            at += dt.timedelta(days=op[1])
            continue
        if op[0] == "retry":
            if not done:
                continue
            first_op, key, first, known = done[op[1] % len(done)]
            before = _count(ledger)
            again = _call(ledger, first_op, key, at, list(known))
            assert again == first, (first_op, first, again)
            assert _count(ledger) == before
            continue
        key = f"k{i}"
        known = list(orders)
        done.append((op, key, _call(ledger, op, key, at, orders), known))
        _check_receipt(ledger, op[0], done[-1][2], at)
        _check(ledger, at, policy)
    _check(ledger, at + dt.timedelta(days=400), policy)
    engine.dispose()


def _rows(ledger: Ledger) -> list[tuple[Any, ...]]:
    with ledger.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(entries).order_by(entries.c.id))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, max_size=30), cuts=st.lists(st.integers(1, 8), max_size=8))
def test_a_batch_writes_what_the_same_writes_write_one_by_one(ops, cuts):
    """Batched (in chunks ``cuts`` long) or not, the same receipts, refusals and entries."""
    runs = []
    for batched in (False, True):
        engine = sa.create_engine("sqlite://")
        ledger = Ledger(engine, make_program(
            clawback="allow_negative", expiry={"mode": "per_lot", "days": 90}, pending_days=14,
            tiers={"levels": [{"id": "silver", "threshold": 100}], "downgrade": "grace",
                   "window": "rolling_12_months", "grace_days": 30},
            badges=[{"id": "shopper", "metric": "orders", "at_least": 2}]))
        ledger.ensure_schema()
        at, orders, answers, keys = T0, [], [], []
        chunks, start = [], 0
        for n in [*cuts, len(ops)]:
            chunks.append(ops[start:start + n])
            start += n
        for chunk in chunks:
            with ledger.batch() if batched else contextlib.nullcontext():
                for op in chunk:
                    if op[0] == "advance":
                        at += dt.timedelta(days=op[1])
                        continue
                    if op[0] == "retry":
                        if keys:
                            first_op, key, known = keys[op[1] % len(keys)]
                            answers.append(_call(ledger, first_op, key, at, list(known)))
                        continue
                    key = f"k{len(answers)}"
                    keys.append((op, key, list(orders)))
                    answers.append(_call(ledger, op, key, at, orders))
        runs.append(([(a, a.replayed) if isinstance(a, Receipt) else a for a in answers],
                     _rows(ledger), ledger.reconcile()))
        engine.dispose()
    assert runs[0] == runs[1]
    assert runs[1][2] == []
