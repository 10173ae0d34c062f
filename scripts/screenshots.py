"""Screenshots of the report and the dashboard for the README (``make screenshots``).

Loads the Online Retail demo into a temporary workspace, fits CLV (``loyalist clv fit``), writes
the report, serves the dashboard on 127.0.0.1 and photographs each page (and the report's CLV
part) with Debian's Chromium into docs/images/.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loyalist.api import create_app  # noqa: E402
from loyalist.config import Settings  # noqa: E402
from loyalist.demo import run_demo  # noqa: E402
from loyalist.report import build_report  # noqa: E402
from loyalist.store.workspace import Workspace  # noqa: E402
from tests.support.browser import chromium, live_server  # noqa: E402

OUT = ROOT / "docs" / "images"


def main() -> None:
    """Write every screenshot."""
    work = Path(tempfile.mkdtemp(prefix="loyalist-shots-")) / "online-retail"
    run_demo("online-retail", work)
    subprocess.run([sys.executable, "-m", "loyalist.cli", "-w", str(work), "clv", "fit",
                    "--calibration-end", "2011-08-31"], check=True, stdout=subprocess.DEVNULL)
    report = build_report(Workspace(work))  # again, now with the stored CLV model
    app = create_app(Settings(workspace=work), open_access=True)
    with chromium() as browser, live_server(app) as url:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        shots = [
            ("report.png", report.as_uri()),
            ("dashboard-overview.png", url + "/"),
            ("dashboard-drilldown.png", url + "/customers?segment=At+risk"),
            ("dashboard-customer.png", url + "/customers/14646"),
            ("dashboard-clv.png", url + "/clv"),
            ("dashboard-metrics.png", url + "/metrics?name=churn"),
        ]
        for name, target in shots:
            page.goto(target)
            page.screenshot(path=str(OUT / name), full_page=True)
            print(OUT / name)
        page.goto(report.as_uri())  # the report's CLV part, from its first section to the end
        clv = page.locator("section", has=page.get_by_role("heading",
                                                          name="Customer lifetime value"))
        box = clv.first.bounding_box()
        height = page.evaluate("document.body.scrollHeight")
        if box is not None:
            top = box["y"] + page.evaluate("window.scrollY")
            page.screenshot(path=str(OUT / "report-clv.png"), full_page=True,
                            clip={"x": 0, "y": top, "width": 1100,
                                  "height": min(2400, height - top)})
            print(OUT / "report-clv.png")


if __name__ == "__main__":
    main()
