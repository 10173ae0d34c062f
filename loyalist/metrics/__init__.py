"""Loyalty and retention metrics as pure Ibis expressions (no execution, no SQL strings)."""

from __future__ import annotations

from loyalist.metrics.overview import headline, orders_by_month, repeat_purchase_rate

__all__ = ["headline", "orders_by_month", "repeat_purchase_rate"]
