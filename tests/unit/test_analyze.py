"""End to end through MIME: replies built like real clients, understood by analyze_reply."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import pytest

from addin_server.replies.analyze import analyze_reply, merge_proposals
from addin_server.replies.mime import parse_message
from tests.support import example_plan
from tests.support import mail_clients as mc

PLAN_ID = "7F3KQ2W9"
SELLERS = {"dana@brightpath.example"}


CLIENTS = mc.CLIENTS


@pytest.fixture(scope="module")
def sent(onboarding):
    return mc.sent_plan_email(onboarding, plan_id=PLAN_ID, version=3)


@pytest.fixture(scope="module")
def sent_de(german):
    return mc.sent_plan_email(german, plan_id="DE42LOG1", version=2)


def _index(plan, name):
    return next(i for i, m in enumerate(plan["milestones"]) if m["name"] == name)


def _analyze(raw, plan, sellers=SELLERS):
    return analyze_reply(
        parse_message(raw), plan, seller_addresses=sellers, today=dt.date(2027, 1, 5)
    )


def _changes(result):
    return {(p["path"], repr(p["old"]), repr(p["new"])) for p in result.proposals}


def _expected(*triples):
    return {(path, repr(old), repr(new)) for path, old, new in triples}


def _quoted_edits(body: str) -> str:
    """The customer types into the quoted plan (HTML or text alike): a date in another
    format, an owner as the company name, a KPI target; and deletes the pilot line."""
    out = body.replace("Mon, Mar 22, 2027", "April 12")
    out = re.sub(r"(Team enablement: .*?\(Owner: )BrightPath Software", r"\1Northwind", out)
    out = out.replace("42 days → under 28 days", "42 days → under 21 days")
    out = out.replace("Riverside pilot: Mon, Jan 25, 2027 (Owner: Joint)\n", "")
    return re.sub(
        r"<table(?:(?!<table).)*?Riverside pilot: <strong.*?</table>\n?", "", out, flags=re.S
    )


@pytest.mark.parametrize("client", CLIENTS)
def test_edits_in_the_quoted_plan_become_exact_proposals(onboarding, sent, client):
    raw = CLIENTS[client](sent, "Thanks Dana, see my edits below.\n\nMaria", edit=_quoted_edits)
    result = _analyze(raw, onboarding)
    pilot = _index(onboarding, "Riverside pilot")
    assert result.from_customer is True
    assert result.intent == "change_request"
    assert result.plan_ref == (PLAN_ID, 3)
    assert result.text.startswith("Thanks Dana, see my edits below.")
    assert "Go-live" not in result.text
    assert _changes(result) == _expected(
        (f"/milestones/{_index(onboarding, 'Go-live')}/date", "2027-03-22", "2027-04-12"),
        (f"/milestones/{_index(onboarding, 'Team enablement')}/owner", "seller", "customer"),
        ("/impact/kpis/0/target", "under 28 days", "under 21 days"),
        (f"/milestones/{pilot}", onboarding["milestones"][pilot], None),
    )
    evidence = {p["path"]: p["evidence"] for p in result.proposals}
    assert evidence[f"/milestones/{_index(onboarding, 'Go-live')}/date"] == (
        "Go-live: April 12 (Owner: Joint)"
    )


@pytest.mark.parametrize("client", CLIENTS)
def test_requests_in_prose_become_proposals_and_questions(onboarding, sent, client):
    text = (
        "Looks good overall, but can we push go-live to April 12?\n"
        "Please make enablement joint.\n"
        "Jordan can't do the 22nd, move the commercial review a week later.\n"
        "Also, can we move the review?\n\nBest,\nMaria"
    )
    result = _analyze(CLIENTS[client](sent, text), onboarding)
    assert result.intent == "change_request"
    assert _changes(result) == _expected(
        (f"/milestones/{_index(onboarding, 'Go-live')}/date", "2027-03-22", "2027-04-12"),
        (f"/milestones/{_index(onboarding, 'Team enablement')}/owner", "seller", "joint"),
        (f"/milestones/{_index(onboarding, 'Commercial review')}/date", "2027-02-22", "2027-03-01"),
    )
    assert [q["text"] for q in result.questions] == ["Also, can we move the review?"]


@pytest.mark.parametrize("client", ["gmail", "outlook_web", "apple_mail", "plain"])
def test_german_reply_with_quoted_edit_and_prose_request(german, sent_de, client):
    def edit(body):
        return (
            body.replace("Do., 1. Juli 2027", "14.07.2027")
            .replace("Kickoff-Vorbereitung: <strong", "Kickoff-Vorbereitung: <strong")
            .replace("(Verantwortlich: ClearLane)", "(Verantwortlich: Gemeinsam)")
        )

    text = "Danke! Den Testlauf bitte eine Woche später.\n\nGrüße\nJürgen"
    raw = CLIENTS[client](
        sent_de,
        text,
        edit=edit,
        language="de",
        sender=("Jürgen Weiß", "j.weiss@mueller-soehne.example"),
    )
    result = _analyze(raw, german, sellers={"sam@clearlane.example"})
    assert result.plan_ref == ("DE42LOG1", 2)
    assert result.intent == "change_request"
    assert _changes(result) == _expected(
        (f"/milestones/{_index(german, 'Go-live')}/date", "2027-07-01", "2027-07-14"),
        (f"/milestones/{_index(german, 'Kickoff-Vorbereitung')}/owner", "seller", "joint"),
        (
            f"/milestones/{_index(german, 'Testlauf mit 50 Sendungen')}/date",
            "2027-04-12",
            "2027-04-19",
        ),
    )


@pytest.mark.parametrize("client", CLIENTS)
def test_plain_confirmation_has_no_proposals(onboarding, sent, client):
    result = _analyze(CLIENTS[client](sent, "Looks good, confirmed.\n\nMaria"), onboarding)
    assert (result.intent, result.proposals, result.questions) == ("confirm", [], [])
    assert result.text.startswith("Looks good, confirmed.")


def test_german_confirmation(german, sent_de):
    raw = mc.outlook_reply(
        sent_de,
        "Passt so, einverstanden.",
        language="de",
        sender=("Jürgen Weiß", "j.weiss@mueller-soehne.example"),
    )
    result = _analyze(raw, german, sellers={"sam@clearlane.example"})
    assert (result.intent, result.proposals) == ("confirm", [])


def test_same_change_in_quote_and_prose_is_proposed_once(onboarding, sent):
    raw = mc.gmail_reply(
        sent,
        "Can we push go-live to April 12?",
        edit=lambda s: s.replace("Mon, Mar 22, 2027", "April 12"),
    )
    result = _analyze(raw, onboarding)
    [proposal] = result.proposals
    assert proposal["new"] == "2027-04-12"
    assert (
        proposal["evidence"] == "Go-live: April 12 (Owner: Joint)\nCan we push go-live to April 12?"
    )


def test_sellers_own_message_is_not_a_customer_reply(onboarding, sent):
    raw = mc.seller_followup(
        sent,
        "Can we push go-live to April 12?",
        edit=lambda s: s.replace("Mon, Mar 22, 2027", "April 12"),
    )
    result = _analyze(raw, onboarding, sellers=set())  # the plan's seller email is enough
    assert result.from_customer is False
    assert (result.intent, result.proposals, result.questions) == ("other", [], [])
    assert result.plan_ref == (PLAN_ID, 3)


def test_seller_addresses_are_compared_without_case(onboarding, sent):
    raw = mc.gmail_reply(
        sent, "Looks good", sender=("Maria", "Maria.Lopez@Northwind-Health.example")
    )
    assert (
        _analyze(raw, onboarding, sellers={"MARIA.LOPEZ@northwind-health.example"}).from_customer
        is False
    )


@pytest.mark.parametrize(
    "headers, subject",
    [
        ({"Auto-Submitted": "auto-replied"}, None),
        ({"X-Autoreply": "yes"}, "Re: plan"),
        ({"X-Autorespond": "yes"}, "Re: plan"),
        ({"X-Auto-Response-Suppress": "All"}, "Re: plan"),
        ({"Precedence": "auto_reply"}, "Re: plan"),
        ({}, "Out of Office: Summary & Mutual Plan"),
        ({}, "Abwesenheitsnotiz: Zusammenfassung"),
    ],
)
def test_auto_replies_propose_nothing(onboarding, sent, headers, subject):
    body = "Thanks! I am away. Can we push go-live to April 12?"
    result = _analyze(mc.auto_reply(sent, headers=headers, subject=subject, body=body), onboarding)
    assert (result.intent, result.proposals, result.questions) == ("auto_reply", [], [])


def test_html_only_reply_is_read_from_the_html(onboarding, sent):
    gmail = parse_message(mc.gmail_reply(sent, "Looks good", edit=_quoted_edits))
    msg = EmailMessage()
    msg["From"] = "Maria Lopez <maria.lopez@northwind-health.example>"
    msg["Subject"] = "Re: plan"
    msg.set_content(gmail.html, subtype="html")
    result = _analyze(msg.as_bytes(), onboarding)
    assert result.text == "Looks good"
    assert result.plan_ref == (PLAN_ID, 3)
    assert len(result.proposals) == 4


def test_edit_typed_into_the_new_text_of_an_outlook_reply(onboarding, sent):
    raw = mc.outlook_reply(sent, "Go-live: April 12 (Owner: Joint)\n\nThanks")
    result = _analyze(raw, onboarding)
    assert _changes(result) == _expected(
        (f"/milestones/{_index(onboarding, 'Go-live')}/date", "2027-03-22", "2027-04-12")
    )


def test_reply_without_a_plan_still_has_text_and_intent(sent):
    result = analyze_reply(
        parse_message(mc.gmail_reply(sent, "Sounds good")), None, seller_addresses=SELLERS
    )
    assert (result.text, result.intent, result.proposals) == ("Sounds good", "confirm", [])


def test_merge_keeps_one_proposal_per_path_and_joins_evidence():
    merged = merge_proposals(
        [
            {"path": "/a", "old": 1, "new": 2, "evidence": "x"},
            {"path": "/a", "old": 1, "new": 3, "evidence": "y"},
            {"path": "/milestones/-", "new": {"name": "A"}, "evidence": "p"},
            {"path": "/milestones/-", "new": {"name": "B"}, "evidence": "q"},
        ]
    )
    assert merged[0] == {"path": "/a", "old": 1, "new": 2, "evidence": "x\ny"}
    assert [m["new"]["name"] for m in merged[1:]] == ["A", "B"]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("name", ["plan-onboarding.json", "plan-logistics-de.json"])
def test_untouched_quoted_plan_gives_no_proposals_through_every_client(client, name):
    plan = example_plan(name)
    sent = mc.sent_plan_email(plan, plan_id="ABCD2345", version=5)
    language = plan.get("language", "en")
    result = _analyze(CLIENTS[client](sent, "Danke, passt.", language=language), plan)
    assert (result.intent, result.proposals, result.plan_ref) == ("confirm", [], ("ABCD2345", 5))
