"""Storage: the analytics workspace (DuckDB through Ibis) and the operational store (SQLAlchemy)."""

from __future__ import annotations

from loyalist.store.operational import connect_operational
from loyalist.store.workspace import Workspace

__all__ = ["Workspace", "connect_operational"]
