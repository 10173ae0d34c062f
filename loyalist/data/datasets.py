"""Public data sets shipped for the demo, and how their columns map onto the canonical tables.

Online Retail (UCI; invoice lines of a UK shop), one rule per kind of line, so every source line
is either loaded or kept as a reject with its reason:

- an invoice starting with ``C`` is a cancellation: each line becomes a ``refunds`` row
  (amount and quantity made positive);
- an invoice starting with ``A`` is a bad-debt adjustment, not a sale: rejected;
- any other line with a negative quantity is a stock adjustment (all are guest lines at price 0):
  rejected;
- every other line is an ``order_lines`` row; lines at price 0 load with amount 0 (free items);
  postage and charges (``POST``, ``DOT``, ``C2``, ``BANK CHARGES``, ``AMAZONFEE``, ``PADS``) are
  ``line_kind = 'fee'``, manual entries, samples and commissions (``M``, ``D``, ``S``, ``CRUK``)
  ``'adjustment'``, the rest ``'product'``; repeated identical lines stay separate lines;
- ``orders`` holds one row per loaded invoice, amount = sum of its lines;
- guest lines (no CustomerID) load with an empty ``customer_id``: they count in orders and revenue
  but belong to no customer, so per-customer metrics leave them out.

CDNOW (whitespace separated ``customer_id date number_of_cds dollar_value``): each line is one
order with id ``<customer>-<line>``; the customer id loses its leading zeros.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb
import pyarrow as pa

DATASETS = ("online-retail", "cdnow")

_FEES = ("POST", "DOT", "C2", "BANK CHARGES", "AMAZONFEE", "PADS")
_ADJUSTMENTS = ("M", "m", "D", "S", "CRUK")


@dataclass
class Prepared:
    """One canonical table's rows from a data set, with source lines and rule-based rejects."""

    table: str
    rows: pa.Table
    rejects: pa.Table | None = None
    line_column: str | None = "_line"
    extra: dict[str, str] = field(default_factory=dict)


def shipped_file(name: str) -> Path:
    """Path of a data file shipped inside the package (``loyalist/demo_data``)."""
    return Path(str(resources.files("loyalist").joinpath("demo_data", name)))


def online_retail(path: Path | None = None) -> tuple[str, list[Prepared]]:
    """Map the Online Retail invoice lines onto ``order_lines``, ``orders`` and ``refunds``."""
    path = path or shipped_file("online_retail_I.csv.gz")
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TABLE src AS SELECT *, row_number() OVER () + 1 AS _line FROM "
            "read_csv(?, all_varchar=true, header=true, delim=',', quote='\"')", [str(path)])
        con.execute(_RETAIL_CLASSIFY)
        lines = con.execute(_RETAIL_LINES).to_arrow_table()
        con.register("lines_arrow", lines)
        orders = con.execute(_RETAIL_ORDERS).to_arrow_table()
        refunds = con.execute(_RETAIL_REFUNDS).to_arrow_table()
        rejects = con.execute(
            "SELECT _line AS line, reject_column AS \"column\", reject_reason AS reason, "
            "reject_value AS value FROM cls WHERE kind = 'reject' ORDER BY _line"
        ).to_arrow_table()
    finally:
        con.close()
    return path.name, [
        Prepared("order_lines", lines.drop_columns(["customer_id", "ordered_at", "country"]),
                 rejects),
        Prepared("orders", orders),
        Prepared("refunds", refunds),
    ]


_RETAIL_CLASSIFY = f"""
CREATE TABLE cls AS SELECT *,
  CASE WHEN InvoiceNo LIKE 'C%' THEN 'refund'
       WHEN InvoiceNo LIKE 'A%' THEN 'reject'
       WHEN TRY_CAST(Quantity AS BIGINT) < 0 THEN 'reject'
       ELSE 'line' END AS kind,
  CASE WHEN InvoiceNo LIKE 'A%' THEN 'InvoiceNo' ELSE 'Quantity' END AS reject_column,
  CASE WHEN InvoiceNo LIKE 'A%' THEN 'bad-debt adjustment, not a sale'
       ELSE 'negative quantity outside a cancellation (stock adjustment), not a sale'
  END AS reject_reason,
  CASE WHEN InvoiceNo LIKE 'A%' THEN InvoiceNo ELSE Quantity END AS reject_value,
  row_number() OVER (PARTITION BY InvoiceNo ORDER BY _line) AS line_no,
  CASE WHEN StockCode IN {_FEES} THEN 'fee' WHEN StockCode IN {_ADJUSTMENTS} THEN 'adjustment'
       ELSE 'product' END AS line_kind
FROM src
"""
_RETAIL_LINES = """
SELECT InvoiceNo AS order_id, line_no, StockCode AS sku, Description AS description,
       Quantity AS quantity, UnitPrice AS unit_price,
       round(TRY_CAST(Quantity AS DOUBLE) * TRY_CAST(UnitPrice AS DOUBLE), 2) AS amount,
       line_kind, CustomerID AS customer_id, InvoiceDate AS ordered_at, Country AS country, _line
FROM cls WHERE kind = 'line' ORDER BY _line
"""
_RETAIL_ORDERS = """
SELECT order_id, any_value(customer_id) AS customer_id, min(ordered_at) AS ordered_at,
       round(sum(amount), 2) AS amount, 'GBP' AS currency, any_value(country) AS country,
       min(_line) AS _line
FROM lines_arrow GROUP BY order_id ORDER BY min(_line)
"""
_RETAIL_REFUNDS = """
SELECT InvoiceNo || '-' || line_no AS refund_id, CustomerID AS customer_id,
       InvoiceDate AS refunded_at,
       round(-TRY_CAST(Quantity AS DOUBLE) * TRY_CAST(UnitPrice AS DOUBLE), 2) AS amount,
       -TRY_CAST(Quantity AS BIGINT) AS quantity, StockCode AS sku, 'cancellation' AS reason, _line
FROM cls WHERE kind = 'refund' ORDER BY _line
"""


def cdnow(path: Path | None = None) -> tuple[str, list[Prepared]]:
    """Map the CDNOW master transactions onto ``orders`` (one line, one order)."""
    path = path or shipped_file("CDNOW_master.txt.gz")
    opener = gzip.open if path.suffix == ".gz" else open
    ids, customers, dates, amounts, lines = [], [], [], [], []
    with opener(path, "rt", encoding="ascii") as handle:
        next(handle)  # header
        for number, text in enumerate(handle, start=2):
            customer, date, _cds, value = text.split()
            cid = customer.lstrip("0") or "0"
            ids.append(f"{cid}-{number}")
            customers.append(cid)
            dates.append(f"{date[:4]}-{date[4:6]}-{date[6:]}")
            amounts.append(value)
            lines.append(number)
    rows = pa.table({"order_id": ids, "customer_id": customers, "ordered_at": dates,
                     "amount": amounts, "currency": ["USD"] * len(ids), "_line": lines})
    return path.name.removesuffix(".gz"), [Prepared("orders", rows)]


def prepare(name: str, path: Path | None = None) -> tuple[str, list[Prepared]]:
    """Prepare the data set called ``name`` (one of :data:`DATASETS`)."""
    from loyalist.errors import InputError

    if name == "online-retail":
        return online_retail(path)
    if name == "cdnow":
        return cdnow(path)
    raise InputError(f"unknown demo data set {name!r} (choose from {', '.join(DATASETS)})",
                     dataset=name)


TELCO_SERVICES = ("PhoneService", "MultipleLines", "OnlineSecurity", "OnlineBackup",
                  "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies")
TELCO_TERMS = {"Month-to-month": 1, "One year": 12, "Two year": 24}


def telco(path: Path, snapshot: str = "2024-01-01") -> tuple[str, list[Prepared], pa.Table]:
    """Map the IBM Telco snapshot onto customers, subscriptions and events; return the labels.

    Every customer signed up ``tenure`` months before ``snapshot`` (tenure 0: on the day); the
    subscription's period ends at the next end of the contract term counted from sign-up
    (month-to-month: the next monthly anniversary); each subscribed service is a ``feature_use``
    event on the day before the snapshot (the data hold no usage history); ``Churn`` is returned
    separately as the outcome, never loaded as data.
    """
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE src AS SELECT *, row_number() OVER () + 1 AS _line FROM "
                    "read_csv(?, all_varchar=true, header=true)", [str(path)])
        snap = f"DATE '{snapshot}'"
        customers = con.execute(f"""
            SELECT customerID AS customer_id,
                   {snap} - to_months(CAST(tenure AS INTEGER)) AS signup_at,
                   Contract AS plan, _line FROM src ORDER BY _line""").to_arrow_table()
        terms = " ".join(f"WHEN '{k}' THEN {v}" for k, v in TELCO_TERMS.items())
        subscriptions = con.execute(f"""
            SELECT customerID AS subscription_id, customerID AS customer_id, Contract AS plan,
                   {snap} - to_months(CAST(tenure AS INTEGER)) AS started_at,
                   {snap} - to_months(CAST(tenure AS INTEGER)) + to_months(
                       (CAST(tenure AS INTEGER) // (CASE Contract {terms} END) + 1)
                       * (CASE Contract {terms} END)) AS current_period_end,
                   CAST(MonthlyCharges AS DOUBLE) AS mrr, 'active' AS status, _line
            FROM src ORDER BY _line""").to_arrow_table()
        union = " UNION ALL ".join(
            f"SELECT customerID || '-{s}' AS event_id, customerID AS customer_id, "
            f"{snap} - INTERVAL 1 DAY AS occurred_at, 'feature_use' AS event_type, "
            f"'{s}' AS feature, _line FROM src WHERE {s} = 'Yes'" for s in TELCO_SERVICES)
        events = con.execute(f"SELECT * FROM ({union}) ORDER BY _line, event_id").to_arrow_table()
        labels = con.execute("SELECT customerID AS customer_id, Churn = 'Yes' AS churned "
                             "FROM src ORDER BY _line").to_arrow_table()
    finally:
        con.close()
    events = events.drop_columns(["_line"])
    return path.name, [Prepared("customers", customers), Prepared("subscriptions", subscriptions),
                       Prepared("events", events, line_column=None)], labels
