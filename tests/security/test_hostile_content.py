"""Hostile content everywhere: the XSS corpora in a customer's reply and in the Gmail cards."""

from __future__ import annotations

import email.utils
from email.message import EmailMessage

import lxml.html

from addin_server.gmail import cards
from tests.support.xss import assert_nothing_executable, groups, payload_plan, payloads

# Gmail card text understands only this formatting subset; anything else must arrive escaped.
CARD_TAGS = {"b", "i", "u", "s", "br", "font", "a", "div"}


def _reply_with(group: list[str], n: int) -> bytes:
    message = EmailMessage()
    message["From"] = "Mallory <mallory@customer.example>"
    message["To"] = "demo@localhost"
    message["Subject"] = "Re: Summary & Mutual Plan"
    message["Message-ID"] = f"<hostile-{n}@customer.example>"
    message["Date"] = email.utils.format_datetime(email.utils.localtime())
    text = "\n".join(group)
    message.set_content(text)
    message.add_alternative("<div>" + "<br>".join(group) + "</div>", subtype="html")
    return message.as_bytes()


def test_every_payload_in_a_customers_reply_comes_back_with_nothing_executable(client, examples):
    created = client.post("/api/plans", json=examples["plan-onboarding"]).get_json()
    every = payloads()
    tried = 0
    for n, group in enumerate(groups(every, budget=40_000)):
        response = client.post(f"/api/plans/{created['id']}/messages", data=_reply_with(group, n),
                               content_type="message/rfc822")
        assert response.status_code in (200, 201), response.get_json()
        reply = response.get_json()["reply"]
        assert isinstance(reply["text"], str)  # plain text: the panes set it with textContent
        assert_nothing_executable(reply["html"] or "")
        tried += len(group)
    assert tried == len(every)
    listed = client.get(f"/api/plans/{created['id']}/messages").get_json()
    for message in listed:
        assert_nothing_executable(message["reply"]["html"] or "")


def _card_texts(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "topLabel", "bottomLabel", "title", "subtitle", "header",
                       "label") and isinstance(value, str):
                yield value
            else:
                yield from _card_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _card_texts(item)


def _assert_card_safe(card: dict) -> None:
    for text in _card_texts(card):
        if "<" not in text:
            continue
        root = lxml.html.fromstring(f"<div>{text}</div>")
        tags = {element.tag for element in root.iter() if isinstance(element.tag, str)}
        assert tags <= CARD_TAGS, f"card text has markup {tags - CARD_TAGS}: {text[:120]!r}"
        assert not root.xpath("//@*[starts-with(name(), 'on')]")
        assert not [h for h in root.xpath("//@href") if not h.startswith(("https:", "http:"))]


def test_every_payload_in_plan_and_reply_fields_is_escaped_in_the_gmail_cards():
    ctx = cards.Ctx(action_url="https://addin.example/gmail/action", key="gmail:k")
    every = payloads()
    for group in groups(every, budget=500):
        plan = payload_plan(group)
        joined = "\n".join(group)
        view = {"id": "ABCDEFGH", "version": 2, "title": joined[:500], "status": "sent",
                "open_proposals": 1, "plan": plan,
                "confirmations": [{"who": joined, "name": joined, "version": 1,
                                   "confirmed_at": "2027-01-04T10:00:00Z", "message": 1}]}
        message = {"id": 1, "reply": {"from": "m@x.example", "from_name": joined,
                                      "sent_at": "2027-01-04T10:00:00Z", "subject": joined,
                                      "text": joined, "intent": "change_request",
                                      "from_customer": True, "questions": group},
                   "proposals": [{"id": 1, "path": "/title", "old": p, "new": p, "label": p,
                                  "evidence": p, "status": "open", "result_version": None}
                                 for p in group]}
        versions = [{"version": 1, "source": "seller_edit", "created_at": "2027-01-01",
                     "author": joined, "sent_at": None}]
        _assert_card_safe(cards.tracking_card(ctx, view, [message], versions))
        diff = {"from": 1, "to": 2,
                "changes": [{"path": "/title", "old": p, "new": p, "label": p} for p in group]}
        _assert_card_safe(cards.diff_card(ctx, "ABCDEFGH", diff))
