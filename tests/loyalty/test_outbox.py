"""The outbox against a real HTTP receiver on 127.0.0.1 (no mocks), with an injected clock."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from loyalist.errors import InputError, NotFoundError
from loyalist.loyalty.outbox import Dispatcher, emit, ensure_schema, outbox, verify_signature
from loyalist.loyalty.webhooks import add_webhook, list_webhooks, set_webhook_active
from loyalist.store.operational import connect_operational, default_url

T0 = dt.datetime(2024, 5, 1, 12, 0, 0)
SECRET = "whsec_test-secret-never-logged"


class Receiver:
    """A webhook endpoint that answers 500 to the first ``fail_first`` requests, then 200."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = 500 if len(receiver.requests) < receiver.fail_first else 200
                    receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def engine(tmp_path):
    engine = connect_operational(default_url(tmp_path))
    ensure_schema(engine)
    yield engine
    engine.dispose()


def _emit(engine, key, event_type="points.earned", **payload):
    with engine.begin() as conn:
        emit(conn, event_type, payload or {"member_id": "m1", "points": 10}, key=key)


def _count(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar()


def test_emit_is_transactional_and_once_per_key(engine):
    _emit(engine, "order-1")
    _emit(engine, "order-1")  # a replayed write
    with pytest.raises(RuntimeError), engine.begin() as conn:
        emit(conn, "points.earned", {"points": 5}, key="order-2")
        raise RuntimeError("the ledger write failed")
    assert _count(engine) == 1  # the rolled-back event never existed
    with pytest.raises(InputError), engine.begin() as conn:
        emit(conn, "points.earned", {"at": dt.date(2024, 1, 1)}, key="order-3")


def test_delivery_is_signed_over_timestamp_and_body(engine):
    with Receiver() as receiver:
        add_webhook(engine, receiver.url, ["*"], secret=SECRET)
        _emit(engine, "order-1")
        assert Dispatcher(engine).run_once(T0) == {"delivered": 1, "retrying": 0, "failed": 0}
        assert Dispatcher(engine).run_once(T0 + dt.timedelta(hours=1))["delivered"] == 0
    [(headers, body, _status)] = receiver.requests
    ts = int(T0.replace(tzinfo=dt.UTC).timestamp())
    assert headers["X-Loyalist-Signature"].startswith(f"t={ts},v1=")
    assert verify_signature(SECRET, body, headers["X-Loyalist-Signature"], now=ts)
    assert not verify_signature("whsec_other", body, headers["X-Loyalist-Signature"], now=ts)
    assert not verify_signature(SECRET, body + b" ", headers["X-Loyalist-Signature"], now=ts)
    assert not verify_signature(SECRET, body, headers["X-Loyalist-Signature"], now=ts + 301)
    event = json.loads(body)
    assert event["type"] == "points.earned" and event["data"] == {"member_id": "m1", "points": 10}
    assert headers["X-Loyalist-Event-Id"] == event["id"] and event["id"].startswith("evt_")


def test_retries_back_off_exponentially_until_delivered(engine):
    with Receiver(fail_first=2) as receiver:
        add_webhook(engine, receiver.url, ["points.earned"], secret=SECRET)
        _emit(engine, "order-1")
        dispatcher = Dispatcher(engine, base_delay=dt.timedelta(seconds=30))
        at = lambda seconds: T0 + dt.timedelta(seconds=seconds)  # noqa: E731
        assert dispatcher.run_once(at(0))["retrying"] == 1
        assert dispatcher.run_once(at(29)) == {"delivered": 0, "retrying": 0, "failed": 0}
        assert dispatcher.run_once(at(30))["retrying"] == 1  # 30 s after the first
        assert dispatcher.run_once(at(89))["retrying"] == 0
        assert dispatcher.run_once(at(90))["delivered"] == 1  # 60 s after the second
    assert [s for _h, _b, s in receiver.requests] == [500, 500, 200]
    attempts = sorted(dispatcher.log(), key=lambda r: r["attempt"])
    assert [(r["attempt"], r["status_code"], r["outcome"]) for r in attempts] == [
        (1, 500, "retrying"), (2, 500, "retrying"), (3, 200, "delivered")]
    assert [r["at"] for r in attempts] == [at(0), at(30), at(90)]
    assert all(r["next_attempt_at"] is None for r in attempts)


def test_gives_up_after_max_attempts_then_replay_delivers(engine):
    with Receiver(fail_first=2) as receiver:
        add_webhook(engine, receiver.url, ["*"], secret=SECRET)
        _emit(engine, "order-1")
        dispatcher = Dispatcher(engine, max_attempts=2, base_delay=dt.timedelta(seconds=10))
        dispatcher.run_once(T0)
        assert dispatcher.run_once(T0 + dt.timedelta(seconds=10))["failed"] == 1
        assert dispatcher.run_once(T0 + dt.timedelta(days=30))["retrying"] == 0
        failed = dispatcher.log()[0]
        assert failed["outcome"] == "failed" and failed["error"] == "HTTP 500"
        assert dispatcher.replay(failed["id"], T0 + dt.timedelta(days=1)) == ["delivered"]
        assert len(receiver.requests) == 3
        with pytest.raises(InputError):
            dispatcher.replay(failed["id"])  # nothing failed any more
        assert dispatcher.replay(failed["event_id"]) == []
    with pytest.raises(NotFoundError):
        dispatcher.replay("evt_unknown")
    with pytest.raises(InputError):
        dispatcher.replay("42")


def test_replay_by_event_sends_every_failed_delivery(engine):
    with Receiver(fail_first=2) as receiver:
        for _ in range(2):
            add_webhook(engine, receiver.url, ["*"], secret=SECRET)
        _emit(engine, "order-1")
        dispatcher = Dispatcher(engine, max_attempts=1)
        assert dispatcher.run_once(T0)["failed"] == 2
        event_id = dispatcher.log()[0]["event_id"]
        assert dispatcher.replay(event_id, T0) == ["delivered", "delivered"]


def test_only_active_subscribers_get_an_event(engine):
    with Receiver() as receiver:
        spent, _ = add_webhook(engine, receiver.url, ["points.spent"], secret=SECRET)
        paused, _ = add_webhook(engine, receiver.url, ["*"], secret=SECRET)
        set_webhook_active(engine, paused.id, False)
        _emit(engine, "order-1", "points.earned")
        _emit(engine, "order-2", "points.spent")
        assert Dispatcher(engine).run_once(T0)["delivered"] == 1
    [(headers, _body, _status)] = receiver.requests
    assert headers["X-Loyalist-Event"] == "points.spent"
    with pytest.raises(NotFoundError):
        set_webhook_active(engine, "wh_nope", True)
    with pytest.raises(InputError):
        add_webhook(engine, "ftp://example.com", ["*"])
    with pytest.raises(InputError):
        add_webhook(engine, receiver.url, [" "])
    assert [h.id for h in list_webhooks(engine)] == [spent.id, paused.id]


def test_unreachable_endpoint_is_retried_and_secret_never_logged(engine, caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: connections are refused
    add_webhook(engine, f"http://127.0.0.1:{port}/hook", ["*"], secret=SECRET)
    _emit(engine, "order-1")
    dispatcher = Dispatcher(engine)
    with caplog.at_level(logging.DEBUG):
        assert dispatcher.run_once(T0)["retrying"] == 1
    [row] = dispatcher.log()
    assert row["status_code"] is None and "refused" in row["error"].lower()
    assert SECRET not in caplog.text and SECRET not in json.dumps(row, default=str)
    assert SECRET not in repr(list_webhooks(engine))


def test_concurrent_dispatchers_deliver_each_event_once(engine):
    with Receiver() as receiver:
        add_webhook(engine, receiver.url, ["*"], secret=SECRET)
        for i in range(20):
            _emit(engine, f"order-{i}")
        dispatchers = [Dispatcher(engine, batch=5) for _ in range(3)]
        threads = [threading.Thread(target=d.run_once, args=(T0,)) for d in dispatchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    ids = [h["X-Loyalist-Event-Id"] for h, _b, _s in receiver.requests]
    assert len(ids) == 20 and len(set(ids)) == 20
