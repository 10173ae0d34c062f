from __future__ import annotations

from pathlib import Path

import pytest

from loyalist.store.workspace import Workspace

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data sets in ../shared/data (CI has shared/ beside the checkout)."""
    if not SHARED.is_dir():
        raise RuntimeError(f"real data not found at {SHARED}: shared/ must sit beside the repo")
    return SHARED


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


@pytest.fixture
def write(tmp_path: Path):
    """Write a text file in the test's temp dir and return its path."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def postgres_url():
    """SQLAlchemy URL of a throw-away PostgreSQL server (started once per test session)."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def rfm_workspace(tmp_path: Path) -> Workspace:
    """The tiny shop of tests/support/shop.py in a fresh workspace."""
    from tests.support.shop import make_rfm_workspace

    return make_rfm_workspace(tmp_path / "shop")
