"""Dashboard and API latency, and report generation time, on ~1M customers / 10M orders.

Run: ``.venv/bin/python benchmarks/dashboard_latency.py [--orders 10000000 --requests 40]``.
Builds the synthetic shop of ``segments_speed.py``, starts ``loyalist serve`` (open access on
127.0.0.1) in a child process and requests the main pages; prints the first (cold) request and
p50/p95 over the following ones (warm: segments come from the per-process cache). Then times the
report on the same workspace and on the CDNOW demo.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from segments_speed import make_workspace  # noqa: E402
from survey_load import free_port, wait_until_up  # noqa: E402

from loyalist.demo import run_demo  # noqa: E402
from loyalist.report import build_report  # noqa: E402
from loyalist.store.workspace import Workspace  # noqa: E402

PAGES = ["/", "/customers?segment=At+risk", "/customers/c12345",
         "/api/v1/segments/rfm", "/api/v1/segments/rfm/customers?r=5&f=5",
         "/api/v1/customers/c12345"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="loyalist-dash-bench-"))
    server = None
    try:
        make_workspace(tmp, args.orders, args.customers)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "loyalist.cli", "-w", str(tmp), "serve",
                                   "--open", "--port", str(port)], stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        print(f"{'page':<46}{'cold ms':>9}{'p50 ms':>9}{'p95 ms':>9}")
        with httpx.Client(base_url=base, timeout=120) as client:
            for page in PAGES:
                times = []
                for _ in range(args.requests + 1):
                    t0 = time.perf_counter()
                    response = client.get(page)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (page, response.text[:200])
                warm = statistics.quantiles(times[1:], n=20)
                print(f"{page:<46}{times[0]:>9.0f}{warm[9]:>9.0f}{warm[18]:>9.0f}")
        server.terminate()
        server.wait()
        server = None
        t0 = time.perf_counter()
        build_report(Workspace(tmp), tmp / "report.html")
        print(f"report, {args.orders:,} orders: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        _, cdnow_report = run_demo("cdnow", tmp / "cdnow")
        print(f"report, CDNOW demo (import included): {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        build_report(Workspace(tmp / "cdnow"))
        print(f"report, CDNOW demo (report only): {time.perf_counter() - t0:.1f} s")
    finally:
        if server is not None:
            server.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
