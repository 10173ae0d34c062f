from __future__ import annotations

from pathlib import Path

import pytest

from loyalist.data.docs import render_markdown
from loyalist.data.schema import TABLES, table
from loyalist.errors import SchemaError

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"

PRODUCT_TABLES = {
    "customers", "orders", "order_lines", "refunds", "events", "subscriptions", "invoices",
    "tickets", "survey_responses", "referrals", "reviews", "community_activity",
    "marketing_spend", "service_credits",
}


def test_every_table_of_the_product_is_declared():
    assert {t.name for t in TABLES} == PRODUCT_TABLES


def test_keys_are_required_columns():
    for spec in TABLES:
        for key in spec.key:
            assert spec.column(key).name in spec.required


def test_data_model_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), "run `make docs`"


def test_unknown_table_and_column():
    with pytest.raises(SchemaError, match="unknown table"):
        table("nope")
    with pytest.raises(SchemaError, match="no column"):
        table("orders").column("nope")
