"""Service-recovery credits: points posted on the loyalty ledger once per task.

A ``service_recovery_credit`` task credits its playbook's ``points`` with
``Ledger.earn(customer, points, key="task:<task id>:credit", reason="service_recovery")``. The
idempotency key makes the credit happen once whatever is re-run (a run that stopped between the
credit and recording it repeats the call, and the ledger answers with the stored receipt). What
happened is recorded per task in ``task_credits``: ``posted``, ``no program applied`` (no
loyalty program in force: nothing is credited, nothing fails) or ``refused: <reason>``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from loyalist.errors import LoyalistError
from loyalist.loyalty.applied import LedgerSource, NoProgramError
from loyalist.loyalty.ledger import Ledger

metadata = sa.MetaData()
task_credits = sa.Table(
    "task_credits", metadata,
    sa.Column("task_id", sa.String(300), primary_key=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("result", sa.String(300), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)
NO_PROGRAM = "no program applied"


def applied_ledger(engine: sa.Engine, program_file: Path | None = None) -> Ledger | None:
    """The ledger of the loyalty program in force in ``engine``'s store, ``None`` if none."""
    try:
        return LedgerSource(engine, program_file).ledger()
    except NoProgramError:
        return None


def post_credit(engine: sa.Engine, ledger: Ledger | None, task_id: str, customer_id: str,
                points: int) -> str:
    """Credit one task's points (once) and record the result; return it.

    Examples
    --------
    >>> engine = sa.create_engine("sqlite://")
    >>> post_credit(engine, None, "recover:a:2024-06-01", "a", 500)
    'no program applied'
    >>> credit_results(engine)
    {'recover:a:2024-06-01': 'no program applied'}
    """
    metadata.create_all(engine)
    if ledger is None:
        result = NO_PROGRAM
    else:
        try:
            receipt = ledger.earn(customer_id, points, key=f"task:{task_id}:credit",
                                  reference=task_id, reason="service_recovery")
            result = f"posted {receipt.points} points"
        except LoyalistError as exc:
            result = f"refused: {exc}"[:300]
    with engine.begin() as conn:
        done = conn.execute(sa.select(task_credits.c.result).where(
            task_credits.c.task_id == task_id)).scalar()
        if done is not None:
            return str(done)
        conn.execute(task_credits.insert().values(
            task_id=task_id, points=points, result=result,
            at=dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    return result


def credits_table(engine: sa.Engine) -> sa.Table:
    """The ``task_credits`` table, created in ``engine``'s store if missing."""
    metadata.create_all(engine)
    return task_credits


def credit_results(engine: sa.Engine) -> dict[str, str]:
    """What each credit task did, by task id."""
    metadata.create_all(engine)
    with engine.connect() as conn:
        return {r.task_id: r.result for r in conn.execute(sa.select(task_credits))}
