"""Task pane load: time to first render and the bytes each pane loads, in headless Chromium.

    python bench/pane.py [--loads 9]

Serves the real app (dev mode, a temporary SQLite file) on a loopback port, opens each
pane at 320 px in Debian's Chromium (office.js is answered with an empty script, as
outside Office), and prints the median first contentful paint, the median time until the
pane says it is ready (its first data loaded), and the bytes transferred.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from addin_server import create_app  # noqa: E402
from tests.support.browser import ARGS, CHROMIUM  # noqa: E402
from tests.support.loopback import LoopbackServer  # noqa: E402

MEASURE = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const bytes = resources.reduce((sum, r) => sum + (r.transferSize || 0), nav.transferSize || 0);
  const own = resources.filter((r) => r.name.includes("/static/"))
                       .reduce((sum, r) => sum + (r.encodedBodySize || 0), 0);
  return {fcp: paint ? paint.startTime : null, ready: window.__readyAt || performance.now(),
          bytes: bytes, own: own, requests: resources.length + 1};
}"""
READY = """new MutationObserver(() => {
  if (document.body && document.body.dataset.ready === "1" && !window.__readyAt)
    window.__readyAt = performance.now();
}).observe(document, {attributes: true, subtree: true});"""


def measure(browser, url: str, loads: int) -> dict:
    """Median figures over fresh browser contexts (nothing cached between loads)."""
    rows = []
    for _ in range(loads):
        context = browser.new_context(viewport={"width": 320, "height": 900})
        context.route("https://**/*", lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=""))
        context.add_init_script(READY)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        rows.append(page.evaluate(MEASURE))
        context.close()
    return {key: statistics.median(r[key] for r in rows) for key in rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=9)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit("Chromium is missing at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    folder = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/pane.sqlite3"})
    server = LoopbackServer(app)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            print("pane      first paint ms  ready ms  bytes loaded  own JS+CSS bytes  requests")
            for pane in ("compose", "read"):
                r = measure(browser, f"{server.url}/taskpane/{pane}", args.loads)
                print(f"{pane:8s}  {r['fcp']:14.0f}  {r['ready']:8.0f}  {r['bytes']:12,.0f}"
                      f"  {r['own']:16,.0f}  {r['requests']:8.0f}")
            browser.close()
    finally:
        server.close()
        app.extensions["addin"].engine.dispose()


if __name__ == "__main__":
    main()
