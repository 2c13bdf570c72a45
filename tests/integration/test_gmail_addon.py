"""The Gmail add-on endpoints with real-shaped events: compose, clicks, insert, and reply tracking.

The Gmail API calls run the real google-api-python-client (through GmailMailbox) against canned
HTTP (HttpMockSequence); every card in every response goes through the google-apps-card protos.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.parse

import pytest
from googleapiclient.http import HttpMockSequence

from addin_server.mailboxes.gmail import GmailMailbox
from tests.support.gmail_events import (
    MESSAGE_HEX,
    THREAD_HEX,
    all_text,
    button_parameters,
    cards_of,
    compose_gmail,
    event,
    find_button,
    message_gmail,
    parse_card,
    submitted,
)
from tests.support.mail_clients import gmail_reply, sent_plan_email


class RecordingHttp(HttpMockSequence):
    """HttpMockSequence that also keeps what was asked (uri, method, headers, body)."""

    def __init__(self, responses):
        super().__init__(responses)
        self.calls = []

    def request(self, uri, method="GET", body=None, headers=None, redirections=1,
                connection_type=None):
        self.calls.append({"uri": uri, "method": method, "headers": dict(headers or {}),
                           "body": body})
        return super().request(uri, method, body, headers, redirections, connection_type)


@pytest.fixture
def gmail_api(app):
    """Install canned Gmail API answers: gmail_api([...bodies...]) -> the recording http."""

    def install(bodies: list):
        http = RecordingHttp([({"status": "200"}, json.dumps(b)) for b in bodies])
        app.extensions["addin"].mailboxes["gmail"] = (
            lambda token, message_token=None: GmailMailbox(token, message_token=message_token,
                                                           http=http))
        return http

    return install


def post(client, path: str, body: dict) -> dict:
    """POST an event; the answer must be 200 and every card in it must parse."""
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    for card in cards_of(answer):
        parse_card(card)
    return answer


def click(client, card: dict, button_text: str, *, gmail: dict | None = None,
          overrides: dict | None = None) -> dict:
    """Press a button of a card, sending the card's inputs as Gmail would."""
    button = find_button(card, button_text)
    action = button["onClick"]["action"]
    assert action["function"] == "https://addin.example/gmail/action"
    texts, dates = submitted(card, overrides)
    return post(client, "/gmail/action", event(parameters=button_parameters(button), texts=texts,
                                               dates=dates, gmail=gmail))


def only_card(answer: dict) -> dict:
    found = cards_of(answer)
    assert len(found) == 1, answer
    return found[0]


def draft_markup(answer: dict) -> dict:
    return answer["renderActions"]["hostAppAction"]["gmailAction"]["updateDraftActionMarkup"]


def raw_b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


# -- homepage and compose -------------------------------------------------------------------------


def test_homepage_pushes_a_card_listing_the_sellers_plans(client, examples):
    created = client.post("/api/plans", json=examples["plan-onboarding"]).get_json()
    answer = post(client, "/gmail/homepage", event())
    card = answer["action"]["navigations"][0]["pushCard"]
    assert f"MAP-{created['id']} · v1" in all_text(card)


def walk_to_timeline(client, future: dt.date) -> dict:
    """Compose → qualify → basics → KPIs → stakeholders → timeline proposed from a date."""
    card = only_card(post(client, "/gmail/compose", event(gmail=compose_gmail())))
    assert "Before you start" in [s.get("header") for s in card["sections"]]
    card = only_card(click(client, card, "Continue to the plan", overrides={
        "q.outcome_fit": "yes", "q.impact": "yes", "q.decision_access": "no",
        "q.plan_readiness": "yes"}))
    assert "page 1 of" in card["header"]["subtitle"]
    card = only_card(click(client, card, "Next", overrides={
        "f.customer.organization": "Contoso Ltd", "f.customer.country": "US",
        "f.desired_outcome": "Cut onboarding from six weeks to four.",
        "f.challenges": "Manual re-keying\nSpreadsheets"}))
    card = only_card(click(client, card, "Next", overrides={
        "kpis.0.name": "Days to first booking", "kpis.0.baseline": "42", "kpis.0.target": "28"}))
    card = only_card(click(client, card, "Next", overrides={
        "stakeholders.0.name": "Maria Lopez", "stakeholders.0.email": "maria@contoso.example",
        "stakeholders.0.title": "VP Operations", "stakeholders.0.role": "champion"}))
    assert "Reverse timeline" in [s.get("header") for s in card["sections"]]
    answer = click(client, card, "Propose the timeline", overrides={"value_realized": future})
    assert "milestones proposed" in answer["renderActions"]["action"]["notification"]["text"]
    return only_card(answer)


def test_compose_walks_from_qualification_to_insert_with_the_draft_action(client):
    future = dt.date.today() + dt.timedelta(days=240)
    card = walk_to_timeline(client, future)
    pickers = [w["dateTimePicker"] for s in card["sections"] for w in s["widgets"]
               if "dateTimePicker" in w and w["dateTimePicker"]["name"].endswith(".date")]
    assert pickers and all(p["type"] == "DATE_ONLY" and p["valueMsEpoch"] for p in pickers)

    checks = only_card(click(client, card, "Check quality"))
    assert "Quality check" in [s.get("header") for s in checks["sections"]]
    assert "Ask your contact who signs off" in all_text(checks)  # decision_access was "no"

    preview = only_card(click(client, checks, "Preview"))
    assert "Contoso Ltd" in all_text(preview)

    answer = click(client, preview, "Insert into the email")
    markup = draft_markup(answer)
    plans = client.get("/api/plans").get_json()
    assert len(plans) == 1 and plans[0]["version"] == 1
    email = client.get(f"/api/plans/{plans[0]['id']}/email").get_json()
    assert markup["updateSubject"] == {"subject": email["subject"]}
    assert markup["updateBody"] == {
        "insertContents": [{"content": email["html"], "contentType": "MUTABLE_HTML"}],
        "type": "IN_PLACE_INSERT"}
    assert markup["updateToRecipients"] == {"toRecipients": [{"email": "maria@contoso.example"}]}
    stored = client.get(f"/api/plans/{plans[0]['id']}").get_json()["plan"]
    assert stored["milestones"][-1]["date"] <= future.isoformat()
    assert stored["qualification"]["decision_access"] is False
    assert stored["impact"]["kpis"] == [{"name": "Days to first booking", "baseline": "42",
                                         "target": "28"}]

    # Insert again after an edit: the same plan gets version 2, no second plan.
    again = click(client, preview, "Insert into the email")
    assert draft_markup(again)["updateBody"]["type"] == "IN_PLACE_INSERT"
    plans = client.get("/api/plans").get_json()
    assert [(p["id"], p["version"]) for p in plans] == [(plans[0]["id"], 2)]


def test_milestone_dates_edited_in_the_pickers_are_stored(client):
    future = dt.date.today() + dt.timedelta(days=240)
    card = walk_to_timeline(client, future)
    moved = future - dt.timedelta(days=3)
    answer = click(client, card, "Insert into the email", overrides={
        "milestones.0.date": moved, "milestones.0.name": "Kickoff with IT"})
    assert "updateDraftActionMarkup" in answer["renderActions"]["hostAppAction"]["gmailAction"]
    plan_id = client.get("/api/plans").get_json()[0]["id"]
    milestones = client.get(f"/api/plans/{plan_id}").get_json()["plan"]["milestones"]
    assert {"name": "Kickoff with IT", "date": moved.isoformat()}.items() <= {
        k: v for m in milestones for k, v in m.items() if m["name"] == "Kickoff with IT"}.items()


def test_insert_of_an_incomplete_plan_names_the_field_and_stores_nothing(client):
    card = only_card(post(client, "/gmail/compose", event(gmail=compose_gmail())))
    card = only_card(click(client, card, "Continue to the plan"))
    answer = click(client, card, "Insert into the email",
                   overrides={"f.customer.organization": "Contoso Ltd"})
    fix = only_card(answer)
    assert "Fix this first" in all_text(fix)
    assert "/desired_outcome" in all_text(fix)
    assert client.get("/api/plans").get_json() == []


def test_insert_in_a_reply_links_the_thread_and_keeps_the_subject(client, examples):
    gmail = compose_gmail(thread=True, to=["someone@contoso.example"])
    card = only_card(post(client, "/gmail/compose", event(gmail=gmail)))
    plan = examples["plan-onboarding"]
    card = only_card(click(client, card, "Continue to the plan", gmail=gmail))
    overrides = {"f.customer.organization": plan["customer"]["organization"],
                 "f.desired_outcome": plan["desired_outcome"],
                 "milestones.0.name": "Go-live", "milestones.0.date": dt.date(2027, 3, 1)}
    card = only_card(click(client, card, "Next", gmail=gmail, overrides=overrides))
    while "Timeline" not in card["header"]["subtitle"]:
        card = only_card(click(client, card, "Next", gmail=gmail))
    answer = click(client, card, "Insert into the email", gmail=gmail, overrides=overrides)
    markup = draft_markup(answer)
    assert "updateSubject" not in markup  # "Re: ..." stays, or Gmail would split the thread
    assert markup["updateToRecipients"] == {"toRecipients": [{"email": "someone@contoso.example"}]}
    linked = client.get(f"/api/plans?thread=gmail:{THREAD_HEX}").get_json()
    assert len(linked) == 1 and linked[0]["sent_version"] == 1

    # Composing in that thread again offers the updated plan.
    card = only_card(post(client, "/gmail/compose", event(gmail=gmail)))
    answer = click(client, card, "Insert the updated plan", gmail=gmail)
    assert f"MAP-{linked[0]['id']}" in draft_markup(answer)["updateBody"]["insertContents"][0][
        "content"]


def test_unknown_action_is_a_400_naming_the_parameter(client):
    response = client.post("/gmail/action", json=event(parameters={"action": "explode"}))
    assert response.status_code == 400
    assert response.get_json()["field"] == "commonEventObject.parameters.action"


def test_malformed_event_is_a_400_not_a_500(client):
    response = client.post("/gmail/message", json={"gmail": {"threadId": "thread-f:x1"}})
    assert response.status_code == 400
    assert response.get_json()["field"] == "gmail.threadId"
    assert client.post("/gmail/homepage", data="not json").status_code == 400


# -- contextual: the open message -----------------------------------------------------------------


def linked_plan_with_reply(client, examples, *, link: bool = True):
    created = client.post("/api/plans", json=examples["plan-onboarding"]).get_json()
    if link:
        client.post(f"/api/plans/{created['id']}/threads",
                    json={"provider": "gmail", "thread_id": THREAD_HEX})
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    raw = gmail_reply(sent, "Small change from our side, see the go-live date below.",
                      edit=lambda s: s.replace("Mon, Mar 22, 2027", "April 12"))
    return created, raw


def thread_answers(raw: bytes) -> list[dict]:
    """threads.get (minimal) then messages.get (raw) for a one-message thread."""
    stub = {"id": MESSAGE_HEX, "threadId": THREAD_HEX, "labelIds": ["INBOX"],
            "internalDate": "1799000000000"}
    return [{"id": THREAD_HEX, "messages": [stub]},
            {**stub, "raw": raw_b64(raw)}]


def test_customer_edit_in_the_thread_becomes_a_proposal_and_accept_makes_version_2(
        client, examples, gmail_api):
    created, raw = linked_plan_with_reply(client, examples)
    http = gmail_api(thread_answers(raw) + [{"id": THREAD_HEX, "messages": [
        {"id": MESSAGE_HEX, "threadId": THREAD_HEX, "internalDate": "1799000000000"}]}])

    answer = post(client, "/gmail/message", event(gmail=message_gmail()))
    card = answer["action"]["navigations"][0]["pushCard"]
    text = all_text(card)
    assert "NEW · Change request" in text
    assert "Maria Lopez" in text
    assert "2027-03-22 → <b>2027-04-12</b>" in text
    assert "Go-live · date" in text

    # The Gmail API was asked with hex ids and the add-on's message token.
    first = http.calls[0]
    assert f"/threads/{THREAD_HEX}" in first["uri"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(first["uri"]).query)["format"] == [
        "minimal"]
    assert first["headers"]["X-Goog-Gmail-Access-Token"] == "AKs-message-token"
    assert first["headers"]["authorization"] == "Bearer ya29.user-oauth-token"
    assert f"/messages/{MESSAGE_HEX}" in http.calls[1]["uri"]

    accepted = click(client, card, "Accept", gmail=message_gmail())
    assert accepted["renderActions"]["action"]["notification"]["text"] == (
        "Accepted: version 2.")
    plan = client.get(f"/api/plans/{created['id']}").get_json()
    assert plan["version"] == 2
    assert plan["plan"]["milestones"][4]["date"] == "2027-04-12"
    after = only_card(accepted)
    assert "Accepted (version 2)" in all_text(after)
    assert "Version 2: customer reply" in all_text(after)

    # Opening the message again reads the thread but downloads nothing already ingested.
    again = post(client, "/gmail/message", event(gmail=message_gmail()))
    assert "NEW ·" not in all_text(cards_of(again)[0])
    assert len(http.calls) == 3


def test_reject_keeps_the_plan_and_shows_the_decision(client, examples, gmail_api):
    created, raw = linked_plan_with_reply(client, examples)
    gmail_api(thread_answers(raw))
    card = cards_of(post(client, "/gmail/message", event(gmail=message_gmail())))[0]
    rejected = click(client, card, "Reject", gmail=message_gmail())
    assert rejected["renderActions"]["action"]["notification"]["text"] == "Rejected."
    assert "Rejected" in all_text(only_card(rejected))
    assert client.get(f"/api/plans/{created['id']}").get_json()["version"] == 1


def test_plan_reference_in_the_quoted_footer_finds_and_links_an_unlinked_thread(
        client, examples, gmail_api):
    created, raw = linked_plan_with_reply(client, examples, link=False)
    http = gmail_api(thread_answers(raw))
    card = cards_of(post(client, "/gmail/message", event(gmail=message_gmail())))[0]
    assert len(http.calls) == 2  # the thread is downloaded once, for the lookup and the sync
    assert f"MAP-{created['id']}" in all_text(card)
    assert "NEW · Change request" in all_text(card)
    linked = client.get(f"/api/plans?thread=gmail:{THREAD_HEX}").get_json()
    assert [p["id"] for p in linked] == [created["id"]]


def test_another_sellers_plan_reference_shows_no_plan(client, examples, gmail_api):
    _created, raw = linked_plan_with_reply(client, examples, link=False)
    gmail_api(thread_answers(raw))
    other = client.post("/gmail/message", json=event(gmail=message_gmail()),
                        headers={"X-Dev-User": "someone.else@example.com"})
    assert other.status_code == 200
    card = cards_of(other.get_json())[0]
    parse_card(card)
    assert "No plan belongs to this conversation" in all_text(card)


def test_gmail_failure_still_shows_the_plan_with_a_note(client, examples, app):
    created, _raw = linked_plan_with_reply(client, examples)
    http = RecordingHttp([({"status": "401"}, json.dumps({"error": {"code": 401}}))])
    app.extensions["addin"].mailboxes["gmail"] = (
        lambda token, message_token=None: GmailMailbox(token, message_token=message_token,
                                                       http=http))
    card = cards_of(post(client, "/gmail/message", event(gmail=message_gmail())))[0]
    assert f"MAP-{created['id']}" in all_text(card)
    assert "Could not read new replies" in all_text(card)


def test_resend_shows_what_changed_and_creates_a_reply_draft(client, examples, gmail_api):
    created, raw = linked_plan_with_reply(client, examples)
    gmail_api(thread_answers(raw))
    card = cards_of(post(client, "/gmail/message", event(gmail=message_gmail())))[0]
    card = only_card(click(client, card, "Accept", gmail=message_gmail()))
    resend = only_card(click(client, card, "Resend the updated plan", gmail=message_gmail()))
    assert "What changed since version 1" in [s.get("header") for s in resend["sections"]]
    assert "2027-04-12" in all_text(resend)
    original_headers = [{"name": "Message-ID", "value": "<reply-1@mail.gmail.com>"},
                        {"name": "Subject", "value": "Re: plan"},
                        {"name": "From", "value": "Maria <maria.lopez@northwind-health.example>"}]
    http = gmail_api([
        {"id": MESSAGE_HEX, "threadId": THREAD_HEX, "payload": {"headers": original_headers}},
        {"emailAddress": "dana@brightpath.example"},
        {"id": "r-5551", "message": {"id": "m-draft", "threadId": THREAD_HEX}},
    ])
    answer = click(client, resend, "Put it in a reply draft", gmail=message_gmail())
    assert answer == {"renderActions": {"hostAppAction": {"gmailAction": {
        "openCreatedDraftActionMarkup": {"draftId": "r-5551", "draftThreadId": THREAD_HEX}}}}}
    created_draft = json.loads(http.calls[-1]["body"])
    assert http.calls[-1]["uri"].split("?")[0].endswith("/drafts")
    assert created_draft["message"]["threadId"] == THREAD_HEX
    mime = base64.urlsafe_b64decode(created_draft["message"]["raw"]).decode("utf-8", "replace")
    assert "In-Reply-To: <reply-1@mail.gmail.com>" in mime


def test_version_history_shows_the_changes_of_a_version(client, examples, gmail_api):
    created, raw = linked_plan_with_reply(client, examples)
    gmail_api(thread_answers(raw))
    card = cards_of(post(client, "/gmail/message", event(gmail=message_gmail())))[0]
    card = only_card(click(client, card, "Accept", gmail=message_gmail()))
    diff = only_card(click(client, card, "Changes", gmail=message_gmail()))
    assert "2027-03-22 → <b>2027-04-12</b>" in all_text(diff)
    assert diff["header"]["title"] == "Version 2"


def test_a_new_message_after_insert_starts_a_new_plan_and_offers_the_last_one(client):
    future = dt.date.today() + dt.timedelta(days=240)
    card = walk_to_timeline(client, future)
    click(client, card, "Insert into the email")
    first = client.get("/api/plans").get_json()[0]

    card = only_card(post(client, "/gmail/compose", event(gmail=compose_gmail())))
    assert f"MAP-{first['id']}" in all_text(card)
    assert "Contoso Ltd" not in str(card)  # the form starts empty
    edit = only_card(click(client, card, "Edit that plan instead"))
    assert "Contoso Ltd" in str(edit)  # the stored plan, loaded into the form
    answer = click(client, edit, "Insert into the email")
    assert "updateDraftActionMarkup" in answer["renderActions"]["hostAppAction"]["gmailAction"]
    plans = client.get("/api/plans").get_json()
    assert [(p["id"], p["version"]) for p in plans] == [(first["id"], 2)]
