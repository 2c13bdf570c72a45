"""Thread sync and resend through the API, with the real clients against loopback providers."""

from __future__ import annotations

import datetime as dt
import email.policy
import logging
from email.parser import BytesParser

import pytest

from addin_server.auth import User
from addin_server.mailboxes.fake import FakeMailbox
from addin_server.services import sync
from tests.support.fake_google import FakeGmail
from tests.support.fake_graph import FakeGraph
from tests.support.mail_clients import (
    auto_reply,
    gmail_reply,
    outlook_reply,
    seller_followup,
    sent_plan_email,
)
from tests.support.mailbox_env import CUSTOMER, SELLER, Sleeps, sent_raw

HEADERS = {"X-Dev-User": SELLER}

pytestmark = pytest.mark.both_databases


@pytest.fixture(autouse=True)
def _every_backend(backend):
    """Run each test on SQLite and, where configured, PostgreSQL."""
    return backend
GO_LIVE_EDIT = {"edit": lambda s: s.replace("Mon, Mar 22, 2027", "April 12")}


@pytest.fixture
def sleeps(app):
    recorder = Sleeps()
    app.extensions["addin"].mailboxes["retry_policy"] = recorder.policy
    return recorder


@pytest.fixture
def gmail(app, sleeps):
    server = FakeGmail(me=SELLER, token="ya29.sync-token")
    app.config["GMAIL_API_URL"] = server.url
    yield server
    server.close()


@pytest.fixture
def graph(app, sleeps, tmp_path):
    server = FakeGraph(tmp_path / "tls", me=SELLER, token="eyJ0.sync-graph-token")
    app.config["GRAPH_URL"] = server.url
    yield server
    server.close()


def _plan(client, examples):
    created = client.post("/api/plans", json=examples["plan-onboarding"], headers=HEADERS)
    assert created.status_code == 201
    body = created.get_json()
    return body, sent_plan_email(body["plan"], plan_id=body["id"], version=1)


def _link(client, plan_id, provider, thread_id):
    response = client.post(f"/api/plans/{plan_id}/threads", headers=HEADERS,
                           json={"provider": provider, "thread_id": thread_id})
    assert response.status_code in (200, 201), response.get_json()


def _gmail_plan_thread(client, examples, gmail):
    created, sent = _plan(client, examples)
    thread_id = gmail.deliver(sent_raw(sent), labels=("SENT",))["threadId"]
    _link(client, created["id"], "gmail", thread_id)
    return created, sent, thread_id


def _sync(client, plan_id, **body):
    return client.post(f"/api/plans/{plan_id}/sync", json=body, headers=HEADERS)


def test_gmail_thread_sync_finds_the_customers_reply_and_its_proposals(client, examples, gmail):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    gmail.deliver(gmail_reply(sent, "Small change from our side, see the go-live date below.",
                              **GO_LIVE_EDIT), thread_id=thread_id)
    response = _sync(client, created["id"], provider="gmail", access_token=gmail.token)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["total"], report["skipped"], len(report["other"])) == (2, 0, 1)
    [reply] = report["new"]
    assert reply["reply"]["from"] == CUSTOMER and reply["reply"]["intent"] == "change_request"
    assert [(p["path"], p["old"], p["new"]) for p in reply["proposals"]] == [
        ("/milestones/4/date", "2027-03-22", "2027-04-12")]
    assert report["other"][0]["reply"]["from_customer"] is False
    messages = client.get(f"/api/plans/{created['id']}/messages", headers=HEADERS).get_json()
    assert len(messages) == 2


def test_syncing_again_ingests_nothing_and_downloads_nothing(client, examples, gmail):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    gmail.deliver(gmail_reply(sent, "Looks good to us."), thread_id=thread_id)
    _sync(client, created["id"], provider="gmail", access_token=gmail.token)
    gmail.state.requests.clear()
    again = _sync(client, created["id"], provider="gmail", access_token=gmail.token).get_json()
    assert (again["new"], again["other"], again["skipped"], again["total"]) == ([], [], 2, 2)
    assert not [r for r in gmail.state.requests if r[2].get("format") == "raw"]


def test_a_later_reply_is_the_only_new_one_on_the_next_sync(client, examples, gmail):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    _sync(client, created["id"], provider="gmail", access_token=gmail.token)
    gmail.deliver(gmail_reply(sent, "Can we push go-live to April 12?"), thread_id=thread_id)
    report = _sync(client, created["id"], provider="gmail", access_token=gmail.token).get_json()
    assert [r["reply"]["from"] for r in report["new"]] == [CUSTOMER]
    assert report["skipped"] == 1


def test_sync_uses_the_linked_thread_when_none_is_given(client, examples, gmail):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    gmail.deliver(gmail_reply(sent, "Confirmed, thanks."), thread_id=thread_id)
    report = _sync(client, created["id"], provider="gmail", access_token=gmail.token).get_json()
    assert report["thread_id"] == thread_id and len(report["new"]) == 1


def test_gmail_sync_after_a_429_waits_for_retry_after(client, examples, gmail, sleeps):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    gmail.deliver(gmail_reply(sent, "Confirmed."), thread_id=thread_id)
    gmail.fail("/messages/", 429, times=1, retry_after="2")
    report = _sync(client, created["id"], provider="gmail", access_token=gmail.token).get_json()
    assert len(report["new"]) == 1
    assert sleeps == [2.0]


def test_expired_gmail_token_answers_sign_in_again(client, examples, gmail, caplog):
    created, _sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    caplog.set_level(logging.DEBUG)
    response = _sync(client, created["id"], provider="gmail", access_token="ya29.expired")
    assert caplog.records and "ya29.expired" not in caplog.text
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "reauth_required" and "Sign in again" in body["message"]
    assert "ya29.expired" not in response.get_data(as_text=True)


def test_a_provider_that_stays_down_answers_502_naming_it(client, examples, gmail, sleeps):
    created, _sent, _thread = _gmail_plan_thread(client, examples, gmail)
    gmail.fail("/threads/", 503, times=20)
    response = _sync(client, created["id"], provider="gmail", access_token=gmail.token)
    assert response.status_code == 502
    assert "Gmail" in response.get_json()["message"]
    assert len(sleeps) == 3


@pytest.mark.parametrize("body, field", [
    ({"provider": "yahoo", "access_token": "t"}, "/provider"),
    ({"provider": "gmail"}, "/access_token"),
    ({"provider": "gmail", "access_token": "t", "colour": "red"}, "/colour"),
    ({"provider": "gmail", "access_token": 5}, "/access_token"),
    ({"provider": "outlook", "thread_id": "AAQkADx"}, "/access_token"),
])
def test_bad_sync_requests_name_the_field(client, examples, gmail, body, field):
    created, _sent, _thread = _gmail_plan_thread(client, examples, gmail)
    response = _sync(client, created["id"], **body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field


def test_a_thread_linked_to_another_plan_is_a_conflict(client, examples, gmail):
    first, _sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    second, _ = _plan(client, examples)
    response = _sync(client, second["id"], provider="gmail", access_token=gmail.token,
                     thread_id=thread_id)
    assert response.status_code == 409
    assert response.get_json()["field"] == "/thread_id"


def test_sync_of_another_users_plan_is_not_found(client, examples, gmail):
    created, _sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    response = client.post(f"/api/plans/{created['id']}/sync",
                           json={"provider": "gmail", "access_token": gmail.token,
                                 "thread_id": thread_id},
                           headers={"X-Dev-User": "someone@else.example"})
    assert response.status_code == 404


def test_outlook_conversation_sync_finds_the_reply_across_pages(client, examples, graph):
    created, sent = _plan(client, examples)
    graph.deliver(sent_raw(sent), "AAQkADconv", folder="sentitems")
    graph.deliver(auto_reply(sent), "AAQkADconv")
    graph.deliver(outlook_reply(sent, "Small change from our side, see the go-live date below.",
                                date=sent.date + dt.timedelta(days=1), **GO_LIVE_EDIT),
                  "AAQkADconv")
    response = _sync(client, created["id"], provider="outlook", thread_id="AAQkADconv",
                     access_token=graph.token)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["total"] == 3
    changes = [r for r in report["new"] if r["reply"]["intent"] == "change_request"]
    assert [(p["path"], p["new"]) for p in changes[0]["proposals"]] == [
        ("/milestones/4/date", "2027-04-12")]
    plans = client.get("/api/plans?thread=outlook:AAQkADconv", headers=HEADERS).get_json()
    assert [p["id"] for p in plans] == [created["id"]]  # sync linked the conversation


def test_outlook_sync_through_on_behalf_of_in_production_style(app, client, examples, graph):
    """No token in the body: the user's API token is exchanged with msal for a Graph token."""
    from flask import g

    app.config.update(MS_CLIENT_ID="11111111-2222-3333-4444-555555555555",
                      MS_CLIENT_SECRET="loopback-secret", MS_AUTHORITY=graph.authority,
                      OUTBOUND_CA_BUNDLE=graph.ca_file)
    graph.state.assertions["api-token-for-dana"] = graph.token

    @app.before_request
    def _signed_in():  # what a verified Entra token yields in production
        g.user = User(id=SELLER, email=SELLER, provider="entra", token="api-token-for-dana")

    created, sent = _plan(client, examples)
    graph.deliver(outlook_reply(sent, "Confirmed, go ahead."), "AAQkADobo")
    report = _sync(client, created["id"], provider="outlook", thread_id="AAQkADobo").get_json()
    assert [r["reply"]["intent"] for r in report["new"]] == ["confirm"]
    assert graph.state.token_requests[-1]["requested_token_use"] == "on_behalf_of"


# resend into the thread --------------------------------------------------------------------


def test_resend_into_gmail_is_a_correctly_threaded_reply(client, examples, gmail):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    gmail.deliver(gmail_reply(sent, "Can we push go-live to April 12?"), thread_id=thread_id)
    report = _sync(client, created["id"], provider="gmail", access_token=gmail.token).get_json()
    proposal = report["new"][0]["proposals"][0]
    client.post(f"/api/plans/{created['id']}/proposals/{proposal['id']}/accept", headers=HEADERS)
    response = client.post(f"/api/plans/{created['id']}/send", headers=HEADERS,
                           json={"provider": "gmail", "access_token": gmail.token})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["sent"], result["version"], result["since"]) == (True, 2, 1)
    stored = gmail.state.messages[result["message_id"]]
    assert stored["threadId"] == thread_id and stored["labelIds"] == ["SENT"]
    mime = BytesParser(policy=email.policy.default).parsebytes(stored["raw"])
    customer = next(m for m in gmail.thread_messages(thread_id)
                    if CUSTOMER in str(m["headers"]["From"]))
    customer_id = str(customer["headers"]["Message-ID"]).strip()
    assert mime["In-Reply-To"].strip() == customer_id
    assert mime["References"].split() == [f"<{sent.message_id}>", customer_id]
    assert mime["Subject"] == f"Re: {sent.subject}"
    assert mime["To"] == CUSTOMER
    assert "April 12, 2027" in mime.get_body(("plain",)).get_content() or \
        "Apr 12, 2027" in mime.get_body(("plain",)).get_content()
    plan = client.get(f"/api/plans/{created['id']}", headers=HEADERS).get_json()
    assert plan["sent_version"] == 2


def test_resend_into_outlook_is_created_updated_and_sent_in_the_conversation(client, examples,
                                                                               graph):
    created, sent = _plan(client, examples)
    graph.deliver(sent_raw(sent), "AAQkADresend", folder="sentitems")
    customer = graph.deliver(outlook_reply(sent, "Any news?"), "AAQkADresend")
    _link(client, created["id"], "outlook", "AAQkADresend")
    response = client.post(f"/api/plans/{created['id']}/send", headers=HEADERS,
                           json={"provider": "outlook", "access_token": graph.token})
    assert response.status_code == 200, response.get_json()
    sent_reply = [m for m in graph.conversation("AAQkADresend") if m["folder"] == "sentitems"
                  and m["subject"].startswith("RE:")]
    assert len(sent_reply) == 1
    mime = BytesParser(policy=email.policy.default).parsebytes(sent_reply[0]["mime"])
    assert mime["In-Reply-To"].strip() == customer["internetMessageId"]
    assert mime["Subject"] == f"RE: {sent.subject}"
    assert "Faster customer onboarding" in sent_reply[0]["body"]["content"]
    assert "divRplyFwdMsg" in sent_reply[0]["body"]["content"]  # history kept below


def test_a_failed_send_leaves_the_last_sent_version_unchanged(client, examples, gmail, sleeps):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    gmail.deliver(gmail_reply(sent, "Can we push go-live to April 12?"), thread_id=thread_id)
    report = _sync(client, created["id"], provider="gmail", access_token=gmail.token).get_json()
    proposal = report["new"][0]["proposals"][0]
    client.post(f"/api/plans/{created['id']}/proposals/{proposal['id']}/accept", headers=HEADERS)
    gmail.fail("/messages/send", 503, times=20)
    response = client.post(f"/api/plans/{created['id']}/send", headers=HEADERS,
                           json={"provider": "gmail", "access_token": gmail.token})
    assert response.status_code == 502
    plan = client.get(f"/api/plans/{created['id']}", headers=HEADERS).get_json()
    assert plan["sent_version"] == 1


def test_draft_mode_creates_a_reply_draft_and_marks_nothing_sent(client, examples, gmail):
    created, sent, thread_id = _gmail_plan_thread(client, examples, gmail)
    gmail.deliver(gmail_reply(sent, "Looks fine."), thread_id=thread_id)
    response = client.post(f"/api/plans/{created['id']}/send", headers=HEADERS,
                           json={"provider": "gmail", "access_token": gmail.token,
                                 "mode": "draft"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["sent"] is False and body["draft_id"] in gmail.state.drafts
    draft = gmail.state.messages[gmail.state.drafts[body["draft_id"]]]
    assert draft["threadId"] == thread_id


# service level, with the in-memory fake ----------------------------------------------------


def test_seller_followups_and_auto_replies_are_reported_apart_from_replies(app, examples):
    addin = app.extensions["addin"]
    from addin_server.services import plans as plan_services

    created = plan_services.create_plan(addin.uow(write=True), SELLER,
                                        examples["plan-onboarding"])
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    mailbox = FakeMailbox(provider="gmail", me=SELLER)
    mailbox.add("t1", sent_raw(sent))
    mailbox.add("t1", seller_followup(sent, "Any thoughts on the plan?"))
    mailbox.add("t1", auto_reply(sent))
    mailbox.add("t1", gmail_reply(sent, "Confirmed, we agree."))
    user = User(id=SELLER, email=SELLER)
    report = sync.sync_thread(addin.uow, user, created["id"], mailbox, "t1")
    assert [r["reply"]["intent"] for r in report["new"]] == ["confirm"]
    assert "auto_reply" in [r["reply"]["intent"] for r in report["other"]]
    assert len(report["other"]) == 3  # the plan email, the seller's follow-up, the auto-reply
    assert report["total"] == 4 and report["errors"] == []
    again = sync.sync_thread(addin.uow, user, created["id"], mailbox, "t1")
    assert (again["new"], again["skipped"]) == ([], 4)
    assert mailbox.downloads == 4
