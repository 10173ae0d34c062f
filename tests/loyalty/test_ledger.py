"""Hand-made examples with literal expected numbers: FIFO, pending, expiry, clawback, tiers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from loyalist.loyalty.errors import (
    IdempotencyConflictError,
    InsufficientPointsError,
    NotEligibleError,
    OutOfStockError,
)
from loyalist.loyalty.ledger import Ledger, Receipt
from loyalist.loyalty.outbox import outbox
from loyalist.loyalty.tables import allocations, entries
from loyalist.loyalty.txn import roomy
from tests.loyalty.conftest import days, make_program


def test_fifo_spend_takes_the_oldest_lot_first(ledger_for):
    ledger = ledger_for()
    a = ledger.earn("m", 100, key="e1", at=days(0)).entry_ids[0]
    b = ledger.earn("m", 50, key="e2", at=days(1)).entry_ids[0]
    spend = ledger.spend("m", 120, key="s1", at=days(2))
    assert (spend.points, spend.available) == (-120, 30)
    with ledger.engine.connect() as conn:
        rows = conn.execute(sa.select(allocations.c.lot_id, allocations.c.points)
                            .order_by(allocations.c.lot_id)).all()
    assert [tuple(r) for r in rows] == [(a, 100), (b, 20)]


def test_order_points_are_pending_during_the_return_window(ledger_for):
    ledger = ledger_for(pending_days=30)
    receipt = ledger.earn_for_order("m", "o1", "49.99", key="o1", at=days(0))
    assert (receipt.points, receipt.available, receipt.pending) == (49, 0, 49)
    with pytest.raises(InsufficientPointsError):
        ledger.spend("m", 10, key="s1", at=days(29))
    bal = ledger.balance("m", at=days(30))
    assert (bal.available, bal.pending) == (49, 0)
    assert ledger.spend("m", 10, key="s2", at=days(30)).available == 39


def test_rounding_rules():
    from loyalist.loyalty.earning import divide

    assert [divide(1999 * 3, 100, r) for r in ("floor", "round", "ceil")] == [59, 60, 60]


def test_per_lot_expiry_is_computed_at_read_time(ledger_for):
    ledger = ledger_for(expiry={"mode": "per_lot", "days": 100})
    ledger.earn("m", 100, key="e1", at=days(0))
    ledger.earn("m", 40, key="e2", at=days(50))
    ledger.spend("m", 30, key="s1", at=days(60))  # from the first lot: 70 left there
    bal = ledger.balance("m", at=days(100))
    assert (bal.available, bal.expired, bal.expired_recorded, bal.total) == (40, 70, 0, 110)
    assert ledger.expire("m", key="x1", at=days(100)).points == -70
    bal = ledger.balance("m", at=days(100))
    assert (bal.available, bal.expired, bal.expired_recorded, bal.total) == (40, 70, 70, 40)
    assert ledger.balance("m", at=days(150)).available == 0


def test_inactivity_expiry(ledger_for):
    ledger = ledger_for(expiry={"mode": "inactivity", "days": 30})
    ledger.earn("m", 100, key="e1", at=days(0))
    ledger.earn("m", 10, key="e2", at=days(20))  # activity: the clock restarts
    assert ledger.balance("m", at=days(49)).available == 110
    assert ledger.balance("m", at=days(50)).available == 0
    ledger.earn("m", 5, key="e3", at=days(60))  # after the gap: the old points stay expired
    bal = ledger.balance("m", at=days(60))
    assert (bal.available, bal.expired) == (5, 110)


def test_clawback_pending_only_writes_off_what_was_spent(ledger_for):
    ledger = ledger_for(clawback="pending_only", pending_days=10)
    ledger.earn("m", 100, key="bonus", at=days(0))
    ledger.earn_for_order("m", "o1", 80, key="o1", at=days(0))
    ledger.refund("m", "o1", refunded_amount=80, key="r1", at=days(5))  # still pending: all back
    assert ledger.balance("m", at=days(20)).available == 100
    ledger.earn_for_order("m", "o2", 50, key="o2", at=days(20))
    ledger.refund("m", "o2", refunded_amount=50, key="r2", at=days(40))  # available: nothing
    bal = ledger.balance("m", at=days(40))
    assert (bal.available, bal.written_off, bal.clawed_back) == (150, 50, 80)


def test_clawback_within_balance_never_goes_negative(ledger_for):
    ledger = ledger_for(clawback="within_balance")
    ledger.earn_for_order("m", "o1", 100, key="o1", at=days(0))
    ledger.spend("m", 70, key="s1", at=days(1))
    ledger.earn("m", 10, key="e1", at=days(2))
    receipt = ledger.refund("m", "o1", refunded_amount=100, key="r1", at=days(3))
    assert (receipt.points, receipt.written_off, receipt.available) == (-40, 60, 0)
    # a partial refund first keeps the proportional points: 100 * 60 / 100
    ledger.earn_for_order("m", "o2", 100, key="o2", at=days(4))
    assert ledger.refund("m", "o2", refunded_amount=40, key="r2", at=days(5)).points == -40
    assert ledger.refund("m", "o2", refunded_amount=40, key="r3", at=days(5)).points == 0
    assert ledger.balance("m", at=days(5)).available == 60


def test_clawback_allow_negative_is_repaid_by_later_earns(ledger_for):
    ledger = ledger_for(clawback="allow_negative")
    ledger.earn_for_order("m", "o1", 100, key="o1", at=days(0))
    ledger.spend("m", 90, key="s1", at=days(1))
    receipt = ledger.refund("m", "o1", refunded_amount=100, key="r1", at=days(2))
    assert (receipt.points, receipt.available) == (-100, -90)
    bal = ledger.balance("m", at=days(2))
    assert (bal.debt, bal.total) == (90, -90)
    assert ledger.earn("m", 50, key="e1", at=days(3)).available == -40
    assert ledger.earn("m", 60, key="e2", at=days(4)).available == 20
    bal = ledger.balance("m", at=days(4))
    assert (bal.debt, bal.available, bal.total) == (0, 20, 20)


def test_redeeming_never_drops_a_tier(ledger_for):
    ledger = ledger_for(
        tiers={"levels": [{"id": "member", "threshold": 0}, {"id": "gold", "threshold": 500}],
               "window": "rolling_12_months", "downgrade": "immediate"},
        rewards=[{"id": "trip", "kind": "experience", "cost": 600}])
    ledger.earn("m", 600, key="e1", at=days(0))
    assert ledger.tier("m", at=days(1)).tier == "gold"
    receipt = ledger.redeem("m", "trip", key="r1", at=days(1))
    assert (receipt.available, receipt.tier) == (0, "gold")
    assert ledger.tier("m", at=days(2)).tier == "gold"
    assert ledger.tier("m", at=days(366)).tier == "member"  # the earn left the window


def test_tier_grace_period_and_refunded_orders(ledger_for):
    ledger = ledger_for(tiers={"levels": [{"id": "silver", "threshold": 100}],
                               "window": "rolling_12_months", "downgrade": "grace",
                               "grace_days": 30})
    ledger.earn_for_order("m", "o1", 150, key="o1", at=days(0))
    assert ledger.tier("m", at=days(370)).tier == "silver"  # out of window, in grace
    assert ledger.tier("m", at=days(400)).tier is None
    ledger.refund("m", "o1", refunded_amount=100, key="r1", at=days(10))
    status = ledger.tier("m", at=days(11))
    assert (status.tier, status.value, status.to_next) == (None, 50, 50)


def test_spend_basis_and_calendar_year():
    from loyalist.loyalty.tiers import window_start

    assert window_start("calendar_year", days(400)).year == 2026


def test_replays_return_the_first_result_and_write_nothing(ledger_for):
    ledger = ledger_for()
    first = ledger.earn("m", 10, key="k", at=days(0))
    again = ledger.earn("m", 10, key="k", at=days(5))
    assert again == first and again.replayed and not first.replayed
    with pytest.raises(InsufficientPointsError):
        ledger.spend("m", 50, key="big", at=days(1))
    ledger.earn("m", 100, key="k2", at=days(1))
    with pytest.raises(InsufficientPointsError):  # the stored first answer
        ledger.spend("m", 50, key="big", at=days(2))
    with pytest.raises(IdempotencyConflictError):
        ledger.earn("m", 11, key="k", at=days(5))
    with ledger.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(entries)).scalar() == 2


def test_rewards_stock_and_eligibility(ledger_for):
    ledger = ledger_for(
        tiers={"levels": [{"id": "gold", "threshold": 1000}]},
        rewards=[{"id": "mug", "kind": "free_item", "cost": 10, "stock": 1},
                 {"id": "vip", "kind": "experience", "cost": 10, "tiers": ["gold"]},
                 {"id": "new", "kind": "discount", "cost": 10, "available_from": "2025-02-01",
                  "early_access": {"tiers": ["gold"], "days": 7}},
                 {"id": "old_friend", "kind": "credit", "cost": 10, "min_tenure_days": 365}])
    ledger.earn("a", 100, key="a1", at=days(0))
    ledger.earn("b", 2000, key="b1", at=days(0))
    assert ledger.redeem("a", "mug", key="a-mug", at=days(1)).reward_id == "mug"
    with pytest.raises(OutOfStockError):
        ledger.redeem("b", "mug", key="b-mug", at=days(1))
    assert ledger.stock("mug") == 0
    with pytest.raises(NotEligibleError):
        ledger.redeem("a", "vip", key="a-vip", at=days(1))
    ledger.redeem("b", "vip", key="b-vip", at=days(1))
    ledger.redeem("b", "new", key="b-new", at=days(24))  # 2025-01-25: early access
    with pytest.raises(NotEligibleError):
        ledger.redeem("a", "new", key="a-new", at=days(24))
    with pytest.raises(NotEligibleError):
        ledger.redeem("a", "old_friend", key="a-old", at=days(364))
    ledger.redeem("a", "old_friend", key="a-old2", at=days(365))
    assert ledger.balance("a", at=days(400)).available == 80


def test_event_limits_targeting_and_badges(ledger_for):
    ledger = ledger_for(
        earning=[{"id": "review", "kind": "event", "event": "review", "points": 50,
                  "limit": {"period": "month", "max_times": 2}},
                 {"id": "vip_buy", "kind": "order", "points": 5, "segments": ["vip"]}],
        badges=[{"id": "critic", "metric": "events", "event": "review", "at_least": 2}])
    got = [ledger.earn_event("m", "review", key=f"r{i}", at=days(i)).points for i in range(3)]
    assert got == [50, 50, 0]
    assert ledger.earn_event("m", "review", key="r-feb", at=days(31)).points == 50
    assert set(ledger.badges("m")) == {"critic"}
    assert ledger.earn_for_order("m", "o1", 10, key="o1", at=days(32)).points == 0
    ledger.enroll("m", segment="vip")
    assert ledger.earn_for_order("m", "o2", 10, key="o2", at=days(32)).points == 5
    with ledger.engine.connect() as conn:
        kinds = sorted(conn.execute(sa.select(outbox.c.event_type)).scalars())
    assert kinds.count("badge_won") == 1 and kinds.count("points_earned") == 6


def test_statement_has_a_running_total(ledger_for):
    ledger = ledger_for()
    ledger.earn("m", 30, key="a", at=days(0))
    ledger.spend("m", 20, key="b", at=days(1))
    lines = ledger.statement("m")
    assert [(x.kind, x.points, x.running_total) for x in lines] == [
        ("earn", 30, 30), ("spend", -20, 10)]


@pytest.mark.parametrize("engine_name", ["sqlite_engine", "pg_engine"])
def test_entries_carry_their_lot_ids_on_both_engines(engine_name, request):
    """SQLite writes number their entries (a lot's id is in its insert); PostgreSQL's are
    numbered by the database and the lot id set after: the same rows either way."""
    ledger = Ledger(request.getfixturevalue(engine_name), make_program(earning=[
        {"id": "buy", "kind": "order", "per": "currency_unit", "points": 1},
        {"id": "bonus", "kind": "order", "per": "order", "points": 5}]))
    ledger.ensure_schema()
    first = ledger.earn_for_order("m", "o1", 40, key="o1", at=days(0))
    ledger.earn_for_order("n", "o2", 10, key="o2", at=days(0))
    ledger.adjust("m", 7, key="a1", reason="goodwill", at=days(1))
    spend = ledger.spend("m", 20, key="s1", at=days(40))
    with ledger.engine.connect() as conn:
        rows = {r.id: (r.kind, r.points, r.lot_id) for r in conn.execute(
            sa.select(entries.c.id, entries.c.kind, entries.c.points, entries.c.lot_id))}
    assert len(first.entry_ids) == 2 and len(rows) == 6
    assert all(lot == i for i, (kind, points, lot) in rows.items() if points > 0)
    assert rows[spend.entry_ids[0]] == ("spend", -20, first.entry_ids[0])  # one lot: named
    assert ledger.reconcile() == []


@pytest.mark.parametrize("engine_name", ["sqlite_engine", "pg_engine"])
def test_a_batch_commits_its_writes_together_or_not_at_all(engine_name, request):
    ledger = Ledger(request.getfixturevalue(engine_name), make_program(
        rewards=[{"id": "mug", "kind": "free_item", "cost": 50}]))
    ledger.ensure_schema()

    def writes() -> list[Receipt]:
        out = [ledger.earn("m", 60, key="e1", at=days(0)),
                             ledger.earn_for_order("n", "o1", 30, key="o1", at=days(0))]
        out.append(ledger.redeem("m", "mug", key="r1", at=days(1)))
        with pytest.raises(InsufficientPointsError):  # refused: recorded, the batch goes on
            ledger.redeem("m", "mug", key="r2", at=days(1))
        out.append(ledger.earn("m", 60, key="e1", at=days(0)))  # a replay inside the batch
        return out

    with pytest.raises(RuntimeError), ledger.batch():
        writes()
        raise RuntimeError("the caller fails before the batch ends")
    with ledger.engine.connect() as conn:  # nothing of it was committed
        assert conn.execute(sa.select(sa.func.count()).select_from(entries)).scalar() == 0
    with ledger.batch():
        receipts = writes()
    assert [r.replayed for r in receipts] == [False, False, False, True]
    assert receipts[3] == receipts[0]
    assert ledger.balance("m", at=days(2)).available == 10
    assert ledger.balance("n", at=days(2)).total == 30
    with pytest.raises(InsufficientPointsError):  # the refusal was stored with the batch
        ledger.redeem("m", "mug", key="r2", at=days(1))
    again = ledger.earn_for_order("n", "o1", 30, key="o1", at=days(0))
    assert again.replayed and again == receipts[1]
    assert ledger.reconcile() == []


def test_a_batch_gives_its_sqlite_connection_a_bigger_page_cache(sqlite_engine):
    with sqlite_engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == -2000  # SQLite's default
        roomy(conn)
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == -32768
        raw.execute("PRAGMA cache_size=20000")  # pages: 80 MB, more than a batch asks for
        roomy(conn)
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == 20000
