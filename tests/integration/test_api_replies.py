"""Replies through the API: ingest, proposals, accept and reject, confirmation, resend."""

from __future__ import annotations

import pytest

from tests.support.mail_clients import (
    apple_mail_reply,
    auto_reply,
    gmail_reply,
    outlook_reply,
    plain_reply,
    seller_followup,
    sent_plan_email,
)

pytestmark = pytest.mark.both_databases


def _sent_plan(client, plan):
    created = client.post("/api/plans", json=plan).get_json()
    client.post(f"/api/plans/{created['id']}/threads",
                json={"provider": "gmail", "thread_id": "18c2f0a1b2c3d4e5"})
    sent = sent_plan_email(created["plan"], plan_id=created["id"], version=1)
    return created, sent


def _ingest(client, plan_id, raw):
    return client.post(f"/api/plans/{plan_id}/messages", data=raw,
                       content_type="message/rfc822")


CLIENTS = {
    "gmail": gmail_reply,
    "outlook": outlook_reply,
    "apple": apple_mail_reply,
    "plain": plain_reply,
}


@pytest.mark.parametrize("client_name", sorted(CLIENTS))
def test_customer_date_edit_in_the_quoted_plan_becomes_a_proposal(client, backend, examples,
                                                                   client_name):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    raw = CLIENTS[client_name](sent, "Small change from our side, see the go-live date below.",
                               edit=lambda s: s.replace("Mon, Mar 22, 2027", "April 12"))
    response = _ingest(client, created["id"], raw)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["reply"]["from"] == "maria.lopez@northwind-health.example"
    assert body["reply"]["from_customer"] is True
    assert body["reply"]["intent"] == "change_request"
    assert "Small change from our side" in body["reply"]["text"]
    assert "Riverside pilot" not in body["reply"]["text"]  # quoted history is not new text
    assert [(p["path"], p["old"], p["new"], p["label"]) for p in body["proposals"]] == [
        ("/milestones/4/date", "2027-03-22", "2027-04-12", "Go-live · date")]
    assert "April 12" in body["proposals"][0]["evidence"]


def test_the_same_message_twice_is_ingested_once(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    raw = gmail_reply(sent, "Can we push go-live to April 12?")
    first = _ingest(client, created["id"], raw)
    again = _ingest(client, created["id"], raw)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["proposals"] == first.get_json()["proposals"]
    assert len(client.get(f"/api/plans/{created['id']}/messages").get_json()) == 1


def test_accepting_a_proposal_makes_a_customer_reply_version(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    body = _ingest(client, created["id"], gmail_reply(sent, "Can we push go-live to April 12?")
                   ).get_json()
    proposal = body["proposals"][0]
    assert (proposal["path"], proposal["new"]) == ("/milestones/4/date", "2027-04-12")
    accepted = client.post(f"/api/plans/{created['id']}/proposals/{proposal['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["version"] == 2
    plan = client.get(f"/api/plans/{created['id']}").get_json()
    assert plan["plan"]["milestones"][4]["date"] == "2027-04-12"
    versions = client.get(f"/api/plans/{created['id']}/versions").get_json()
    assert versions[-1]["source"] == "customer_reply"
    assert versions[-1]["author"] == "maria.lopez@northwind-health.example"
    assert versions[-1]["origin_message"] == body["id"]
    again = client.post(f"/api/plans/{created['id']}/proposals/{proposal['id']}/accept")
    assert again.status_code == 409


def test_rejecting_a_proposal_changes_nothing(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    body = _ingest(client, created["id"], gmail_reply(sent, "Can we push go-live to April 12?")
                   ).get_json()
    rejected = client.post(
        f"/api/plans/{created['id']}/proposals/{body['proposals'][0]['id']}/reject")
    assert rejected.status_code == 200
    assert rejected.get_json()["proposal"]["status"] == "rejected"
    assert client.get(f"/api/plans/{created['id']}").get_json()["version"] == 1


def test_written_confirmation_is_recorded_and_shown_on_the_plan(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    body = _ingest(client, created["id"], gmail_reply(sent, "Looks good, confirmed.")).get_json()
    assert body["reply"]["intent"] == "confirm" and body["proposals"] == []
    plan = client.get(f"/api/plans/{created['id']}").get_json()
    assert plan["status"] == "confirmed" and plan["confirmed_version"] == 1
    [confirmation] = plan["confirmations"]
    assert confirmation["who"] == "maria.lopez@northwind-health.example"
    assert confirmation["version"] == 1 and confirmation["message"] == body["id"]
    assert confirmation["confirmed_at"].startswith("2027-")


def test_not_confirmed_yet_is_no_confirmation(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    body = _ingest(client, created["id"], gmail_reply(sent, "Not confirmed yet, Jordan is out."))
    assert body.get_json()["reply"]["intent"] != "confirm"
    assert client.get(f"/api/plans/{created['id']}").get_json()["confirmations"] == []


def test_auto_reply_and_seller_messages_are_not_customer_replies(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    ooo = _ingest(client, created["id"], auto_reply(sent)).get_json()
    assert ooo["reply"]["intent"] == "auto_reply" and ooo["proposals"] == []
    own = _ingest(client, created["id"], seller_followup(
        sent, "Looks good to me, confirmed. Moving go-live to April 12.")).get_json()
    assert own["reply"]["from_customer"] is False and own["proposals"] == []
    assert client.get(f"/api/plans/{created['id']}").get_json()["confirmations"] == []


def test_german_plan_edit_becomes_a_proposal(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-logistics-de"])
    raw = outlook_reply(sent, "Bitte den Go-live anpassen, siehe unten.", language="de",
                        edit=lambda s: s.replace("Do., 1. Juli 2027", "15.07.2027"))
    body = _ingest(client, created["id"], raw).get_json()
    assert [(p["path"], p["old"], p["new"]) for p in body["proposals"]] == [
        ("/milestones/3/date", "2027-07-01", "2027-07-15")]


def test_resend_lists_what_changed_since_the_version_the_customer_saw(client, backend, examples):
    created, sent = _sent_plan(client, examples["plan-onboarding"])
    body = _ingest(client, created["id"], gmail_reply(sent, "Can we push go-live to April 12?")
                   ).get_json()
    client.post(f"/api/plans/{created['id']}/proposals/{body['proposals'][0]['id']}/accept")
    resent = client.post(f"/api/plans/{created['id']}/resend")
    assert resent.status_code == 200, resent.get_json()
    email = resent.get_json()
    assert email["version"] == 2 and email["since"] == 1
    assert [(c["label"], c["old"], c["new"]) for c in email["changes_since"]] == [
        ("Go-live · date", "2027-03-22", "2027-04-12")]
    assert "What changed since version 1" in email["text"]
    assert "Go-live: Mon, Apr 12, 2027 (Owner: Joint)" in email["text"]
    assert "MAP-" + created["id"] + " · v2" in email["text"]
    plan = client.get(f"/api/plans/{created['id']}").get_json()
    assert plan["sent_version"] == 2


def test_a_reply_to_an_older_version_is_compared_with_that_version(client, backend, examples):
    created, sent_v1 = _sent_plan(client, examples["plan-onboarding"])
    plan = created["plan"]
    plan["milestones"][0]["name"] = "Kickoff preparation"
    client.put(f"/api/plans/{created['id']}", json=plan, headers={"If-Match": '"1"'})
    # The customer answers the v1 email (footer says v1): the kickoff rename is not their edit.
    raw = gmail_reply(sent_v1, "One change below.",
                      edit=lambda s: s.replace("Mon, Mar 22, 2027", "Mon, Apr 12, 2027"))
    body = _ingest(client, created["id"], raw).get_json()
    assert body["reply"]["seen_version"] == 1
    assert [(p["path"], p["new"]) for p in body["proposals"]] == [
        ("/milestones/4/date", "2027-04-12")]


def test_bad_messages_get_a_clear_4xx(client, backend, examples):
    created, _ = _sent_plan(client, examples["plan-onboarding"])
    for raw in (b"", b"\x00\xff" * 10, b"not an email at all"):
        response = _ingest(client, created["id"], raw)
        assert 400 <= response.status_code < 500, raw
        assert response.get_json()["message"]
    wrong_type = client.post(f"/api/plans/{created['id']}/messages", json={"a": 1})
    assert wrong_type.status_code == 400
    assert wrong_type.get_json()["field"] == "Content-Type"
