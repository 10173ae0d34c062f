"""The REST API (``/api/v1``) and the app that also serves the dashboard."""

from __future__ import annotations

from loyalist.api.app import create_app

__all__ = ["create_app"]
