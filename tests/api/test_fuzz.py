"""Property-based fuzz of the API from its own OpenAPI schema: no input may produce a 5xx.

Cases come from schemathesis' Hypothesis strategies, one test per operation (its pytest plugin
does not run on this pytest version).
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st

from loyalist.api import create_app
from loyalist.config import Settings
from tests.support.shop import make_rfm_workspace


def _operations():
    import tempfile
    from pathlib import Path

    ws = make_rfm_workspace(Path(tempfile.mkdtemp(prefix="loyalist-fuzz-")) / "shop")
    app = create_app(Settings(workspace=ws.path))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = [result.ok() for result in schema.get_all_operations()]
    return app, {f"{op.method.upper()} {op.path}": op for op in ops}


APP, OPERATIONS = _operations()
ADMIN = APP.state.keys.create("admin", "fuzz")


@pytest.mark.parametrize("label", sorted(OPERATIONS))
@hypothesis.settings(max_examples=30, deadline=None, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(data=st.data())
def test_no_server_errors(label, data):
    case = data.draw(OPERATIONS[label].as_strategy())
    headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN}"}
    response = case.call(headers=headers)
    assert response.status_code < 500, (label, case.path_parameters, case.query,
                                        response.text[:300])
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}, response.text[:300]
