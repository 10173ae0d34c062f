"""Dashboard and API latency, and report generation time, on ~1M customers / 10M orders.

Run: ``.venv/bin/python benchmarks/dashboard_latency.py [--orders 10000000 --requests 40]``.
``--no-report`` skips the report timings; ``--workspace DIR`` keeps the built workspace in DIR
and reuses it when it already has a CLV fit (saves building 10M orders on every run).
Builds the synthetic shop of ``segments_speed.py``, starts ``loyalist serve`` (open access on
127.0.0.1) in a child process and requests the main pages; prints the first (cold) request and
p50/p95 over the following ones (warm: segments come from the per-process cache), including /clv,
/metrics and the CLV API after ``loyalist clv fit``. Then times the report on the same workspace
and on the CDNOW demo. Only the standard library talks HTTP (urllib), so no client is needed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from segments_speed import make_workspace  # noqa: E402

from loyalist.data.derived import refresh_workspace  # noqa: E402
from loyalist.demo import run_demo  # noqa: E402
from loyalist.report import build_report  # noqa: E402
from loyalist.store.workspace import Workspace  # noqa: E402

PAGES = ["/", "/customers?segment=At+risk", "/customers/c12345", "/clv",
         "/clv/customers?min_clv=10&max_clv=25", "/metrics?name=churn", "/api/v1/clv/customers",
         "/api/v1/segments/rfm", "/api/v1/segments/rfm/customers?r=5&f=5",
         "/api/v1/customers/c12345"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, seconds: float = 60.0) -> None:
    """Poll the health endpoint until the server answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/api/v1/health", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"server at {base} did not start")


def load() -> str:
    """The 1/5/15-minute load averages (the machine is shared: timings are noisy)."""
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def build(path: Path, orders: int, customers: int) -> None:
    """The synthetic shop with a stored CLV fit (reused when ``path`` already holds one)."""
    if (path / "clv-fitted").exists():
        print(f"reusing the workspace in {path}")
        return
    make_workspace(path, orders, customers)
    t0 = time.perf_counter()  # what the first command after an import does
    refresh_workspace(Workspace(path))
    print(f"stored per-customer tables: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()  # /clv and /api/v1/clv read the stored fit
    subprocess.run([sys.executable, "-m", "loyalist.cli", "-w", str(path), "clv",
                    "fit"], check=True, stdout=subprocess.DEVNULL)
    print(f"clv fit, {customers:,} customers: {time.perf_counter() - t0:.1f} s")
    (path / "clv-fitted").touch()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--no-report", action="store_true", help="time the pages only")
    parser.add_argument("--workspace", type=Path, help="build into (or reuse) this directory")
    args = parser.parse_args()
    tmp = args.workspace or Path(tempfile.mkdtemp(prefix="loyalist-dash-bench-"))
    server = None
    try:
        build(tmp, args.orders, args.customers)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "loyalist.cli", "-w", str(tmp), "serve",
                                   "--open", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        print(f"{'page':<46}{'cold ms':>9}{'p50 ms':>9}{'p95 ms':>9}  {load()}")
        for page in PAGES:
            times = []
            for _ in range(args.requests + 1):
                t0 = time.perf_counter()
                with urllib.request.urlopen(base + page, timeout=300) as response:
                    response.read()
                    assert response.status == 200, page
                times.append((time.perf_counter() - t0) * 1000)
            warm = statistics.quantiles(times[1:], n=20)
            print(f"{page:<46}{times[0]:>9.0f}{warm[9]:>9.0f}{warm[18]:>9.0f}  {load()}")
        server.terminate()
        server.wait()
        server = None
        if args.no_report:
            return
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
        if args.workspace is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
