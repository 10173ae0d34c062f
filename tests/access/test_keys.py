"""API keys: verification, the per-store cache of verified keys, revocation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from loyalist.access import keys as keys_module
from loyalist.access.keys import AuthError, KeyStore
from loyalist.store.operational import connect_operational


@pytest.fixture
def engine(tmp_path):
    engine = connect_operational(f"sqlite:///{tmp_path / 'ops.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(keys_module.time, "monotonic", lambda: now[0])
    return now


def test_a_verified_key_is_remembered_until_its_time_is_up(engine, clock):
    store, other = KeyStore(engine, cache_seconds=2), KeyStore(engine)
    token = store.create("analyst", "ci")
    assert store.cached(token) is None  # not verified yet
    assert store.verify(token).role == "analyst"
    assert store.cached(token) is not None and store.cached(token + "x") is None
    other.revoke(token.split("_")[1])  # elsewhere: this store learns it within 2 s
    clock[0] += 1.9
    assert store.verify(token).role == "analyst"
    clock[0] += 0.2
    assert store.cached(token) is None
    with pytest.raises(AuthError, match="revoked"):
        store.verify(token)


def test_revoking_through_the_store_refuses_the_key_at_once(engine, clock):
    store = KeyStore(engine)
    token = store.create("viewer")
    store.verify(token)
    store.revoke(token.split("_")[1])
    assert store.cached(token) is None
    with pytest.raises(AuthError, match="revoked"):
        store.verify(token)


def test_without_a_cache_every_key_is_looked_up(engine, clock):
    store = KeyStore(engine, cache_seconds=0)
    token = store.create("viewer")
    store.verify(token)
    assert store.cached(token) is None
    with engine.begin() as conn:
        conn.execute(sa.delete(keys_module.api_keys))
    with pytest.raises(AuthError, match="unknown"):
        store.verify(token)


@pytest.mark.parametrize("token", [None, "", "nope", "lk_x", "lk_abc_wrong"])
def test_bad_tokens_are_refused_and_never_cached(engine, token):
    store = KeyStore(engine)
    store.create("viewer")
    with pytest.raises(AuthError):
        store.verify(token)
    assert store.cached(token) is None


def test_a_wrong_secret_for_a_known_id_is_refused_even_with_the_right_one_cached(engine):
    store = KeyStore(engine)
    token = store.create("viewer")
    store.verify(token)
    with pytest.raises(AuthError, match="unknown"):
        store.verify(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
