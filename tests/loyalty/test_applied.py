"""The program in force: versions applied here are used at once, elsewhere within the recheck."""

from __future__ import annotations

import datetime as dt

import pytest

from loyalist.loyalty import applied
from loyalist.loyalty.applied import LedgerSource, NoProgramError, apply_program, programs


def _applied_elsewhere(engine, text):
    """A version stored as another process's apply would, without this process knowing."""
    with engine.begin() as conn:
        conn.execute(programs.insert().values(program_id="other", definition=text,
                                              applied_at=dt.datetime(2026, 1, 1)))


def test_a_version_applied_in_this_process_is_in_force_at_once(sqlite_engine):
    source = LedgerSource(sqlite_engine, recheck_seconds=3600)
    with pytest.raises(NoProgramError):
        source.ledger()  # no program: nothing remembered
    apply_program(sqlite_engine, "id: first\n")
    assert source.ledger().program.id == "first"
    apply_program(sqlite_engine, "id: second\n")
    assert source.ledger().program.id == "second"


def test_a_version_applied_elsewhere_is_in_force_after_the_recheck(sqlite_engine, monkeypatch):
    now = [50.0]
    monkeypatch.setattr(applied.time, "monotonic", lambda: now[0])
    apply_program(sqlite_engine, "id: first\n")
    source = LedgerSource(sqlite_engine, recheck_seconds=1)
    assert source.ledger().program.id == "first"
    _applied_elsewhere(sqlite_engine, "id: other\n")
    assert source.ledger().program.id == "first"  # looked up less than a second ago
    now[0] += 1.01
    assert source.ledger().program.id == "other"
    _applied_elsewhere(sqlite_engine, "id: third\n")
    assert LedgerSource(sqlite_engine, recheck_seconds=0).ledger().program.id == "third"
