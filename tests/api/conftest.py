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


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    """A client with a defined survey and one valid token, shared by the fuzz examples."""
    from tests.support.shop import make_rfm_workspace
    from tests.surveys.conftest import NPS

    ws = make_rfm_workspace(tmp_path_factory.mktemp("fuzz") / "shop")
    app = create_app(Settings(workspace=ws.path), public_limit=None)
    service = app.state.surveys
    service.define(NPS)
    token = service.invite("nps", "fuzzer")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c, token
