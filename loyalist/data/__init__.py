"""Data in: the canonical data model and validated import."""

from __future__ import annotations

from loyalist.data.importer import ImportResult, import_file, load, rejects
from loyalist.data.schema import TABLES, Column, Table, table, table_names

__all__ = [
    "TABLES", "Column", "ImportResult", "Table", "import_file", "load", "rejects", "table",
    "table_names",
]
