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
