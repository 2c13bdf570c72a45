"""The mailbox adapters run the real client libraries against loopback Gmail, Graph and Entra."""

from __future__ import annotations

import datetime as dt
import email.policy
import logging
from email.parser import BytesParser

import pytest

from addin_server.auth.msal_obo import graph_token_on_behalf_of
from addin_server.errors import ReauthRequired, UpstreamError
from addin_server.mailboxes.base import CursorExpired
from addin_server.mailboxes.gmail import GmailMailbox, gmail_id
from addin_server.mailboxes.graph import GraphMailbox
from tests.support.fake_google import FakeGmail
from tests.support.fake_graph import FakeGraph
from tests.support.mail_clients import gmail_reply, outlook_reply, sent_plan_email
from tests.support.mailbox_env import CUSTOMER, SELLER, Sleeps, sent_raw


@pytest.fixture
def gmail():
    server = FakeGmail(me=SELLER, token="ya29.gmail-secret-token")
    yield server
    server.close()


@pytest.fixture
def graph(tmp_path):
    server = FakeGraph(tmp_path / "tls", me=SELLER, token="eyJ0eXAi.graph-secret-token")
    yield server
    server.close()


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def sent(examples):
    return sent_plan_email(examples["plan-onboarding"], plan_id="ABCD2345", version=1)


def _gmail(server, sleeps, **kwargs):
    return GmailMailbox(server.token, api_base=server.url, timeout=5, retry=sleeps.policy(),
                        **kwargs)


def _graph(server, sleeps, token=None):
    return GraphMailbox(token or server.token, base_url=server.url, timeout=5,
                        retry=sleeps.policy())


def _headers(raw: bytes):
    return BytesParser(policy=email.policy.default).parsebytes(raw)


def _gmail_thread(server, sent, replies=1):
    first = server.deliver(sent_raw(sent), labels=("SENT",))
    for number in range(replies):
        server.deliver(gmail_reply(sent, f"Reply number {number + 1}.",
                                   date=sent.date + dt.timedelta(hours=number + 1)),
                       thread_id=first["threadId"])
    return first["threadId"]


# Gmail ------------------------------------------------------------------------------------


def test_gmail_lists_a_thread_as_rfc822_oldest_first_with_sender_and_time(gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent, replies=2)
    messages = _gmail(gmail, sleeps).list_thread(thread_id)
    assert [m.sender for m in messages] == [SELLER, CUSTOMER, CUSTOMER]
    assert messages[0].internet_message_id == f"<{sent.message_id}>"
    assert messages[0].received_at == sent.date
    assert "Reply number 2." in _headers(messages[2].raw).get_body(("plain",)).get_content()
    assert messages[1].received_at < messages[2].received_at


def test_gmail_skips_downloading_messages_it_already_has(gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent, replies=1)
    first = _gmail(gmail, sleeps).list_thread(thread_id)
    gmail.state.requests.clear()
    again = _gmail(gmail, sleeps).list_thread(thread_id, skip_ids={first[0].provider_id})
    raw_gets = [r for r in gmail.state.requests if r[2].get("format") == "raw"]
    assert len(raw_gets) == 1
    assert again[0].raw == b"" and again[1].raw == first[1].raw


def test_gmail_add_on_message_token_travels_in_its_own_header(gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent)
    _gmail(gmail, sleeps, message_token="addon-message-token").list_thread(thread_id)
    assert {r[3] for r in gmail.state.requests} == {"addon-message-token"}


def test_gmail_add_on_ids_are_converted_to_the_api_hex_form():
    assert gmail_id("thread-f:1782910022712233445") == format(1782910022712233445, "x")
    assert gmail_id("18c2f0a1b2c3d4e5") == "18c2f0a1b2c3d4e5"


def test_gmail_waits_as_long_as_retry_after_says_then_succeeds(gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent)
    gmail.fail("/threads/", 429, times=2, retry_after="7")
    messages = _gmail(gmail, sleeps).list_thread(thread_id)
    assert len(messages) == 2
    assert sleeps == [7.0, 7.0]


def test_gmail_backs_off_with_jitter_when_no_retry_after_is_given(gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent)
    gmail.fail("/threads/", 503, times=2)
    _gmail(gmail, sleeps).list_thread(thread_id)
    # base 0.5 s doubling, times the injected jitter factor 0.5
    assert sleeps == [0.25, 0.5]


def test_gmail_gives_up_after_repeated_failures_with_an_upstream_error(gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent)
    gmail.fail("/threads/", 503, times=50)
    with pytest.raises(UpstreamError) as raised:
        _gmail(gmail, sleeps).list_thread(thread_id)
    assert "Gmail" in raised.value.message and "4 attempts" in raised.value.message
    assert len(sleeps) == 3


def test_gmail_expired_token_asks_to_sign_in_again_and_the_token_is_never_logged(
        gmail, sleeps, sent, caplog):
    thread_id = _gmail_thread(gmail, sent)
    gmail.state.tokens.clear()  # the token expired
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ReauthRequired) as raised:
        _gmail(gmail, sleeps).list_thread(thread_id)
    assert "Sign in again" in raised.value.message
    assert gmail.token not in raised.value.message
    assert caplog.records, "the failure should have been logged"
    assert gmail.token not in caplog.text
    assert gmail.token not in repr(raised.value.__context__) + repr(raised.value.__cause__)


def test_gmail_history_follows_every_page_and_returns_the_new_cursor(gmail, sleeps, sent):
    start = gmail.state.history_id
    threads = [_gmail_thread(gmail, sent, replies=1) for _ in range(3)]  # 6 records, 3 pages
    page = _gmail(gmail, sleeps).history(str(start))
    assert page.thread_ids == threads
    assert page.history_id == str(gmail.state.history_id)
    assert len([r for r in gmail.state.requests if r[1].endswith("/history")]) == 3


def test_gmail_history_cursor_too_old_is_reported_as_expired(gmail, sleeps, sent):
    _gmail_thread(gmail, sent)
    gmail.forget_history_before(gmail.state.history_id)
    with pytest.raises(CursorExpired):
        _gmail(gmail, sleeps).history("100")


def test_gmail_reply_goes_into_the_thread_with_in_reply_to_references_and_subject(
        gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent)
    customer = gmail.thread_messages(thread_id)[-1]
    sent_id = _gmail(gmail, sleeps).send_reply(thread_id, customer["id"], "ignored subject",
                                               "<p>Updated plan</p>", "Updated plan")
    message = gmail.state.messages[sent_id]
    assert message["threadId"] == thread_id  # Gmail kept it in the thread
    headers = _headers(message["raw"])
    reply_id = str(customer["headers"]["Message-ID"])
    assert headers["In-Reply-To"] == reply_id
    assert headers["References"].split()[-1] == reply_id
    assert f"<{sent.message_id}>" in headers["References"].split()
    assert headers["Subject"] == f"Re: {sent.subject}"
    assert headers["To"] == CUSTOMER
    assert headers.get_body(("html",)).get_content().strip() == "<p>Updated plan</p>"


def test_gmail_reply_goes_to_everyone_on_the_message_but_me(gmail, sleeps, sent):
    thread_id = gmail.deliver(sent_raw(sent), labels=("SENT",))["threadId"]
    cc = "Jordan Reyes <jordan.reyes@northwind-health.example>"
    gmail.deliver(gmail_reply(sent, "Adding Jordan.", extra_headers={"Cc": cc}),
                  thread_id=thread_id)
    customer = gmail.thread_messages(thread_id)[-1]
    sent_id = _gmail(gmail, sleeps).send_reply(thread_id, customer["id"], "s", "<p>v2</p>", "v2")
    headers = _headers(gmail.state.messages[sent_id]["raw"])
    assert headers["To"] == CUSTOMER
    assert headers["Cc"] == "jordan.reyes@northwind-health.example"  # not the seller herself


def test_gmail_reply_draft_is_created_in_the_thread(gmail, sleeps, sent):
    thread_id = _gmail_thread(gmail, sent)
    customer = gmail.thread_messages(thread_id)[-1]
    draft_id = _gmail(gmail, sleeps).create_reply_draft(thread_id, customer["id"], "s",
                                                        "<p>Plan</p>", "Plan")
    message = gmail.state.messages[gmail.state.drafts[draft_id]]
    assert message["threadId"] == thread_id and message["labelIds"] == ["DRAFT"]
    # a draft is not part of the thread's messages the sync reads
    assert len(_gmail(gmail, sleeps).list_thread(thread_id)) == 2


def test_gmail_watch_returns_the_cursor_and_expiry(gmail, sleeps):
    answer = _gmail(gmail, sleeps).watch("projects/map-addin/topics/gmail")
    assert answer["history_id"] == str(gmail.state.history_id)
    assert answer["expires_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=6)
    assert gmail.state.watches[0]["topicName"] == "projects/map-addin/topics/gmail"


# Graph ------------------------------------------------------------------------------------


def _graph_thread(graph, sent, replies=3):
    graph.deliver(sent_raw(sent), "AAQkADconv1", folder="sentitems")
    for number in range(replies):
        graph.deliver(outlook_reply(sent, f"Answer {number + 1}.",
                                    date=sent.date + dt.timedelta(hours=3 - number)),
                      "AAQkADconv1")
    graph.deliver(sent_raw(sent).replace(b"Message-ID: <", b"Message-ID: <other-"),
                  "AAQkADother")
    return "AAQkADconv1"


def test_graph_lists_a_conversation_across_pages_sorted_locally(graph, sleeps, sent):
    conversation = _graph_thread(graph, sent, replies=3)
    messages = _graph(graph, sleeps).list_thread(conversation)
    assert [m.sender for m in messages] == [SELLER, CUSTOMER, CUSTOMER, CUSTOMER]
    assert [m.received_at for m in messages] == sorted(m.received_at for m in messages)
    assert b"Answer 3." in messages[1].raw  # the newest-dated delivery order was reversed
    pages = [r for r in graph.state.requests if r[1] == "/v1.0/me/messages"]
    assert len(pages) == 2 and all("$orderby" not in r[2] for r in pages)
    assert pages[0][2]["$filter"] == f"conversationId eq '{conversation}'"


def test_graph_waits_as_long_as_retry_after_says_on_429(graph, sleeps, sent):
    conversation = _graph_thread(graph, sent, replies=1)
    graph.fail("/$value", 429, times=1, retry_after="11")
    assert len(_graph(graph, sleeps).list_thread(conversation)) == 2
    assert sleeps == [11.0]


def test_graph_expired_token_asks_to_sign_in_again_and_the_token_is_never_logged(
        graph, sleeps, sent, caplog):
    conversation = _graph_thread(graph, sent, replies=1)
    caplog.set_level(logging.DEBUG)
    token = "eyJ0eXAi.expired-secret-token"
    with pytest.raises(ReauthRequired) as raised:
        _graph(graph, sleeps, token=token).list_thread(conversation)
    assert "Sign in again" in raised.value.message
    assert caplog.records
    assert token not in caplog.text and token not in raised.value.message


def test_graph_reply_is_created_updated_and_sent_into_the_conversation(graph, sleeps, sent):
    conversation = _graph_thread(graph, sent, replies=1)
    customer = graph.conversation(conversation)[-1]
    _graph(graph, sleeps).send_reply(conversation, customer["id"], "s",
                                     "<p>Updated plan v2</p>", "Updated plan v2")
    calls = [(m, p.rsplit("/", 1)[-1]) for m, p, _ in graph.state.requests if m != "GET"]
    assert calls[0] == ("POST", "createReplyAll") and calls[1][0] == "PATCH"
    assert calls[2] == ("POST", "send")
    latest = next(m for m in graph.conversation(conversation) if m["subject"].startswith("RE:"))
    assert latest["folder"] == "sentitems" and latest["isDraft"] is False
    headers = _headers(latest["mime"])
    assert headers["In-Reply-To"].strip() == customer["internetMessageId"]
    assert headers["Subject"] == f"RE: {sent.subject}"
    assert headers["To"] == CUSTOMER
    body = latest["body"]["content"]
    assert body.index("Updated plan v2") < body.index("divRplyFwdMsg")  # above the quote


def test_graph_subscription_is_created_renewed_and_deleted(graph, sleeps):
    mailbox = _graph(graph, sleeps)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    created = mailbox.create_subscription(notification_url="https://addin.example/webhooks/graph",
                                          client_state="s3cret", expires_at=soon)
    stored = graph.state.subscriptions[created["id"]]
    assert stored["clientState"] == "s3cret" and stored["changeType"] == "created"
    later = soon + dt.timedelta(days=1)
    renewed = mailbox.renew_subscription(created["id"], later)
    assert renewed["expires_at"].date() == later.date()
    mailbox.delete_subscription(created["id"])
    assert graph.state.subscriptions == {}


# Microsoft identity platform (msal on-behalf-of) -----------------------------------------


def _ms_config(graph):
    return {"MS_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
            "MS_CLIENT_SECRET": "loopback-secret", "MS_AUTHORITY": graph.authority,
            "MS_TENANT": "contoso-tenant", "OUTBOUND_CA_BUNDLE": graph.ca_file,
            "OUTBOUND_TIMEOUT": 5}


def test_on_behalf_of_exchanges_the_sellers_api_token_for_a_graph_token(graph, sleeps, sent):
    graph.state.assertions["api-token-of-dana"] = graph.token
    token = graph_token_on_behalf_of(_ms_config(graph), "api-token-of-dana")
    assert token == graph.token
    request = graph.state.token_requests[-1]
    assert request["requested_token_use"] == "on_behalf_of"
    assert "https://graph.microsoft.com/Mail.ReadWrite" in request["scope"]
    conversation = _graph_thread(graph, sent, replies=1)
    assert len(_graph(graph, sleeps, token=token).list_thread(conversation)) == 2


def test_on_behalf_of_with_a_refused_assertion_asks_to_sign_in_again(graph, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ReauthRequired):
        graph_token_on_behalf_of(_ms_config(graph), "stale-api-token-value")
    assert "stale-api-token-value" not in caplog.text


def test_a_retry_after_longer_than_the_seller_can_wait_fails_fast_saying_when(gmail, sleeps,
                                                                              sent):
    thread_id = _gmail_thread(gmail, sent)
    gmail.fail("/threads/", 429, times=1, retry_after="90")
    with pytest.raises(UpstreamError) as raised:
        _gmail(gmail, sleeps).list_thread(thread_id)
    assert sleeps == []
    assert "try again in 91 seconds" in raised.value.message


def test_retry_after_may_be_an_http_date():
    from addin_server.mailboxes.retry import parse_retry_after

    now = dt.datetime(2026, 12, 4, 20, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Fri, 04 Dec 2026 20:00:30 GMT", now) == 30.0
    assert parse_retry_after("12", now) == 12.0
    assert parse_retry_after("soon", now) is None
