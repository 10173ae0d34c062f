"""Code run in other threads and processes by the concurrency and fault tests."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from loyalist.loyalty.errors import RedemptionError
from loyalist.loyalty.ledger import Ledger
from loyalist.loyalty.program import parse_program
from loyalist.store.operational import connect_operational

PROGRAM: dict[str, Any] = {
    "id": "race",
    "earning": [{"id": "buy", "kind": "order", "per": "currency_unit", "points": 1}],
    "rewards": [{"id": "mug", "kind": "free_item", "cost": 30, "stock": 12}],
}
AT = dt.datetime(2025, 6, 1)


def ledger_at(url: str) -> Ledger:
    return Ledger(connect_operational(url), parse_program(PROGRAM))


def redeem_some(ledger: Ledger, worker: int, attempts: int) -> list[str]:
    """Alternate reward redemptions and point spends; retry each key once; return accepted."""
    accepted = []
    for i in range(attempts):
        key = f"w{worker}-{i}"
        for _ in range(2):  # the client retries every key: it must count once
            try:
                if i % 2:
                    ledger.redeem("m", "mug", key=key, at=AT)
                else:
                    ledger.spend("m", 70, key=key, at=AT)
            except RedemptionError:
                continue
            if key not in accepted:
                accepted.append(key)
    return accepted


def redeem_process(url: str, worker: int, attempts: int) -> list[str]:
    ledger = ledger_at(url)
    try:
        return redeem_some(ledger, worker, attempts)
    finally:
        ledger.engine.dispose()


def burst_ops(n: int) -> list[tuple[str, str, int]]:
    """A deterministic write burst: (op, key, points)."""
    return [("spend", f"s{i}", 25) if i % 3 == 2 else ("earn", f"e{i}", 10) for i in range(n)]


def run_burst(ledger: Ledger, n: int, report: bool = False) -> None:
    for op, key, points in burst_ops(n):
        try:
            if op == "earn":
                ledger.earn("m", points, key=key, at=AT)
            else:
                ledger.spend("m", points, key=key, at=AT)
        except RedemptionError:
            pass
        if report:
            print(key, flush=True)


if __name__ == "__main__":  # python -m tests.loyalty.workers URL N: the burst to be killed
    run_burst(ledger_at(sys.argv[1]), int(sys.argv[2]), report=True)
