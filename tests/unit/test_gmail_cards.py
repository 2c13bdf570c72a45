"""Gmail add-on cards, form pages and events: every card passes the google-apps-card protos."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from addin_server.errors import BadRequest
from addin_server.gmail import cards, form
from addin_server.gmail.cards import Ctx
from addin_server.gmail.events import hex_id, ms_to_date, parse_event
from addin_server.mailtext.render import render_email
from addin_server.plans.checks import run_checks
from addin_server.plans.model import normalize
from tests.support.gmail_events import (
    all_text,
    button_parameters,
    event,
    find_button,
    input_names,
    parse_card,
    widgets,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TODAY = dt.date(2026, 12, 4)
CTX = Ctx(action_url="https://addin.example/gmail/action", key="gmail:demo@localhost")


def example(name: str) -> dict:
    path = SHARED / "examples" / f"{name}.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found")
    return json.loads(path.read_text("utf-8"))


def long_plan(milestones: int = 40, stakeholders: int = 25, kpis: int = 12) -> dict:
    """A plan far longer than one card can hold."""
    start = dt.date(2027, 1, 4)
    return normalize({
        "customer": {"organization": "Contoso Ltd", "country": "US"},
        "desired_outcome": "Cut onboarding from six weeks to four.",
        "impact": {"statement": "Faster onboarding",
                   "kpis": [{"name": f"KPI {i}", "baseline": "6", "target": "4"}
                            for i in range(kpis)]},
        "stakeholders": [{"name": f"Person {i}", "email": f"p{i}@contoso.example",
                          "side": "customer" if i % 3 else "seller", "role": "influencer"}
                         for i in range(stakeholders)],
        "milestones": [{"name": f"Step {i}", "kind": "custom", "owner": "joint",
                        "date": (start + dt.timedelta(days=7 * i)).isoformat(),
                        "this_means": "we learn", "as_a_result": "we decide"}
                       for i in range(milestones)],
    })


def assert_within_limits(card: dict) -> None:
    assert len(card["sections"]) <= 100
    assert all(len(section["widgets"]) <= 100 for section in card["sections"])


# -- every card through the protos ----------------------------------------------------------------


def test_homepage_card_lists_plans_and_parses():
    plans = [{"id": "ABCDEFGH", "title": "Faster onboarding <b>", "version": 2,
              "status": "sent"}]
    card = cards.homepage_card(CTX, plans)
    parse_card(card)
    assert "Faster onboarding &lt;b&gt;" in all_text(card)
    assert button_parameters(find_button(card, "Open")) == {
        "action": "show_plan", "key": CTX.key, "plan_id": "ABCDEFGH"}
    parse_card(cards.homepage_card(CTX, []))


def test_qualification_card_shows_what_to_do_for_each_no():
    draft = {"plan": {"qualification": {"outcome_fit": True, "impact": False,
                                        "decision_access": False, "plan_readiness": None}}}
    card = cards.qualification_card(CTX, draft)
    parse_card(card)
    text = all_text(card)
    assert text.count("If not: what to do") == 2
    assert "Ask what the problem costs them today" in text
    assert "Ask your contact who signs off" in text
    selected = {w["selectionInput"]["name"]: [i["value"] for i in w["selectionInput"]["items"]
                                              if i["selected"]]
                for w in widgets(card) if "selectionInput" in w}
    assert selected == {"q.outcome_fit": ["yes"], "q.impact": ["no"],
                        "q.decision_access": ["no"], "q.plan_readiness": ["unknown"]}


def test_qualification_card_in_a_plan_thread_offers_the_updated_plan():
    linked = {"id": "ABCDEFGH", "title": "Plan", "version": 3}
    card = cards.qualification_card(CTX, form.new_draft(), linked)
    parse_card(card)
    assert button_parameters(find_button(card, "Insert the updated plan"))["action"] == (
        "insert_update")


def test_every_page_of_a_long_plan_parses_and_stays_within_the_limits():
    draft = {**form.new_draft(), "plan": long_plan()}
    pages = form.pages(draft)
    assert pages[0] == "basics" and pages[-1] == "closing"
    assert [p for p in pages if p.startswith("milestones.")] == [
        "milestones.0", "milestones.8", "milestones.16", "milestones.24", "milestones.32"]
    seen_inputs = set()
    for page in pages:
        card = cards.plan_page_card(CTX, draft, page)
        parse_card(card)
        assert_within_limits(card)
        seen_inputs.update(input_names(card))
    # Every milestone and stakeholder of the long plan is editable on some page.
    assert {f"milestones.{i}.date" for i in range(40)} <= seen_inputs
    assert {f"stakeholders.{i}.email" for i in range(25)} <= seen_inputs


def test_next_and_back_walk_the_pages_in_order():
    draft = {**form.new_draft(), "plan": long_plan(milestones=10, stakeholders=2, kpis=1)}
    pages = form.pages(draft)
    card = cards.plan_page_card(CTX, draft, "milestones.0")
    nxt = button_parameters(find_button(card, "Next"))
    back = button_parameters(find_button(card, "Back"))
    at = pages.index("milestones.0")
    assert (nxt["to"], back["to"]) == (pages[at + 1], pages[at - 1])
    assert nxt["page"] == "milestones.0"
    first = cards.plan_page_card(CTX, draft, "basics")
    assert button_parameters(find_button(first, "Back"))["to"] == "qualification"


def test_dates_are_date_only_pickers_holding_midnight_utc():
    draft = {**form.new_draft(), "plan": long_plan(milestones=1, stakeholders=1, kpis=1)}
    card = cards.plan_page_card(CTX, draft, "milestones.0")
    pickers = {w["dateTimePicker"]["name"]: w["dateTimePicker"] for w in widgets(card)
               if "dateTimePicker" in w}
    assert pickers["milestones.0.date"]["type"] == "DATE_ONLY"
    value = int(pickers["milestones.0.date"]["valueMsEpoch"])
    assert ms_to_date(value, "x") == dt.date(2027, 1, 4)
    owners = [w["selectionInput"] for w in widgets(card)
              if w.get("selectionInput", {}).get("name") == "milestones.0.owner"]
    assert owners[0]["type"] == "DROPDOWN"
    assert [i["value"] for i in owners[0]["items"]] == ["customer", "seller", "joint"]


def test_checks_preview_tracking_diff_and_resend_cards_parse():
    plan = example("plan-weak")
    checks = run_checks(plan, TODAY)
    parse_card(cards.checks_card(CTX, checks, "basics"))
    parse_card(cards.checks_card(CTX, {"qualification": checks["qualification"]}, "basics",
                                 error={"message": "/milestones is required.",
                                        "field": "/milestones"}))
    email = render_email(normalize(example("plan-onboarding")), plan_id="ABCDEFGH", version=1)
    parse_card(cards.preview_card(CTX, email, "closing", "A summary <draft>"))
    resend = {**email, "version": 2, "since": 1, "changes_since": [
        {"path": "/milestones/1/date", "old": "2027-01-18", "new": "2027-01-25",
         "label": "Trial date"}]}
    card = cards.resend_card(CTX, "ABCDEFGH", resend, can_draft=True)
    parse_card(card)
    assert "What changed since version 1" in [s.get("header") for s in card["sections"]]
    parse_card(cards.resend_card(CTX, "ABCDEFGH", resend, can_draft=False))
    parse_card(cards.diff_card(CTX, "ABCDEFGH", {"from": 1, "to": 2,
                                                "changes": resend["changes_since"]}))
    parse_card(cards.message_card("Title", "Something <odd> happened", CTX, back="page"))


def tracking_inputs():
    plan = {"id": "ABCDEFGH", "title": "Faster onboarding", "version": 2, "status": "sent",
            "open_proposals": 1,
            "confirmations": [{"who": "maria@customer.example", "name": "Maria",
                               "confirmed_at": "2026-12-03T10:00:00Z", "version": 1,
                               "message": 1}]}
    reply = {"from": "maria@customer.example", "from_name": "Maria Lopez",
             "sent_at": "2026-12-03T10:00:00Z", "subject": "Re: Plan",
             "text": "Trial should start <later>.", "intent": "change_request",
             "from_customer": True, "seen_version": 1, "questions": ["Can IT join?"]}
    proposals = [
        {"id": 7, "path": "/milestones/1/date", "old": "2027-01-18", "new": "2027-01-25",
         "label": "Trial date", "evidence": "move the trial to the 25th", "status": "open",
         "result_version": None},
        {"id": 8, "path": "/milestones/2/name", "old": "A", "new": "B", "label": "Name",
         "evidence": "", "status": "accepted", "result_version": 2},
    ]
    messages = [{"id": 1, "message_id": "<m1@x>", "reply": reply, "proposals": proposals}]
    versions = [{"version": 1, "created_at": "2026-12-01T09:00:00Z", "author": "me",
                 "source": "seller_edit", "sent_at": "2026-12-01T09:01:00Z"},
                {"version": 2, "created_at": "2026-12-03T11:00:00Z", "author": "maria",
                 "source": "customer_reply", "sent_at": None}]
    return plan, messages, versions


def test_tracking_card_shows_reply_intent_proposals_confirmation_and_history():
    plan, messages, versions = tracking_inputs()
    card = cards.tracking_card(CTX, plan, messages, versions, new_ids={1}, sync_note="1 new reply.")
    parse_card(card)
    text = all_text(card)
    assert "NEW · Change request" in text
    assert "Trial should start &lt;later&gt;." in text
    assert "2027-01-18 → <b>2027-01-25</b>" in text
    assert "Maria confirmed version 1" in text
    assert "Version 2: customer reply" in text
    accept = button_parameters(find_button(card, "Accept"))
    assert accept == {"action": "decide", "key": CTX.key, "plan_id": "ABCDEFGH",
                      "proposal_id": "7", "accept": "1"}
    assert button_parameters(find_button(card, "Reject"))["accept"] == "0"
    assert "Accepted (version 2)" in text


# -- response wrappers ----------------------------------------------------------------------------


def test_insert_answers_with_update_draft_action_markup():
    response = cards.update_draft("Plan: Contoso", "<div>plan</div>", ["a@contoso.example"])
    assert response == {"renderActions": {"hostAppAction": {"gmailAction": {
        "updateDraftActionMarkup": {
            "updateBody": {"insertContents": [{"content": "<div>plan</div>",
                                               "contentType": "MUTABLE_HTML"}],
                           "type": "IN_PLACE_INSERT"},
            "updateSubject": {"subject": "Plan: Contoso"},
            "updateToRecipients": {"toRecipients": [{"email": "a@contoso.example"}]},
        }}}}}
    reply = cards.update_draft(None, "<div>x</div>", [])
    markup = reply["renderActions"]["hostAppAction"]["gmailAction"]["updateDraftActionMarkup"]
    assert set(markup) == {"updateBody"}


def test_trigger_click_and_toast_wrappers_have_the_documented_shapes():
    built = cards.message_card("T", "x")
    assert cards.push_card(built) == {"action": {"navigations": [{"pushCard": built}]}}
    assert cards.update_card(built) == {
        "renderActions": {"action": {"navigations": [{"updateCard": built}]}}}
    assert cards.notification("Saved") == {
        "renderActions": {"action": {"notification": {"text": "Saved"}}}}
    assert cards.update_card(built, "Saved")["renderActions"]["action"]["notification"] == {
        "text": "Saved"}


# -- the form: merging inputs into the draft ------------------------------------------------------


def test_a_page_round_trips_through_its_form_inputs():
    draft = {**form.new_draft(), "plan": long_plan(milestones=3, stakeholders=2, kpis=1)}
    texts = {"milestones.1.name": "Security review", "milestones.1.kind": "evaluation",
             "milestones.1.owner": "customer", "milestones.1.status": "at_risk",
             "milestones.0.name": "Step 0", "milestones.0.kind": "custom",
             "milestones.0.owner": "joint", "milestones.2.name": "",
             "milestones.2.kind": "custom", "milestones.2.owner": "joint"}
    dates = {"milestones.0.date": "2027-02-01", "milestones.1.date": "2027-02-15",
             "milestones.2.date": "2027-03-01"}
    merged = form.merge_page(draft, "milestones.0", parse_event(event(texts=texts, dates=dates)))
    rows = merged["plan"]["milestones"]
    assert rows[1]["name"] == "Security review"
    assert rows[1]["date"] == "2027-02-15"
    assert rows[1]["owner"] == "customer" and rows[1]["status"] == "at_risk"
    assert "this_means" not in rows[1]  # cleared inputs are cleared in the draft
    document = form.plan_document(merged)
    assert [m["name"] for m in document["milestones"]] == ["Step 0", "Security review"]
    normalize(document)


def test_basics_page_lines_become_lists_and_blanks_are_removed():
    draft = form.new_draft()
    texts = {"f.customer.organization": "Contoso", "f.desired_outcome": "Go faster",
             "f.challenges": "Manual re-keying\n\n  Spreadsheets  \n", "f.language": "de",
             "f.summary": ""}
    merged = form.merge_page(draft, "basics", parse_event(event(texts=texts)))
    plan = merged["plan"]
    assert plan["customer"] == {"organization": "Contoso"}
    assert plan["challenges"] == ["Manual re-keying", "Spreadsheets"]
    assert plan["language"] == "de"
    assert "summary" not in plan


def test_a_blank_first_row_becomes_a_row_once_named():
    draft = form.new_draft()
    texts = {"stakeholders.0.name": "Maria", "stakeholders.0.email": "maria@c.example",
             "stakeholders.0.side": "customer", "stakeholders.0.role": "champion"}
    merged = form.merge_page(draft, "stakeholders.0", parse_event(event(texts=texts)))
    assert merged["plan"]["stakeholders"] == [
        {"side": "customer", "role": "champion", "name": "Maria", "email": "maria@c.example"}]
    assert form.customer_emails(merged["plan"], ["maria@c.example", "x@y.example"]) == [
        "maria@c.example", "x@y.example"]


def test_qualification_answers_are_read_as_yes_no_or_unknown():
    texts = {"q.outcome_fit": "yes", "q.impact": "no", "q.decision_access": "unknown"}
    merged = form.merge_qualification(form.new_draft(), parse_event(event(texts=texts)))
    assert merged["plan"]["qualification"] == {"outcome_fit": True, "impact": False,
                                               "decision_access": None, "plan_readiness": None}


# -- events ---------------------------------------------------------------------------------------


def test_msg_f_ids_become_the_gmail_api_hex_ids():
    assert hex_id("msg-f:1788123456789012345", "x") == format(1788123456789012345, "x")
    assert hex_id("thread-f:17", "x") == "11"
    assert hex_id("18C2F0A1B2C3D4E5", "x") == "18c2f0a1b2c3d4e5"
    assert hex_id(None, "x") is None


@pytest.mark.parametrize("body, field", [
    ([], ""),
    ({"commonEventObject": []}, "commonEventObject"),
    ({"gmail": {"messageId": "msg-f:abc"}}, "gmail.messageId"),
    ({"gmail": {"threadId": "../../etc"}}, "gmail.threadId"),
    ({"commonEventObject": {"parameters": {"action": 3}}}, "commonEventObject.parameters.action"),
    ({"commonEventObject": {"formInputs": {"d": {"dateInput": {"msSinceEpoch": "soon"}}}}},
     "commonEventObject.formInputs.d.dateInput.msSinceEpoch"),
    ({"commonEventObject": {"formInputs": {"t": {"stringInputs": {"value": "x"}}}}},
     "commonEventObject.formInputs.t"),
])
def test_malformed_events_are_refused_naming_the_field(body, field):
    with pytest.raises(BadRequest) as caught:
        parse_event(body)
    assert caught.value.field == field


def test_event_reads_parameters_texts_dates_and_tokens():
    parsed = parse_event(event(parameters={"action": "insert", "page": "closing"},
                               texts={"f.title": "  Plan  "}, dates={"f.next_meeting.date":
                                                                     "2027-01-15"},
                               gmail={"threadId": "thread-f:255", "accessToken": "AK",
                                      "toRecipients": ["a@b.example"]}))
    assert parsed.action == "insert" and parsed.param("page") == "closing"
    assert parsed.text("f.title") == "Plan"
    assert parsed.dates["f.next_meeting.date"] == dt.date(2027, 1, 15)
    assert parsed.thread_id == "ff" and parsed.gmail_token == "AK"
    assert parsed.to_recipients == ["a@b.example"]
    assert parsed.user_oauth_token == "ya29.user-oauth-token"


def test_a_long_history_stays_within_the_card_limits():
    plan, messages, versions = tracking_inputs()
    proposal = messages[0]["proposals"][0]
    many = [{**messages[0], "id": i, "proposals": [{**proposal, "id": i * 100 + j}
                                                    for j in range(60)]}
            for i in range(40)]
    plan = {**plan, "confirmations": plan["confirmations"] * 30}
    versions = [{**versions[1], "version": n} for n in range(1, 80)]
    card = cards.tracking_card(CTX, plan, many, versions)
    parse_card(card)
    assert_within_limits(card)
    assert "Resend the updated plan" in all_text(card)
