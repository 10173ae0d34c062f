"""Operational-store tables of the points ledger.

``loyalty_entries`` is append-only: rows are inserted, never updated or deleted (the one
exception: on PostgreSQL an earn's ``lot_id`` is set to its own id in the transaction that
inserts it; SQLite writes, alone while they write, number their entries and insert it).
Balances are derived from entries and allocations at read time.

Writes do not re-read a member's history: they read *derived* rows kept in the same transaction
as the entries that change them, and :meth:`Ledger.reconcile` recomputes every one of them from
the entries. ``loyalty_lots`` holds each lot's points left (and each debt's points still owed),
``loyalty_balances`` a member's running totals and ``loyalty_tier_items`` the dated values that
tiers count. None of them is a source of truth: they can be dropped and rebuilt from entries.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

ENTRY_KINDS = ("earn", "spend", "expire", "clawback", "adjust")

members = sa.Table(
    "loyalty_members", metadata,
    sa.Column("member_id", sa.String(200), primary_key=True),
    sa.Column("joined_at", sa.DateTime, nullable=False),
    sa.Column("segment", sa.String(100), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

entries = sa.Table(
    "loyalty_entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("points", sa.BigInteger, nullable=False),  # signed: earn +, spend/expire -
    sa.Column("lot_id", sa.Integer, nullable=True),  # earns: own id; expire: the lot
    sa.Column("available_at", sa.DateTime, nullable=True),  # earns: end of the pending period
    sa.Column("expires_at", sa.DateTime, nullable=True),  # earns under per-lot expiry
    sa.Column("idempotency_key", sa.String(250), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("reference", sa.String(200), nullable=True),  # order id, reward id...
    sa.Column("reason", sa.String(200), nullable=True),
    sa.Column("rule_id", sa.String(100), nullable=True),  # the earning rule (limits, badges)
    sa.Column("amount_minor", sa.BigInteger, nullable=True),  # order money, minor units
    sa.Column("written_off", sa.BigInteger, nullable=False, default=0),  # clawback shortfall
    sa.CheckConstraint("kind in ('earn', 'spend', 'expire', 'clawback', 'adjust')",
                       name="ck_loyalty_entries_kind"),
    # (member_id, reference) also serves lookups by member alone; databases created before it
    # keep their older ix_loyalty_entries_member (member_id, id).
    sa.Index("ix_loyalty_entries_reference", "member_id", "reference"),
    sa.Index("ix_loyalty_entries_rule", "member_id", "rule_id", "created_at"),
)

# Which lot paid for which negative entry (spend, clawback, expire, negative adjust, and the
# repayment of a negative balance by a later earn).
allocations = sa.Table(
    "loyalty_allocations", metadata,
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("loyalty_entries.id"), primary_key=True),
    sa.Column("lot_id", sa.Integer, sa.ForeignKey("loyalty_entries.id"), primary_key=True),
    sa.Column("member_id", sa.String(200), nullable=False),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.CheckConstraint("points > 0", name="ck_loyalty_allocations_points"),
    sa.Index("ix_loyalty_allocations_member", "member_id", "lot_id"),
    sqlite_with_rowid=False,  # one b-tree less to write per commit
)

# One row per idempotency key: the first response, returned again on every replay.
requests = sa.Table(
    "loyalty_requests", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("member_id", sa.String(200), nullable=False),
    sa.Column("op", sa.String(20), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sqlite_with_rowid=False,
)

reward_stock = sa.Table(
    "loyalty_reward_stock", metadata,
    sa.Column("reward_id", sa.String(100), primary_key=True),
    sa.Column("remaining", sa.Integer, nullable=False),
    sa.CheckConstraint("remaining >= 0", name="ck_loyalty_reward_stock_remaining"),
)

badges = sa.Table(
    "loyalty_badges", metadata,
    sa.Column("member_id", sa.String(200), primary_key=True),
    sa.Column("badge_id", sa.String(100), primary_key=True),
    sa.Column("won_at", sa.DateTime, nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
)


# Derived: one row per lot (an earn or positive adjustment: ``remaining`` points left) and per
# negative entry not fully covered (``debt``: ``remaining`` points still owed). Spends read only
# the rows with points left, through the partial index.
lots = sa.Table(
    "loyalty_lots", metadata,
    sa.Column("lot_id", sa.Integer, sa.ForeignKey("loyalty_entries.id"), primary_key=True),
    sa.Column("member_id", sa.String(200), nullable=False),
    sa.Column("debt", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("available_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=True),
    sa.Column("reference", sa.String(200), nullable=True),
    sa.Column("remaining", sa.BigInteger, nullable=False),
    sa.CheckConstraint("remaining >= 0", name="ck_loyalty_lots_remaining"),
    sa.Index("ix_loyalty_lots_open", "member_id", "created_at", "lot_id",
             sqlite_where=sa.text("remaining > 0"), postgresql_where=sa.text("remaining > 0")),
)

# Derived: a member's running totals (one row per member, written with every entry).
balances = sa.Table(
    "loyalty_balances", metadata,
    sa.Column("member_id", sa.String(200), sa.ForeignKey("loyalty_members.member_id"),
              primary_key=True),
    sa.Column("total", sa.BigInteger, nullable=False),  # sum of entries
    sa.Column("earned", sa.BigInteger, nullable=False),  # points_earned contributions
    sa.Column("spend_minor", sa.BigInteger, nullable=False),  # spend contributions
    sa.Column("orders", sa.Integer, nullable=False),  # distinct orders earned for
    sqlite_with_rowid=False,
)

# Derived: what tiers count, one row per basis and earn/clawback, dated as tiers date it (a
# clawback, and an order's spend, at the time of the order's latest earn).
tier_items = sa.Table(
    "loyalty_tier_items", metadata,
    sa.Column("member_id", sa.String(200), primary_key=True),
    sa.Column("basis", sa.String(20), primary_key=True),  # points_earned | spend
    sa.Column("at", sa.DateTime, primary_key=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("loyalty_entries.id"), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.String(200), nullable=True),
    sa.Column("clawback", sa.Boolean, nullable=False),
    sqlite_with_rowid=False,  # the key is the range writes read: one b-tree
)

DERIVED = (lots, balances, tier_items)
