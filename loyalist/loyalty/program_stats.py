"""Program health for the dashboard: members, earners, liability, redemption rate, tiers.

``liability`` is the points members still hold (available + pending, at ``at``), valued at the
catalogue's median money value per point (rewards with a ``value``). ``redemption_rate`` is
points spent / points earned over the program's life. Members are matched to the analytics
workspace's customers by id (``member_id == customer_id``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import sqlalchemy as sa

from loyalist.loyalty.ledger import Ledger
from loyalist.loyalty.program_schema import Program
from loyalist.loyalty.state import EntryRow, MemberState
from loyalist.loyalty.tables import allocations, entries, members
from loyalist.loyalty.tiers import tier_status


def load_all_states(conn: sa.Connection, program: Program) -> dict[str, MemberState]:
    """Every member's entries as :class:`MemberState` (two queries, whatever the count)."""
    used: dict[int, int] = {}
    covered: dict[int, int] = {}
    for entry_id, lot_id, points in conn.execute(
            sa.select(allocations.c.entry_id, allocations.c.lot_id, allocations.c.points)):
        used[lot_id] = used.get(lot_id, 0) + int(points)
        covered[entry_id] = covered.get(entry_id, 0) + int(points)
    rows: dict[str, list[EntryRow]] = {m: [] for m in conn.execute(
        sa.select(members.c.member_id)).scalars()}
    for r in conn.execute(sa.select(entries).order_by(entries.c.id)):
        rows.setdefault(r.member_id, []).append(EntryRow(
            r.id, r.kind, int(r.points), r.created_at, r.available_at, r.expires_at, r.reference,
            r.rule_id, None if r.amount_minor is None else int(r.amount_minor),
            int(r.written_off or 0), used.get(r.id, 0), covered.get(r.id, 0)))
    return {m: MemberState(m, r, program.expiry) for m, r in rows.items()}


def point_value(program: Program) -> Decimal | None:
    """Median money value of one point over rewards with a value (``None``: none has one).

    Examples
    --------
    >>> from loyalist.loyalty.program import example_program
    >>> point_value(example_program())
    Decimal('0.01')
    """
    values = []
    for reward in program.rewards:
        try:
            if reward.value and reward.cost > 0:
                values.append(Decimal(reward.value) / reward.cost)
        except ArithmeticError:
            continue
    return statistics.median(values) if values else None


def program_summary(ledger: Ledger, at: dt.datetime) -> dict[str, Any]:
    """Headline numbers of the program at ``at`` and members per tier (tiers in ladder order)."""
    with ledger.engine.connect() as conn:
        states = load_all_states(conn, ledger.program)
    since = at - dt.timedelta(days=30)
    earned = spent = liability = earners = 0
    tiers: dict[str, int] = {t.id: 0 for t in ledger.program.tiers.levels}
    for state in states.values():
        balance = state.balance(at)
        liability += max(balance.available, 0) + balance.pending
        earned, spent = earned + balance.earned, spent + balance.spent
        earners += any(r.kind == "earn" and r.points > 0 and since < r.created_at <= at
                       for r in state.rows)
        if tiers:
            tier = tier_status(state.rows, ledger.program, at).tier or "(none)"
            tiers[tier] = tiers.get(tier, 0) + 1
    value = point_value(ledger.program)
    return {"at": at, "members": len(states), "active_earners_30d": earners,
            "liability_points": liability,
            "liability_value": None if value is None else float(value * liability),
            "points_earned": earned, "points_spent": spent,
            "redemption_rate": spent / earned if earned else None, "tiers": tiers}


def repeat_rate_by_membership(orders: ir.Table, member_ids: list[str]) -> ir.Table:
    """Customers and repeat purchase rate of program members and of everyone else.

    One row per ``group`` (``members``, ``non-members``): ``customers`` with an order and
    ``repeat_purchase_rate`` = share of them with two or more distinct orders.

    Examples
    --------
    >>> t = ibis.memtable({"order_id": ["1", "2", "3", "4"], "customer_id": ["a", "a", "b", "c"]})
    >>> frame = ibis.duckdb.connect().execute(repeat_rate_by_membership(t, ["a", "b"]))
    >>> frame.sort_values("group").to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'group': 'members', 'customers': 2, 'repeat_purchase_rate': 0.5},
     {'group': 'non-members', 'customers': 1, 'repeat_purchase_rate': 0.0}]
    """
    known = orders.filter(orders.customer_id.notnull())
    per = known.group_by("customer_id").aggregate(n=known.order_id.nunique())
    ids = ibis.memtable({"member_id": [str(m) for m in member_ids]},
                        schema={"member_id": "string"})
    flagged = per.left_join(ids, per.customer_id.cast("string") == ids.member_id).mutate(
        group=ibis.ifelse(ibis._.member_id.notnull(), "members", "non-members"))
    return flagged.group_by("group").aggregate(
        customers=flagged.customer_id.count(),
        repeat_purchase_rate=ibis.ifelse(flagged.n >= 2, 1, 0).cast("float64").mean())
