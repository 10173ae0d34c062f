"""Loyalty signals: advocacy, full-price buying, paying without lapses, giving feedback.

Components per customer, as of a date (each ``None``-free; counts are 0 when absent):

- ``referrals``: referred people who became customers;
- ``reviews``: reviews and testimonials posted;
- ``community``: community posts, answers and shares;
- ``full_price_share``: share of spend at full price, ``1 - discount / (amount + discount)``
  over the customer's orders (1 when no discount is recorded);
- ``paid_share``: share of the customer's invoices paid (no failed or open ones); customers
  without invoices get 1 (nothing lapsed);
- ``feedback``: survey answers given.

``loyalty_index`` is the mean of the six components, each scaled to 0-1 (counts divided by the
largest count among customers; shares as they are), times 100. ``advocate`` is true for customers
with at least one referral, review or community post/answer/share and an index in the top
``advocate_share`` (default the top 10 %).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loyalist.segments.dates import end_of_day

COUNTS = ("referrals", "reviews", "community", "feedback")
SHARES = ("full_price_share", "paid_share")


def loyalty_signals(tables: dict[str, ir.Table], *, as_of: dt.date | str,
                    advocate_share: float = 0.1) -> ir.Table:
    """Signals, ``loyalty_index`` (0-100) and ``advocate`` per customer, best first."""
    end = end_of_day(as_of)
    c = tables["customers"]
    out = c.filter(c.signup_at < end).select("customer_id")
    for part in _parts(tables, end):
        out = out.left_join(part, "customer_id").drop("customer_id_right")
    out = out.mutate(**{name: out[name].fill_null(0).cast("float64") for name in COUNTS},
                     **{name: out[name].fill_null(1.0) for name in SHARES})
    scaled = [ibis.ifelse(out[n].max().over() > 0, out[n] / out[n].max().over(), 0.0)
              for n in COUNTS] + [out[n] for n in SHARES]
    index = sum(scaled[1:], scaled[0]) * (100.0 / len(scaled))
    out = out.mutate(loyalty_index=index)
    rank = ibis.row_number().over(order_by=[ibis.desc(out.loyalty_index), out.customer_id])
    total = out.customer_id.count().over()
    acts = out.referrals + out.reviews + out.community
    top = rank.cast("float64") < total.cast("float64") * advocate_share
    return out.mutate(advocate=(acts > 0) & top).order_by(
        [ibis.desc("loyalty_index"), "customer_id"])


def _parts(tables: dict[str, ir.Table], end: ir.TimestampValue) -> list[ir.Table]:
    ref = tables["referrals"].filter(tables["referrals"].converted_at < end)
    rv = tables["reviews"].filter(tables["reviews"].posted_at < end)
    ca = tables["community_activity"]
    ca = ca.filter(ca.occurred_at < end, ca.kind.isin(["post", "answer", "share"]))
    o = tables["orders"].filter(tables["orders"].customer_id.notnull(),
                                tables["orders"].ordered_at < end)
    disc = o.discount_amount.cast("float64").fill_null(0.0)
    inv = tables["invoices"].filter(tables["invoices"].issued_at < end)
    sr = tables["survey_responses"]
    sr = sr.filter(sr.answered_at < end, sr.score.notnull() | sr.answer.notnull()
                   | sr.comment.notnull())
    return [
        ref.group_by(customer_id=ref.referrer_id).aggregate(referrals=ref.count()),
        rv.group_by("customer_id").aggregate(reviews=rv.count()),
        ca.group_by("customer_id").aggregate(community=ca.count()),
        o.group_by("customer_id").aggregate(full_price_share=1.0 - disc.sum() / ibis.greatest(
            (o.amount.cast("float64") + disc).sum(), 1e-9)),
        inv.group_by("customer_id").aggregate(
            paid_share=(inv.status == "paid").cast("float64").mean()),
        sr.group_by("customer_id").aggregate(feedback=sr.count()),
    ]
