"""The read pane in headless Chromium with a fake Office: a reply thread, Accept, Resend."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import save_screenshot
from tests.support.mail_clients import outlook_reply, sent_plan_email

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
CONVERSATION = "AAQkADreadconv-1="


@pytest.fixture
def onboarding():
    import json

    path = SHARED / "examples" / "plan-onboarding.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found")
    return json.loads(path.read_text("utf-8"))


def sent_plan(live_server, plan) -> tuple[dict, object]:
    """The plan as Insert leaves it: version 1, linked to the conversation, sent."""
    api = live_server.api
    created = api.post("/api/plans", json=plan).get_json()
    linked = api.post(f"/api/plans/{created['id']}/threads",
                      json={"provider": "outlook", "thread_id": CONVERSATION})
    assert linked.status_code == 201
    return created, sent_plan_email(created["plan"], plan_id=created["id"], version=1)


def date_edit_reply(sent) -> bytes:
    """Maria answers from Outlook and types a new go-live date into the quoted plan."""
    return outlook_reply(sent, "Small change from our side, see the go-live date below.",
                         edit=lambda s: s.replace("Mon, Mar 22, 2027", "April 12"))


def read_seed(raw: bytes, **extra) -> dict:
    return {"host": "Outlook", "mode": "read", "conversationId": CONVERSATION,
            "itemId": "AAMkADreply-1=", "emlBase64": base64.b64encode(raw).decode(), **extra}


def compose_reply_seed() -> dict:
    return {"host": "Outlook", "mode": "compose", "composeType": "reply",
            "conversationId": CONVERSATION, "itemId": None}


def test_a_customer_date_edit_shows_as_a_proposal_and_accept_makes_version_2(
        open_pane, live_server, onboarding):
    created, sent = sent_plan(live_server, onboarding)
    page = open_pane("/taskpane/read", read_seed(date_edit_reply(sent)))

    assert page.inner_text("#plan-ref") == f"MAP-{created['id']}"
    reply = page.locator("#replies li.reply").first
    expect(reply).to_contain_text("Maria Lopez")
    expect(reply).to_contain_text("Small change from our side")
    expect(reply.locator(".badge")).to_have_text("Change request")
    proposal = page.locator("#proposals li.proposal").first
    expect(proposal).to_contain_text("Go-live")
    expect(proposal.locator("del")).to_have_text("22 Mar 2027")
    expect(proposal.locator("ins")).to_have_text("12 Apr 2027")
    expect(proposal.locator(".evidence")).to_contain_text("April 12")
    assert ["getAsFileAsync"] in page.evaluate("window.__office.calls")  # the MIME fallback

    proposal.get_by_role("button", name=re.compile("^Accept")).click()
    expect(page.locator("#plan-version")).to_contain_text("Version 2")
    expect(page.locator("#proposals li.proposal").first).to_contain_text("Accepted in version 2")
    stored = live_server.api.get(f"/api/plans/{created['id']}").get_json()
    assert stored["version"] == 2
    go_live = [m for m in stored["plan"]["milestones"] if m["kind"] == "go_live"][0]
    assert go_live["date"] == "2027-04-12"

    page.click("#compare")
    redline = page.locator("#redline li").first
    expect(redline.locator("del")).to_have_text("22 Mar 2027")
    expect(redline.locator("ins")).to_have_text("12 Apr 2027")
    expect(page.locator("#slips")).to_contain_text("Go-live")
    expect(page.locator("#versions li")).to_have_count(2)


def test_reject_keeps_the_plan_as_it_was(open_pane, live_server, onboarding):
    created, sent = sent_plan(live_server, onboarding)
    page = open_pane("/taskpane/read", read_seed(date_edit_reply(sent)))
    proposal = page.locator("#proposals li.proposal").first
    proposal.get_by_role("button", name=re.compile("^Reject")).click()
    expect(page.locator("#proposals li.proposal").first.locator(".badge")).to_have_text("Rejected")
    assert live_server.api.get(f"/api/plans/{created['id']}").get_json()["version"] == 1


def test_the_plan_is_found_by_its_reference_when_the_conversation_is_not_linked(
        open_pane, live_server, onboarding):
    created = live_server.api.post("/api/plans", json=onboarding).get_json()
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    seed = read_seed(date_edit_reply(sent), conversationId="AAQkADother=",
                     bodyText=f"Thanks!\n> {sent.text}")
    page = open_pane("/taskpane/read", seed)
    assert page.inner_text("#plan-ref") == f"MAP-{created['id']}"


def test_a_written_confirmation_shows_who_confirmed_which_version(open_pane, live_server,
                                                                  onboarding):
    _created, sent = sent_plan(live_server, onboarding)
    raw = outlook_reply(sent, "Looks good to us, confirmed. Let's go ahead with this plan.")
    page = open_pane("/taskpane/read", read_seed(raw))
    confirmation = page.locator("#confirmations li").first
    expect(confirmation).to_contain_text("Maria Lopez")
    expect(confirmation).to_contain_text("confirmed version 1")


def test_resend_in_a_reply_inserts_the_update_with_what_changed_above_the_quote(
        open_pane, live_server, onboarding):
    created, sent = sent_plan(live_server, onboarding)
    api = live_server.api
    ingested = api.post(f"/api/plans/{created['id']}/messages", data=date_edit_reply(sent),
                        content_type="message/rfc822").get_json()
    proposal_id = ingested["proposals"][0]["id"]
    assert api.post(f"/api/plans/{created['id']}/proposals/{proposal_id}/accept").status_code == 200

    page = open_pane("/taskpane/compose", compose_reply_seed())
    offer = page.locator("#resend-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text(f"MAP-{created['id']}, version 2")
    page.click("#resend-button")
    expect(page.locator("#saved")).to_have_text(
        "Inserted version 2 with changes since version 1", timeout=10000)
    received = page.evaluate("window.__office")
    assert [i["how"] for i in received["inserted"]] == ["prepend"]  # above the quoted history
    html = received["inserted"][0]["html"]
    assert "What changed since version 1" in html
    assert "Go-live" in html and "Apr 12, 2027" in html
    assert received["subject"] and f"MAP-{created['id']}" in html
    assert api.get(f"/api/plans/{created['id']}").get_json()["sent_version"] == 2


def test_resend_from_the_read_pane_opens_a_reply_with_the_update(open_pane, live_server,
                                                                 onboarding):
    created, sent = sent_plan(live_server, onboarding)
    page = open_pane("/taskpane/read", read_seed(date_edit_reply(sent)))
    page.locator("#proposals li.proposal").first.get_by_role(
        "button", name=re.compile("^Accept")).click()
    expect(page.locator("#plan-version")).to_contain_text("Version 2")
    page.click("#resend")
    expect(page.locator("#sync-note")).to_have_text("Opened a reply with version 2.")
    forms = page.evaluate("window.__office.replyForms")
    assert len(forms) == 1 and "What changed since version 1" in forms[0]


def test_screenshot_of_the_read_pane(open_pane, live_server, onboarding, tmp_path):
    _created, sent = sent_plan(live_server, onboarding)
    page = open_pane("/taskpane/read", read_seed(date_edit_reply(sent)), height=960)
    expect(page.locator("#proposals li.proposal")).to_have_count(1)
    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll, "the read pane scrolls sideways at 320 px"
    assert save_screenshot(page, "pane-read.png", tmp_path).stat().st_size > 10_000
