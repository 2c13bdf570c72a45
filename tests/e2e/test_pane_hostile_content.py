"""Hostile content in the panes: every XSS payload shown, none run, none becomes markup."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.support.xss import payloads

pytestmark = pytest.mark.browser
CONVERSATION = "AAQkADhostile="
NEW_MAIL = {"host": "Outlook", "mode": "compose", "composeType": "newMail",
            "conversationId": None, "itemId": "AAMkADhostile="}

# Any dialog or print a payload reaches counts as a script that ran.
TRAP = """
window.__xss = 0;
["alert", "confirm", "prompt", "print"].forEach(function (name) {
  window[name] = function () { window.__xss += 1; };
});
"""
DOM_CHECK = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) found.push(el.tagName + " " + attr.name);
      const url = /href|src|action/i.test(attr.name);
      if (url && /^\\s*(javascript|vbscript|data):/i.test(attr.value))
        found.push(el.tagName + " " + attr.name + "=" + attr.value.slice(0, 40));
    }
    if (["OBJECT", "EMBED", "APPLET", "BASE", "FORM"].includes(el.tagName) && el.id !== "plan-form")
      found.push(el.tagName);
    if (el.tagName === "IFRAME" && el.getAttribute("sandbox") !== "")
      found.push("unsandboxed iframe");
    const ours = [location.origin + "/static/", "https://appsforoffice.microsoft.com/"];
    if (el.tagName === "SCRIPT" && el.src && !ours.some((o) => el.src.startsWith(o)))
      found.push("script " + el.src);
    if (el.tagName === "SCRIPT" && !el.src && el.type !== "application/json")
      found.push("inline script");
  }
  return found;
}"""


def _packed(items: list[str], budget: int, count: int) -> list[str]:
    out, current = [], ""
    for item in items:
        if current and len(current) + len(item) + 1 > budget:
            out.append(current)
            current = ""
        current = f"{current}\n{item}" if current else item
    out.append(current)
    assert len(out) <= count, "the corpus no longer fits the plan's list fields"
    return out


def _hostile_plan(base: dict, every: list[str]) -> dict:
    plan = dict(base)
    packed = _packed(every, 5000, 600)
    plan["challenges"], plan["negotiables"], plan["assumptions"] = (
        packed[:200], packed[200:400], packed[400:600])
    plan["title"] = every[0][:500]
    plan["summary"] = every[1][:5000]
    milestones = []
    for i, milestone in enumerate(base["milestones"]):
        milestones.append({**milestone, "name": every[i + 2][:500], "kpi": every[i + 40][:500],
                           "this_means": every[i + 80], "as_a_result": every[i + 120]})
    plan["milestones"] = milestones
    plan["stakeholders"] = [{**s, "name": every[i + 200][:500], "title": every[i + 300][:500]}
                            for i, s in enumerate(base["stakeholders"])]
    return plan


def _hostile_reply(every: list[str]) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Mallory <mallory@customer.example>"
    message["To"] = "dana@brightpath.example"
    message["Subject"] = "Re: plan"
    message["Message-ID"] = "<hostile-pane@customer.example>"
    message["Date"] = "Mon, 04 Jan 2027 10:00:00 +0000"
    group = every[:400]
    message.set_content("\n".join(group))
    message.add_alternative("<div>" + "<br>".join(group) + "</div>", subtype="html")
    return message.as_bytes()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _assert_nothing_ran(page) -> None:
    page.wait_for_timeout(500)  # let any deferred payload (timers, image errors) fire
    assert page.evaluate("window.__xss") == 0, "a payload ran a dialog"
    assert page.evaluate(DOM_CHECK) == []


def test_every_payload_in_plan_history_and_replies_shows_as_text_in_the_read_pane(
        open_pane, live_server, examples):
    every = payloads()
    api = live_server.api
    created = api.post("/api/plans", json=examples["plan-onboarding"]).get_json()
    api.post(f"/api/plans/{created['id']}/threads",
             json={"provider": "outlook", "thread_id": CONVERSATION})
    hostile = _hostile_plan(created["plan"], every)
    updated = api.put(f"/api/plans/{created['id']}", json=hostile, headers={"If-Match": '"1"'})
    assert updated.status_code == 200, updated.get_json()
    raw = _hostile_reply(every)
    seed = {"host": "Outlook", "mode": "read", "conversationId": CONVERSATION,
            "itemId": "AAMkADhostile=", "emlBase64": base64.b64encode(raw).decode()}
    page = open_pane("/taskpane/read", seed, init=TRAP)
    expect(page.locator("#replies li.reply").first).to_contain_text(every[0][:20])
    page.click("#compare")  # v1 -> v2: every changed field, old and new, in the redline
    expect(page.locator("#redline li").first).to_be_visible()
    shown = _squeeze(page.inner_text("#redline"))
    for payload in (every[2], every[200], hostile["challenges"][0][:200]):
        assert _squeeze(payload)[:60] in shown
    _assert_nothing_ran(page)


def test_every_payload_in_a_restored_draft_shows_as_text_in_the_compose_pane(
        open_pane, live_server, examples):
    every = payloads()
    plan = _hostile_plan(examples["plan-onboarding"], every)
    key = "outlook:hostile-draft"
    saved = live_server.api.put(f"/api/drafts/{key}", json={"plan": plan})
    assert saved.status_code == 200
    page = open_pane("/taskpane/compose", {**NEW_MAIL, "props": {"mapDraftKey": key}},
                     init=TRAP)
    expect(page.locator("#saved")).to_have_text("Draft restored")
    assert page.input_value("#title") == plan["title"]
    _assert_nothing_ran(page)
