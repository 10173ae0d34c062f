"""CLI: program validate/apply, member, webhooks add/list/deliver (with the CLI runner)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from typer.testing import CliRunner

from loyalist.cli import app
from loyalist.loyalty.applied import current_program
from loyalist.loyalty.outbox import emit
from loyalist.loyalty.program import EXAMPLE
from loyalist.store.operational import connect_operational, default_url

runner = CliRunner()


def test_validate_names_the_key_path_of_a_problem(tmp_path):
    ok = runner.invoke(app, ["program", "validate", str(EXAMPLE)])
    assert ok.exit_code == 0 and "program example: valid" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: shop\nearning:\n  - {id: buy, kind: order, points: 1.5}\n")
    result = runner.invoke(app, ["program", "validate", str(bad)])
    assert result.exit_code == 2 and "earning[0].points" in result.stderr
    missing = runner.invoke(app, ["program", "validate", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n")
    assert runner.invoke(app, ["program", "validate", str(broken)]).exit_code == 2


def test_apply_makes_the_program_current(tmp_path):
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["-w", str(ws), "program", "apply", str(EXAMPLE)])
    assert result.exit_code == 0 and "version 1" in result.stdout
    again = runner.invoke(app, ["-w", str(ws), "program", "apply", str(EXAMPLE)])
    assert "version 2" in again.stdout
    assert current_program(connect_operational(default_url(ws))).id == "example"


class _Receiver:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_webhooks_add_list_deliver_and_replay(tmp_path):
    ws = tmp_path / "ws"
    receiver = _Receiver()
    try:
        added = runner.invoke(app, ["-w", str(ws), "webhooks", "add", receiver.url,
                                    "--events", "points.earned,points.spent"])
        assert added.exit_code == 0 and "whsec_" in added.stdout
        secret = added.stdout.split("shown once): ")[1].strip()
        listed = runner.invoke(app, ["-w", str(ws), "webhooks", "list", "--format", "json"])
        [hook] = json.loads(listed.stdout)
        assert hook["events"] == "points.earned,points.spent" and secret not in listed.stdout
        engine = connect_operational(default_url(ws))
        with engine.begin() as conn:
            emit(conn, "points.earned", {"member_id": "m1", "points": 5}, key="k1")
        sent = runner.invoke(app, ["-w", str(ws), "webhooks", "deliver"])
        assert sent.exit_code == 0 and "1 delivered" in sent.stdout
        assert json.loads(receiver.bodies[0])["data"] == {"member_id": "m1", "points": 5}
        replay = runner.invoke(app, ["-w", str(ws), "webhooks", "deliver", "--replay", "evt_x"])
        assert replay.exit_code == 2 and "no delivery or event" in replay.stderr
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    bad = runner.invoke(app, ["-w", str(ws), "webhooks", "add", "ftp://x", "--events", "*"])
    assert bad.exit_code == 2


def test_member_shows_balance_tier_and_statement(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["-w", str(ws), "member", "m1"]).exit_code == 2  # no program yet
    runner.invoke(app, ["-w", str(ws), "program", "apply", str(EXAMPLE)])
    from loyalist.loyalty.ledger import Ledger

    ledger = Ledger(connect_operational(default_url(ws)), current_program(
        connect_operational(default_url(ws))))
    ledger.earn("m1", 1200, key="k1", reason="welcome")
    ledger.spend("m1", 200, key="k2")
    shown = runner.invoke(app, ["-w", str(ws), "member", "m1"])
    assert shown.exit_code == 0, shown.output
    assert "1,000 available" in shown.stdout and "tier silver" in shown.stdout
    assert "welcome" in shown.stdout
    data = json.loads(runner.invoke(app, ["-w", str(ws), "member", "m1", "--format",
                                          "json"]).stdout)
    assert [x["points"] for x in data["statement"]] == [1200, -200]
    missing = runner.invoke(app, ["-w", str(ws), "member", "nobody"])
    assert missing.exit_code == 2 and "no member" in missing.stderr


def test_replay_writes_the_workspace_orders_into_the_program_once(tmp_path):
    ws = tmp_path / "ws"
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,customer_id,ordered_at,amount\n"
                      "1,C1,2025-01-05 10:00:00,120.50\n2,,2025-01-06 11:00:00,30\n"
                      "3,C1,2025-02-01 09:00:00,80\n4,C2,2025-02-02 12:00:00,45.99\n")
    assert runner.invoke(app, ["-w", str(ws), "import", "orders", str(orders)]).exit_code == 0
    assert runner.invoke(app, ["-w", str(ws), "program", "replay"]).exit_code == 2  # no program
    runner.invoke(app, ["-w", str(ws), "program", "apply", str(EXAMPLE)])
    first = runner.invoke(app, ["-w", str(ws), "program", "replay", "--batch", "2"])
    assert first.exit_code == 0, first.output
    program = current_program(connect_operational(default_url(ws)))
    from loyalist.loyalty.ledger import Ledger

    ledger = Ledger(connect_operational(default_url(ws)), program)
    earned = sum(r.points for r in ledger.statement("C1") + ledger.statement("C2"))
    assert "replayed 3 orders" in first.stdout and "1 guest" in first.stdout
    assert f"{earned:,} points earned" in first.stdout and earned > 0
    again = runner.invoke(app, ["-w", str(ws), "program", "replay"])
    assert again.exit_code == 0 and "0 points earned" in again.stdout
    assert [x.reference for x in ledger.statement("C1")] == ["1", "3"]
