"""The compose pane in headless Chromium with a fake Office: build, check, preview, Insert."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import save_screenshot

pytestmark = pytest.mark.browser

NOTES = (
    "Maria: 'New clinics wait six weeks before their first patient is booked. We need that "
    "under four weeks before the summer intake, so by the end of June.' Ops team re-keys every "
    "clinic record by hand into three systems. Jordan (CFO) signs anything over $50k."
)
NEW_MAIL = {"host": "Outlook", "mode": "compose", "composeType": "newMail",
            "conversationId": None, "conversationAfterSave": "AAQkADconv-new-1="}


def answer_all_yes(page):
    for key in ("outcome_fit", "impact", "decision_access", "plan_readiness"):
        page.click(f"label[for='q-{key}-yes']")


def fill_plan(page):
    """The minimum a real seller types: customer, outcome, a decision maker, a KPI."""
    page.fill("#org", "Northwind Health")
    page.fill("#outcome", "Cut the time from signed contract to first booked patient to under "
                          "four weeks for new clinics.")
    page.fill("#challenges", "Every clinic record is re-keyed by hand into three systems.")
    page.fill("#impact", "Onboarding under four weeks for every new clinic.")
    page.click("#add-kpi")
    page.fill("#kpis-0-name", "Days from signed contract to first booked patient")
    page.fill("#kpis-0-baseline", "42 days")
    page.fill("#kpis-0-target", "under 28 days")
    page.click("#add-stakeholder")
    page.fill("#stakeholders-0-name", "Jordan Reyes")
    page.fill("#stakeholders-0-title", "CFO")
    page.select_option("#stakeholders-0-role", "decision_maker")


def build_timeline(page, date="2027-06-30"):
    page.fill("#value-date", date)
    page.click("#build-timeline")
    expect(page.locator("#milestones > li").nth(4)).to_be_visible()


def wait_for_check(page, name: str, level: str):
    check = page.locator(f"#checks li[data-check='{name}']")
    expect(check).to_have_class(re.compile(rf"\b{level}\b"), timeout=10000)


def wait_for_saved(page, text):
    expect(page.locator("#saved")).to_have_text(text, timeout=10000)


def office(page) -> dict:
    return page.evaluate("window.__office")


def test_qualification_no_shows_the_advice_and_yes_hides_it(open_pane):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    advice = page.locator("#advice-decision_access")
    assert advice.is_hidden()
    page.click("label[for='q-decision_access-no']")
    assert advice.is_visible()
    assert "who signs off" in advice.inner_text()
    page.click("label[for='q-decision_access-yes']")
    assert advice.is_hidden()


def test_notes_offer_the_customers_words_and_a_click_puts_them_in_the_field(open_pane):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    page.fill("#notes", NOTES)
    page.focus("#outcome")
    page.click("#suggest-button")
    chip = page.locator("#suggestions .chip", has_text="under four weeks").first
    chip.wait_for()
    chip.click()
    assert "We need that under four weeks" in page.input_value("#outcome")


def test_timeline_is_built_from_the_date_then_edited_reordered_and_trimmed(open_pane):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    build_timeline(page)
    names = page.eval_on_selector_all("#milestones .title-input", "els => els.map(e => e.value)")
    assert names[-1] == "Value realized"
    assert page.input_value(f"#milestones-{len(names) - 1}-date") == "2027-06-30"
    page.fill("#milestones-0-name", "Kickoff with Riverside")
    page.click("#milestones li:nth-child(1) [data-act='down']")
    moved = page.eval_on_selector_all("#milestones .title-input", "els => els.map(e => e.value)")
    assert moved[:2] == [names[1], "Kickoff with Riverside"]
    page.click("#milestones li:nth-child(2) [data-act='delete']")
    left = page.eval_on_selector_all("#milestones .title-input", "els => els.map(e => e.value)")
    assert "Kickoff with Riverside" not in left and len(left) == len(names) - 1
    page.click("#add-milestone")
    assert page.locator("#milestones > li").count() == len(names)
    assert page.evaluate("document.activeElement.id") == f"milestones-{len(names) - 1}-name"


def test_a_flagged_check_links_to_its_field_and_fixing_it_turns_it_ok(open_pane):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    answer_all_yes(page)
    fill_plan(page)
    build_timeline(page)
    wait_for_check(page, "accountable", "fail")
    page.click("#checks li[data-check='accountable'] button.msg")
    assert page.evaluate("document.activeElement.id") == "meeting-date"
    page.fill("#meeting-date", "2027-01-11")
    page.fill("#meeting-purpose", "Kickoff: pilot scope and data access")
    wait_for_check(page, "accountable", "ok")


def test_preview_shows_the_exact_email_in_a_sandboxed_phone_frame(open_pane, live_server):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    fill_plan(page)
    build_timeline(page)
    expect(page.locator("#preview")).to_have_attribute(
        "srcdoc", re.compile("Northwind Health"), timeout=10000)
    frame = page.locator("#preview")
    assert frame.get_attribute("sandbox") == ""
    assert frame.get_attribute("width") == "375"
    subject = page.inner_text("#preview-subject")
    assert subject and "Fill in" not in subject
    no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_scroll, "the pane scrolls sideways at 320 px"


def test_insert_sets_subject_and_body_and_stores_version_1_linked_to_the_conversation(
        open_pane, live_server):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    answer_all_yes(page)
    page.fill("#notes", NOTES)
    fill_plan(page)
    build_timeline(page)
    page.select_option("#milestones-0-owner", "customer")
    page.click("#milestones li:nth-child(1) summary")
    page.select_option("#milestones-0-status", "at_risk")
    page.fill("#meeting-date", "2027-01-11")
    wait_for_check(page, "accountable", "ok")
    page.click("#insert")
    wait_for_saved(page, "Inserted version 1")

    api = live_server.api
    plans = api.get("/api/plans?thread=outlook:AAQkADconv-new-1=").get_json()
    assert len(plans) == 1 and plans[0]["version"] == 1 and plans[0]["sent_version"] == 1
    email = api.get(f"/api/plans/{plans[0]['id']}/email").get_json()
    received = office(page)
    assert received["subject"] == email["subject"]
    assert [i["how"] for i in received["inserted"]] == ["cursor"]  # a new message: at the cursor
    assert received["inserted"][0]["html"] == email["html"]
    assert received["inserted"][0]["coercion"] == "html"
    assert f"MAP-{plans[0]['id']}" in received["inserted"][0]["html"]
    stored = api.get(f"/api/plans/{plans[0]['id']}").get_json()
    assert stored["plan"]["customer"]["organization"] == "Northwind Health"
    assert stored["plan"]["qualification"] == {
        "outcome_fit": True, "impact": True, "decision_access": True, "plan_readiness": True}
    assert stored["plan"]["seller"]["email"] == "dana@brightpath.example"
    first = stored["plan"]["milestones"][0]
    assert (first["owner"], first["status"]) == ("customer", "at_risk")
    versions = api.get(f"/api/plans/{plans[0]['id']}/versions").get_json()
    assert [v["version"] for v in versions] == [1]


def test_insert_in_a_reply_goes_above_the_quoted_history(open_pane, live_server):
    seed = {**NEW_MAIL, "composeType": "reply", "conversationId": "AAQkADreply-2=",
            "itemId": "AAMkADreplydraft="}
    page = open_pane("/taskpane/compose", seed)
    assert page.locator("#resend-offer").is_hidden()  # no plan in this conversation yet
    fill_plan(page)
    build_timeline(page)
    page.click("#insert")
    wait_for_saved(page, "Inserted version 1")
    assert [i["how"] for i in office(page)["inserted"]] == ["prepend"]
    plans = live_server.api.get("/api/plans?thread=outlook:AAQkADreply-2=").get_json()
    assert len(plans) == 1


def test_a_failure_is_a_plain_sentence_from_the_server(open_pane):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    page.fill("#value-date", "2020-01-31")
    page.click("#build-timeline")
    expect(page.locator("#error")).to_have_text(
        "/value_realized is in the past: pick a future date.")
    assert page.locator("#milestones > li").count() == 0


def test_every_control_has_a_label_and_buttons_are_buttons(open_pane):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    fill_plan(page)
    build_timeline(page)
    unlabeled = page.evaluate(
        "Array.from(document.querySelectorAll('input, select, textarea, iframe'))"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')"
        " && !e.title && e.type !== 'hidden').map(e => e.id || e.outerHTML.slice(0, 60))")
    assert unlabeled == []
    clickable = page.evaluate(
        "Array.from(document.querySelectorAll('[onclick], a[href=\"#\"]')).length")
    assert clickable == 0
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "BUTTON")


def test_the_draft_survives_closing_the_pane_without_making_versions(open_pane, live_server):
    page = open_pane("/taskpane/compose", NEW_MAIL)
    page.fill("#notes", NOTES)
    page.fill("#org", "Northwind Health")
    wait_for_saved(page, "Draft saved")
    key = office(page)["props"]["mapDraftKey"]
    page.context.close()

    reopened = open_pane("/taskpane/compose", {**NEW_MAIL, "props": {"mapDraftKey": key}})
    assert reopened.input_value("#notes") == NOTES
    assert reopened.input_value("#org") == "Northwind Health"
    assert reopened.inner_text("#saved") == "Draft restored"
    assert live_server.api.get("/api/plans").get_json() == []


def test_outside_office_the_pane_works_and_insert_copies_the_email(open_pane, live_server):
    page = open_pane("/taskpane/compose", {"host": None})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    assert page.locator("#preview-mode").is_visible()
    assert page.inner_text("#insert") == "Copy email"
    fill_plan(page)
    build_timeline(page)
    page.click("#insert")
    wait_for_saved(page, re.compile("^Copied version 1"))
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Northwind Health" in copied
    assert len(live_server.api.get("/api/plans").get_json()) == 1


def test_screenshot_of_the_compose_pane(open_pane, tmp_path):
    page = open_pane("/taskpane/compose", NEW_MAIL, height=1200)
    answer_all_yes(page)
    page.fill("#notes", NOTES)
    fill_plan(page)
    page.fill("#title", "Faster clinic onboarding")
    page.fill("#summary", "Thank you for the time on Tuesday. You told us new clinics wait six "
                          "weeks before their first patient is booked; we agreed a pilot first.")
    build_timeline(page)
    page.click("#milestones li:nth-child(2) summary")
    page.fill("#milestones-1-this_means", "your team onboards one clinic end to end")
    page.fill("#milestones-1-as_a_result", "you see the onboarding time before you commit")
    wait_for_check(page, "accountable", "fail")
    expect(page.locator("#preview")).to_have_attribute("srcdoc", re.compile("Northwind"))
    # The part a seller looks at most: the check, each finding linked, and the phone preview.
    page.evaluate("window.scrollTo(0, document.getElementById('h-check').offsetTop - 60)")
    page.wait_for_timeout(300)
    assert save_screenshot(page, "pane-compose.png", tmp_path).stat().st_size > 10_000
    assert page.viewport_size["width"] == 320
