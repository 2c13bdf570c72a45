"""The onboarding email in headless Chromium at phone (375 px) and desktop (600 px) widths.

Screenshots go to pytest's tmp dir; with ADDIN_WRITE_SCREENSHOTS=1 they are also
written to docs/img/email-375.png and docs/img/email-600.png (the README shows them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from addin_server.mailtext.render import render_email, timeline_line

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DOCS_IMG = ROOT / "docs" / "img"

pytestmark = pytest.mark.browser


def load_onboarding() -> dict:
    path = SHARED / "examples" / "plan-onboarding.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found")
    return json.loads(path.read_text("utf-8"))


def as_page(fragment: str) -> str:
    """The body fragment inside the bare page a webmail client gives it."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body style="margin:0">{fragment}</body></html>'
    )


@pytest.fixture(scope="module")
def browser(chromium_browser):
    """The e2e Chromium (skipped, or failed in CI, when it is absent)."""
    return chromium_browser


def open_email(browser, html: str, width: int):
    """A page at the given viewport width showing the email; it may load nothing from outside."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.set_content(as_page(html), wait_until="load")
    return page, requests


@pytest.mark.parametrize("width", [375, 600])
def test_onboarding_email_fits_the_screen_and_is_saved_as_a_screenshot(browser, width, tmp_path):
    plan = load_onboarding()
    email = render_email(plan, plan_id="7F3K", version=3)
    page, requests = open_email(browser, email["html"], width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        card = page.locator("table").first.bounding_box()
        assert card["width"] <= 600
        lines = [ln.strip() for ln in page.evaluate("document.body.innerText").splitlines()]
        for milestone in plan["milestones"]:
            assert timeline_line(plan, milestone) in lines
        assert "Plan ref MAP-7F3K · v3" in lines
        assert requests == []
        shot = tmp_path / f"email-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("ADDIN_WRITE_SCREENSHOTS") == "1":
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_IMG / f"email-{width}.png"), full_page=True)
    finally:
        page.close()


def test_long_unbroken_text_does_not_overflow_a_phone_screen(browser):
    plan = load_onboarding()
    long_word = "https://northwind-health.example/" + "x" * 300
    plan["summary"] = f"See {long_word} for details."
    plan["customer"]["organization"] = "Northwind" + "H" * 120
    plan["milestones"][0]["name"] = "Kickoff" + "K" * 150
    email = render_email(plan, plan_id="7F3K", version=1)
    page, _ = open_email(browser, email["html"], 375)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        page.close()
