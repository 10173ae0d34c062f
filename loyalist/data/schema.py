"""The canonical data model: every table loyalist reads, with columns, types, keys and rules.

This module is the single source of truth. ``loyalist schema`` prints it and ``docs/data-model.md``
is generated from it (:func:`loyalist.data.docs.render_markdown`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from loyalist.errors import SchemaError

ColumnType = Literal["string", "int", "float", "bool", "date", "timestamp"]

#: DuckDB type of each canonical column type.
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name
        Column name.
    type
        One of ``string``, ``int``, ``float``, ``bool``, ``date``, ``timestamp``.
    description
        What the column holds.
    required
        A row without a value here is rejected.
    nonnegative
        A negative value is rejected (amounts, durations, counts).
    choices
        Allowed values (for string columns), if restricted.
    minimum, maximum
        Allowed numeric range (inclusive), if restricted.
    """

    name: str
    type: ColumnType
    description: str
    required: bool = False
    nonnegative: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def sql_type(self) -> str:
        """The DuckDB type the column is stored as."""
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    """A canonical table: columns and the key that identifies a row (used for upserts)."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise SchemaError(f"table {self.name} has no column {name!r}", table=self.name, column=name)

    @property
    def column_names(self) -> list[str]:
        """Names of all columns, in order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the columns a row must have."""
        return [c.name for c in self.columns if c.required or c.name in self.key]


def _c(name: str, type_: ColumnType, description: str, **rules: object) -> Column:
    return Column(name, type_, description, **rules)  # type: ignore[arg-type]


_CUSTOMER = _c("customer_id", "string", "Customer identifier.", required=True)
_CUSTOMER_OPT = _c("customer_id", "string", "Customer identifier; empty for guests.")
_MONEY = {"nonnegative": True}

TABLES: tuple[Table, ...] = (
    Table("customers", "One row per customer. Derived from orders when not imported.",
          ("customer_id",), (
        _CUSTOMER,
        _c("signup_at", "timestamp", "When the customer signed up or first bought."),
        _c("acquisition_channel", "string", "Channel that won the customer (ads, referral, ...)."),
        _c("onboarding_path", "string", "Onboarding path or flow the customer went through."),
        _c("plan", "string", "Current plan or product tier."),
        _c("country", "string", "Country."),
        _c("segment", "string", "Business-defined segment."),
        _c("pain_score", "float", "Manual difficulty score (0-10) set by the team.",
           minimum=0, maximum=10),
    )),
    Table("orders", "One row per order (invoice). Guest orders have no customer_id.",
          ("order_id",), (
        _c("order_id", "string", "Order identifier.", required=True),
        _CUSTOMER_OPT,
        _c("ordered_at", "timestamp", "When the order was placed.", required=True),
        _c("amount", "float", "Order value after discounts, before refunds.", required=True,
           **_MONEY),
        _c("discount_amount", "float", "Discount given on the order.", **_MONEY),
        _c("margin", "float", "Gross margin of the order."),
        _c("currency", "string", "ISO currency code."),
        _c("channel", "string", "Sales channel (web, store, app...)."),
        _c("country", "string", "Country of the order."),
    )),
    Table("order_lines", "Lines of an order.", ("order_id", "line_no"), (
        _c("order_id", "string", "Order the line belongs to.", required=True),
        _c("line_no", "int", "Position of the line in the order (1-based).", required=True,
           minimum=1),
        _c("sku", "string", "Product or stock code."),
        _c("description", "string", "Product description."),
        _c("quantity", "int", "Units.", required=True, **_MONEY),
        _c("unit_price", "float", "Price per unit.", required=True, **_MONEY),
        _c("amount", "float", "Line value (quantity x unit price).", **_MONEY),
        _c("line_kind", "string", "product, fee (postage, charges) or adjustment.",
           choices=("product", "fee", "adjustment")),
    )),
    Table("refunds", "Refunds, returns and cancellations.", ("refund_id",), (
        _c("refund_id", "string", "Refund identifier.", required=True),
        _c("order_id", "string", "Order refunded, if known."),
        _CUSTOMER_OPT,
        _c("refunded_at", "timestamp", "When the refund happened.", required=True),
        _c("amount", "float", "Amount refunded (positive).", required=True, **_MONEY),
        _c("quantity", "int", "Units returned.", **_MONEY),
        _c("sku", "string", "Product returned."),
        _c("reason", "string", "Why (return, cancellation, ...)."),
    )),
    Table("events", "Product events: logins, sessions, feature use, key actions.", ("event_id",), (
        _c("event_id", "string", "Event identifier.", required=True),
        _CUSTOMER,
        _c("occurred_at", "timestamp", "When it happened.", required=True),
        _c("event_type", "string", "login, session, feature_use, key_action or another name.",
           required=True),
        _c("feature", "string", "Feature used, for feature_use events."),
        _c("duration_seconds", "float", "Session duration.", **_MONEY),
    )),
    Table("subscriptions", "Subscriptions and their paid periods.", ("subscription_id",), (
        _c("subscription_id", "string", "Subscription identifier.", required=True),
        _CUSTOMER,
        _c("plan", "string", "Plan."),
        _c("started_at", "timestamp", "Start.", required=True),
        _c("current_period_end", "timestamp", "End of the paid period."),
        _c("canceled_at", "timestamp", "When the customer cancelled."),
        _c("ended_at", "timestamp", "When service ended."),
        _c("mrr", "float", "Monthly recurring revenue.", **_MONEY),
        _c("status", "string", "active, canceled, past_due, ...", ),
    )),
    Table("invoices", "Invoices and payments, failed ones included.", ("invoice_id",), (
        _c("invoice_id", "string", "Invoice identifier.", required=True),
        _CUSTOMER,
        _c("subscription_id", "string", "Subscription billed."),
        _c("issued_at", "timestamp", "Issue date.", required=True),
        _c("due_at", "timestamp", "Due date."),
        _c("paid_at", "timestamp", "Payment date (empty if unpaid)."),
        _c("amount", "float", "Amount.", required=True, **_MONEY),
        _c("status", "string", "paid, failed, open, void.",
           choices=("paid", "failed", "open", "void")),
        _c("failure_reason", "string", "Why a payment failed."),
    )),
    Table("tickets", "Support tickets and complaints.", ("ticket_id",), (
        _c("ticket_id", "string", "Ticket identifier.", required=True),
        _CUSTOMER,
        _c("opened_at", "timestamp", "Opened.", required=True),
        _c("resolved_at", "timestamp", "Resolved (empty while open)."),
        _c("category", "string", "Topic."),
        _c("is_complaint", "bool", "Whether the ticket is a complaint."),
        _c("handling_minutes", "float", "Staff time spent.", **_MONEY),
        _c("csat", "int", "CSAT after support (1-5).", minimum=1, maximum=5),
    )),
    Table("survey_responses", "Answers to NPS, CSAT, CES and other questions.", ("response_id",), (
        _c("response_id", "string", "Response identifier.", required=True),
        _c("customer_id", "string", "Respondent."),
        _c("survey_id", "string", "Survey."),
        _c("question", "string", "nps, csat, ces, heard_about or another question id.",
           required=True),
        _c("answered_at", "timestamp", "When answered.", required=True),
        _c("score", "int", "Numeric answer (empty when skipped).", **_MONEY),
        _c("answer", "string", "Choice answer (e.g. the channel heard about)."),
        _c("comment", "string", "Free-text comment."),
        _c("rewarded", "bool", "Whether answering earned a reward (for completion, whatever "
           "the score)."),
    )),
    Table("referrals", "Referrals from one customer to another.", ("referral_id",), (
        _c("referral_id", "string", "Referral identifier.", required=True),
        _c("referrer_id", "string", "Customer who referred.", required=True),
        _c("referred_id", "string", "Customer referred (once known)."),
        _c("referred_at", "timestamp", "When the referral was made.", required=True),
        _c("converted_at", "timestamp", "When the referred person became a customer."),
    )),
    Table("reviews", "Reviews and testimonials.", ("review_id",), (
        _c("review_id", "string", "Review identifier.", required=True),
        _CUSTOMER,
        _c("posted_at", "timestamp", "When posted.", required=True),
        _c("rating", "float", "Rating given (e.g. 1-5).", **_MONEY),
        _c("kind", "string", "review or testimonial.", choices=("review", "testimonial")),
        _c("platform", "string", "Where it was posted."),
    )),
    Table("community_activity", "Community posts, questions and answers.", ("activity_id",), (
        _c("activity_id", "string", "Activity identifier.", required=True),
        _CUSTOMER,
        _c("occurred_at", "timestamp", "When.", required=True),
        _c("kind", "string", "post, question, answer or share.",
           choices=("post", "question", "answer", "share")),
        _c("thread_id", "string", "Thread or question."),
        _c("response_minutes", "float", "Time to first response, for questions.", **_MONEY),
        _c("satisfaction", "int", "Member satisfaction (1-5).", minimum=1, maximum=5),
    )),
    Table("marketing_spend", "Marketing spend by channel and month.", ("channel", "month"), (
        _c("channel", "string", "Acquisition channel.", required=True),
        _c("month", "date", "First day of the month.", required=True),
        _c("amount", "float", "Spend.", required=True, **_MONEY),
    )),
    Table("service_credits", "Credits given to customers (e.g. after a failure).", ("credit_id",), (
        _c("credit_id", "string", "Credit identifier.", required=True),
        _CUSTOMER,
        _c("issued_at", "timestamp", "When.", required=True),
        _c("amount", "float", "Amount credited.", required=True, **_MONEY),
        _c("reason", "string", "Why."),
    )),
)

_BY_NAME = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """Return the canonical table called ``name``.

    Examples
    --------
    >>> table("orders").key
    ('order_id',)
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise SchemaError(f"unknown table {name!r} (tables: {known})", table=name) from None


def table_names() -> list[str]:
    """Names of all canonical tables, in documentation order."""
    return list(_BY_NAME)
