"""A small synthetic shop with every canonical table populated (seeded, so always the same).

About 90 customers (5 of them known only from orders), ~450 orders with guest orders, lines,
refunds, product and ``community_*`` events, monthly and annual subscriptions with invoices,
tickets, survey answers (NPS, CSAT, CES, heard-about, skips), referrals, reviews, community
activity, marketing spend and service credits, 2023-01 to 2024-06. Ties, nulls and empty
channels are there on purpose: the parity suite runs every metric on it on each engine.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from loyalist.data.schema import TABLES
from loyalist.data.tables import _arrow_type

AS_OF = dt.date(2024, 6, 30)
START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2024-06-30 23:59:59")
CHANNELS = ["ads", "social", "search", "email", "referral", "Organic", None]


def _ts(rng: np.random.Generator, lo: pd.Timestamp, hi: pd.Timestamp, n: int) -> pd.Series:
    span = max(int((hi - lo).total_seconds()), 1)
    return pd.Series(lo + pd.to_timedelta(rng.integers(0, span, n), unit="s"))


def _typed(name: str, frame: pd.DataFrame) -> pa.Table:
    spec = next(t for t in TABLES if t.name == name)
    cols = {}
    for col in spec.columns:
        values = frame[col.name] if col.name in frame else pd.Series([None] * len(frame))
        if col.type in ("int", "float"):
            values = values.astype("float64")
            data = [None if pd.isna(v) else v for v in values]
            cols[col.name] = pa.array(
                [None if v is None else (int(v) if col.type == "int" else float(v))
                 for v in data], _arrow_type(col.type))
        elif col.type == "timestamp":
            cols[col.name] = pa.array(pd.to_datetime(values), _arrow_type(col.type))
        else:
            cols[col.name] = pa.array([None if pd.isna(v) else v for v in values],
                                      _arrow_type(col.type))
    return pa.table(cols)


def _customers(rng: np.random.Generator) -> pd.DataFrame:
    n = 85
    return pd.DataFrame({
        "customer_id": [f"c{i:02d}" for i in range(n)],
        "signup_at": _ts(rng, START, pd.Timestamp("2024-06-15"), n),
        "acquisition_channel": rng.choice(np.array(CHANNELS, dtype=object), n),
        "onboarding_path": rng.choice(["guided", "self"], n),
        "plan": rng.choice(["basic", "pro", "annual"], n),
        "country": rng.choice(["UK", "FR", "DE"], n),
        "segment": rng.choice(["smb", "retail"], n),
        "pain_score": rng.integers(0, 11, n).astype(float),
    })


def _orders(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    rows = []
    extra = [(f"x{i}", pd.Timestamp("2023-03-01") + pd.Timedelta(days=40 * i)) for i in range(5)]
    people = list(zip(customers.customer_id, customers.signup_at, strict=True)) + extra
    for cid, signup in people:
        k = int(rng.poisson(4)) + 1
        times = [signup, *_ts(rng, signup, END, k - 1)]
        rows += [(cid, t) for t in times]
    rows += [(None, t) for t in _ts(rng, START, END, 12)]
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at"])
    frame["ordered_at"] = frame.ordered_at.dt.floor("s")
    n = len(frame)
    frame["order_id"] = [f"o{i:04d}" for i in range(n)]
    frame["amount"] = np.round(rng.gamma(2.0, 30.0, n), 2)
    frame.loc[frame.index % 17 == 0, "amount"] = 25.0  # ties
    frame["discount_amount"] = np.where(rng.random(n) < 0.3, np.round(frame.amount * 0.1, 2),
                                        np.nan)
    frame["margin"] = np.round(frame.amount * 0.4, 2)
    frame["currency"] = "GBP"
    frame["channel"] = rng.choice(["web", "store", "app"], n)
    frame["country"] = rng.choice(["UK", "FR"], n)
    return frame


def _lines_and_refunds(rng: np.random.Generator, orders: pd.DataFrame):
    lines = []
    for oid, amount in zip(orders.order_id, orders.amount, strict=True):
        lines.append((oid, 1, "SKU1", "thing", 1, amount, amount, "product"))
        if amount > 60:
            lines.append((oid, 2, "POST", "postage", 1, 5.0, 5.0, "fee"))
    lines = pd.DataFrame(lines, columns=["order_id", "line_no", "sku", "description",
                                         "quantity", "unit_price", "amount", "line_kind"])
    picked = orders[orders.customer_id.notna()].sample(18, random_state=3)
    refunds = pd.DataFrame({
        "refund_id": [f"r{i:02d}" for i in range(len(picked))],
        "order_id": picked.order_id.to_numpy(), "customer_id": picked.customer_id.to_numpy(),
        "refunded_at": (picked.ordered_at + pd.Timedelta(days=3)).to_numpy(),
        "amount": np.round(picked.amount.to_numpy() * 0.5, 2), "quantity": 1, "sku": "SKU1",
        "reason": rng.choice(["return", "cancellation"], len(picked))})
    return lines, refunds


def _events(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    n = 600
    kinds = ["login", "session", "feature_use", "key_action", "community_view"]
    return pd.DataFrame({
        "event_id": [f"e{i:04d}" for i in range(n)],
        "customer_id": rng.choice(customers.customer_id, n),
        "occurred_at": _ts(rng, START, END, n), "event_type": rng.choice(kinds, n),
        "feature": rng.choice(["reports", "export", "search"], n),
        "duration_seconds": np.round(rng.exponential(300, n), 1)})


def _subscriptions(rng: np.random.Generator, customers: pd.DataFrame):
    n = 45
    who = customers.sample(n, random_state=5).reset_index(drop=True)
    plan = rng.choice(["pro", "annual"], n)
    started = _ts(rng, START, pd.Timestamp("2024-06-01"), n).dt.floor("s")
    end = pd.Series([s + pd.DateOffset(months=(12 if p == "annual" else 1)
                                       * (1 + int(rng.integers(0, 18))))
                     for s, p in zip(started, plan, strict=True)])
    canceled = (started + pd.Timedelta(days=50)).where(rng.random(n) < 0.25)
    status = np.where(canceled.notna(), "canceled", rng.choice(["active", "past_due"], n))
    subs = pd.DataFrame({
        "subscription_id": [f"s{i:02d}" for i in range(n)], "customer_id": who.customer_id,
        "plan": plan, "started_at": started, "current_period_end": end,
        "canceled_at": canceled, "ended_at": canceled + pd.Timedelta(days=30),
        "mrr": np.where(plan == "annual", 8.0, np.round(rng.uniform(5, 40, n), 2)),
        "status": status})
    inv = subs.loc[subs.index.repeat(2)].reset_index(drop=True)
    invoices = pd.DataFrame({
        "invoice_id": [f"i{i:03d}" for i in range(len(inv))], "customer_id": inv.customer_id,
        "subscription_id": inv.subscription_id,
        "issued_at": inv.started_at + pd.to_timedelta((inv.index % 2) * 30, unit="D"),
        "amount": inv.mrr, "status": np.where(inv.index % 7 == 0, "failed", "paid")})
    invoices["due_at"] = invoices.issued_at + pd.Timedelta(days=14)
    invoices["paid_at"] = invoices.issued_at.where(invoices.status == "paid")
    invoices["failure_reason"] = np.where(invoices.status == "failed", "card_declined", None)
    return subs, invoices


def _support(rng: np.random.Generator, customers: pd.DataFrame):
    n = 50
    opened = _ts(rng, START, END, n)
    tickets = pd.DataFrame({
        "ticket_id": [f"t{i:02d}" for i in range(n)],
        "customer_id": rng.choice(customers.customer_id, n), "opened_at": opened,
        "resolved_at": (opened + pd.Timedelta(hours=20)).where(rng.random(n) < 0.85),
        "category": rng.choice(["billing", "bug"], n), "is_complaint": rng.random(n) < 0.2,
        "handling_minutes": np.round(rng.exponential(25, n), 1),
        "csat": np.where(rng.random(n) < 0.7, rng.integers(1, 6, n), np.nan)})
    m = 160
    question = rng.choice(["nps", "csat", "ces", "heard_about"], m)
    score = np.where(question == "nps", rng.integers(0, 11, m),
                     np.where(question == "ces", rng.integers(1, 8, m), rng.integers(1, 6, m)))
    answer = rng.choice(np.array(CHANNELS, dtype=object), m)
    survey = pd.DataFrame({
        "response_id": [f"q{i:03d}" for i in range(m)],
        "customer_id": rng.choice(customers.customer_id, m), "survey_id": "s1",
        "question": question, "answered_at": _ts(rng, START, END, m),
        "score": np.where((question == "heard_about") | (rng.random(m) < 0.1), np.nan, score),
        "answer": np.where(question == "heard_about", answer, None),
        "comment": np.where(rng.random(m) < 0.3, "fine", None),
        "rewarded": rng.random(m) < 0.5})
    return tickets, survey


def _social(rng: np.random.Generator, customers: pd.DataFrame):
    ids = customers.customer_id.to_numpy()
    n = 24
    referrals = pd.DataFrame({
        "referral_id": [f"f{i:02d}" for i in range(n)], "referrer_id": rng.choice(ids, n),
        "referred_id": np.where(rng.random(n) < 0.8, rng.choice(ids, n), None),
        "referred_at": _ts(rng, START, END, n)})
    referrals["converted_at"] = (referrals.referred_at + pd.Timedelta(days=2)).where(
        rng.random(n) < 0.6)
    reviews = pd.DataFrame({
        "review_id": [f"v{i:02d}" for i in range(15)], "customer_id": rng.choice(ids, 15),
        "posted_at": _ts(rng, START, END, 15), "rating": rng.integers(1, 6, 15).astype(float),
        "kind": rng.choice(["review", "testimonial"], 15), "platform": "web"})
    m = 140
    kind = rng.choice(["post", "question", "answer", "share"], m)
    community = pd.DataFrame({
        "activity_id": [f"a{i:03d}" for i in range(m)], "customer_id": rng.choice(ids[:30], m),
        "occurred_at": _ts(rng, START, END, m), "kind": kind,
        "thread_id": [f"th{i % 40}" for i in range(m)],
        "response_minutes": np.where((kind == "question") & (rng.random(m) < 0.8),
                                     rng.integers(1, 30, m) * 5.0, np.nan),
        "satisfaction": np.where(rng.random(m) < 0.4, rng.integers(1, 6, m), np.nan)})
    return referrals, reviews, community


def _money(rng: np.random.Generator, customers: pd.DataFrame):
    months = pd.date_range(START, "2024-06-01", freq="MS").date
    spend = pd.DataFrame([(c, m, float(rng.integers(100, 900))) for c in CHANNELS[:4]
                          for m in months] + [("tv", months[3], 500.0)],
                         columns=["channel", "month", "amount"])
    credits = pd.DataFrame({
        "credit_id": [f"k{i}" for i in range(10)],
        "customer_id": rng.choice(customers.customer_id, 10),
        "issued_at": _ts(rng, START, END, 10), "amount": 10.0, "reason": "outage"})
    return spend, credits


def synthetic_shop(seed: int = 7) -> dict[str, pa.Table]:
    """Every canonical table of the synthetic shop, typed as the schema declares."""
    rng = np.random.default_rng(seed)
    customers = _customers(rng)
    customers["signup_at"] = customers.signup_at.dt.floor("s")
    orders = _orders(rng, customers)
    lines, refunds = _lines_and_refunds(rng, orders)
    subs, invoices = _subscriptions(rng, customers)
    tickets, survey = _support(rng, customers)
    referrals, reviews, community = _social(rng, customers)
    spend, credits = _money(rng, customers)
    frames = {"customers": customers, "orders": orders, "order_lines": lines,
              "refunds": refunds, "events": _events(rng, customers), "subscriptions": subs,
              "invoices": invoices, "tickets": tickets, "survey_responses": survey,
              "referrals": referrals, "reviews": reviews, "community_activity": community,
              "marketing_spend": spend, "service_credits": credits}
    return {name: _typed(name, frame) for name, frame in frames.items()}
