"""Executed results as plain Python records."""

from __future__ import annotations

from typing import Any


def records(frame: Any, *, iso: bool = False) -> list[dict[str, Any]]:
    """Rows of a pandas DataFrame as dicts, missing values as ``None``.

    ``iso=True`` turns dates and timestamps into ISO text (for JSON).

    Examples
    --------
    >>> import pandas as pd
    >>> records(pd.DataFrame({"a": [1.5, None]}))
    [{'a': 1.5}, {'a': None}]
    """
    frame = frame.astype(object).where(frame.notna(), None)
    rows: list[dict[str, Any]] = frame.to_dict(orient="records")
    if iso:
        rows = [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
                for row in rows]
    return rows
