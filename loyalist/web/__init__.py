"""The web dashboard: server-rendered pages with filters and drill-down to customers."""

from __future__ import annotations

from loyalist.web.pages import router

__all__ = ["router"]
