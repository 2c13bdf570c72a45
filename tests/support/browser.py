"""How the tests and benchmarks start Debian's Chromium: headless, offline-quiet, no sandbox."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium keeps trying to reach Google's
# hosts, which this machine's closed network refuses.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def save_screenshot(page, name: str, tmp_path: Path, **options) -> Path:
    """Screenshot into the test's tmp dir; also into docs/img with ADDIN_WRITE_SCREENSHOTS=1.

    The suite never rewrites the README's pictures unless asked to.
    """
    import os

    shot = tmp_path / name
    page.screenshot(path=str(shot), **options)
    if os.environ.get("ADDIN_WRITE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / name), **options)
    return shot
