"""Derived rows (lots left, debts, running totals, tier items) against the entries."""

from __future__ import annotations

import sqlalchemy as sa

from loyalist.loyalty.reconcile import Mismatch
from loyalist.loyalty.tables import balances, lots, tier_items
from loyalist.loyalty.tiers import tier_status
from tests.loyalty.conftest import days


def _busy(ledger):
    ledger.earn_for_order("m", "o1", 100, key="o1", at=days(0))
    ledger.earn("m", 50, key="e1", at=days(1))
    ledger.spend("m", 120, key="s1", at=days(2))
    ledger.refund("m", "o1", refunded_amount=60, key="r1", at=days(3))
    ledger.earn_for_order("m", "o1", 100, key="o1-again", at=days(4))  # re-dates the order
    ledger.earn("n", 10, key="n1", at=days(0))


def test_derived_rows_match_the_entries(ledger_for):
    ledger = ledger_for(clawback="allow_negative",
                        tiers={"levels": [{"id": "silver", "threshold": 100}],
                               "basis": "spend", "window": "calendar_year"})
    _busy(ledger)
    assert ledger.reconcile() == [] and ledger.reconcile("m") == []
    for at in (days(2), days(5), days(400)):
        assert ledger.tier("m", at=at) == tier_status(ledger.state("m").rows, ledger.program, at)


def test_a_tampered_row_is_reported(ledger_for):
    ledger = ledger_for()
    _busy(ledger)
    with ledger.engine.begin() as conn:
        conn.execute(lots.update().where(lots.c.member_id == "n").values(remaining=7))
        conn.execute(balances.update().where(balances.c.member_id == "m").values(total=0))
    found = ledger.reconcile()
    assert {(m.member_id, m.what.split("[")[0]) for m in found} == {("n", "lots"), ("m", "totals")}
    lot = next(m for m in found if m.member_id == "n")
    assert isinstance(lot, Mismatch) and (lot.stored[-1], lot.expected[-1]) == (7, 10)
    assert [m.member_id for m in ledger.reconcile("n")] == ["n"]


def test_members_written_before_the_derived_tables_get_them_rebuilt(ledger_for):
    ledger = ledger_for()
    _busy(ledger)
    with ledger.engine.begin() as conn:
        for table in (lots, tier_items, balances):
            conn.execute(sa.delete(table))
    ledger.ensure_schema()  # rebuilds every member without a running-totals row
    assert ledger.reconcile() == []
    with ledger.engine.begin() as conn:
        for table in (lots, tier_items, balances):
            conn.execute(sa.delete(table).where(table.c.member_id == "n"))
    assert ledger.spend("n", 4, key="n2", at=days(1)).available == 6  # rebuilt on the write
    assert ledger.reconcile() == []
