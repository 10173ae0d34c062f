from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from loyalist.api import create_app
from loyalist.config import Settings


@pytest.fixture
def app(rfm_workspace):
    return create_app(Settings(workspace=rfm_workspace.path))


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def keys(app):
    store = app.state.keys
    return {role: store.create(role, f"test {role}") for role in ("viewer", "analyst", "admin")}


def auth(key):
    return {"Authorization": f"Bearer {key}"}
