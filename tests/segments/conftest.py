from __future__ import annotations

import pytest

from loyalist.data.views import tables as view_tables


@pytest.fixture
def rfm_tables(rfm_workspace):
    with rfm_workspace.ibis() as backend:
        yield backend, view_tables(backend)


def execute(backend, expr, key="customer_id"):
    frame = backend.execute(expr)
    return frame.sort_values(key).reset_index(drop=True) if key else frame


__all__ = ["execute"]
