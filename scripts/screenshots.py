"""Screenshots of the report and the dashboard for the README (``make screenshots``).

Loads the Online Retail demo into a temporary workspace, writes the report, serves the dashboard
on 127.0.0.1 and photographs each page with Debian's Chromium into docs/images/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loyalist.api import create_app  # noqa: E402
from loyalist.config import Settings  # noqa: E402
from loyalist.demo import run_demo  # noqa: E402
from tests.support.browser import chromium, live_server  # noqa: E402

OUT = ROOT / "docs" / "images"


def main() -> None:
    """Write every screenshot."""
    work = Path(tempfile.mkdtemp(prefix="loyalist-shots-")) / "online-retail"
    _, report = run_demo("online-retail", work)
    app = create_app(Settings(workspace=work), open_access=True)
    with chromium() as browser, live_server(app) as url:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        shots = [
            ("report.png", report.as_uri()),
            ("dashboard-overview.png", url + "/"),
            ("dashboard-drilldown.png", url + "/customers?segment=At+risk"),
            ("dashboard-customer.png", url + "/customers/14646"),
        ]
        for name, target in shots:
            page.goto(target)
            page.screenshot(path=str(OUT / name), full_page=True)
            print(OUT / name)


if __name__ == "__main__":
    main()
