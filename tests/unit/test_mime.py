"""MIME intake: headers, body part choice, decoding, and clear errors for bad input."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest

from addin_server.errors import BadRequest
from addin_server.replies.mime import parse_message
from tests.support import example_plan
from tests.support import mail_clients as mc

PLAN_ID = "7F3KQ2W9"


@pytest.fixture(scope="module")
def sent():
    return mc.sent_plan_email(example_plan("plan-onboarding.json"), plan_id=PLAN_ID, version=2)


def _raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


def test_gmail_reply_headers_are_read_and_normalised(sent):
    raw = mc.gmail_reply(sent, "Looks good!", message_id="abc.123@mail.gmail.com")
    msg = parse_message(raw)
    assert msg.from_name == "Maria Lopez"
    assert msg.from_addr == "maria.lopez@northwind-health.example"
    assert msg.to == ["dana@brightpath.example"]
    assert msg.message_id == "abc.123@mail.gmail.com"
    assert msg.in_reply_to == sent.message_id
    assert msg.references == [sent.message_id]
    assert msg.subject == "Re: Summary & Mutual Plan for Faster customer onboarding"
    assert msg.date == dt.datetime(2027, 1, 4, 13, 0, tzinfo=dt.UTC)
    assert msg.auto_submitted is False
    assert msg.text.startswith("Looks good!")
    assert 'class="gmail_quote"' in msg.html
    assert "Plan ref MAP-7F3KQ2W9" in msg.text


@pytest.mark.parametrize(
    "builder", [mc.gmail_reply, mc.outlook_reply, mc.apple_mail_reply, mc.plain_reply]
)
def test_every_client_body_decodes_to_the_plan_text(sent, builder):
    msg = parse_message(builder(sent, "Passt für uns – danke! Grüße"))
    assert "Passt für uns – danke! Grüße" in msg.text
    assert "Go-live: Mon, Mar 22, 2027 (Owner: Joint)" in msg.text
    assert "42 days → under 28 days" in msg.text
    if builder is not mc.plain_reply:
        assert "Go-live: <strong" in msg.html


def test_uppercase_from_address_is_lowercased_and_cc_read():
    raw = _raw(
        "From: =?utf-8?q?J=C3=BCrgen_Wei=C3=9F?= <J.Weiss@Mueller-Soehne.example>\n"
        "To: sam@clearlane.example\nCc: A <a@x.example>, b@y.example\n"
        "Subject: =?utf-8?b?QVc6IFp1c2FtbWVuZmFzc3VuZw==?=\nContent-Type: text/plain\n",
        b"Passt.\r\n",
    )
    msg = parse_message(raw)
    assert msg.from_name == "Jürgen Weiß"
    assert msg.from_addr == "j.weiss@mueller-soehne.example"
    assert msg.cc == ["a@x.example", "b@y.example"]
    assert msg.subject == "AW: Zusammenfassung"


def test_message_without_message_id_gets_a_stable_synthetic_id():
    raw = _raw("From: a@x.example\nSubject: hi\n", b"Looks good\r\n")
    first, second = parse_message(raw), parse_message(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("synthetic-")
    assert parse_message(raw + b"!").message_id != first.message_id


def test_attachments_and_forwarded_messages_are_not_the_body():
    msg = EmailMessage()
    msg["From"] = "maria@northwind.example"
    msg["Subject"] = "Re: plan"
    msg.set_content("Attached is our version.")
    msg.add_attachment("Go-live: April 1", filename="notes.txt")
    forwarded = EmailMessage()
    forwarded["From"] = "someone@else.example"
    forwarded.set_content("Forwarded text that is not the reply")
    msg.add_attachment(forwarded)
    parsed = parse_message(msg.as_bytes())
    assert parsed.text.strip() == "Attached is our version."
    assert parsed.html is None


def test_attachment_first_still_finds_the_body():
    msg = EmailMessage()
    msg["From"] = "maria@northwind.example"
    msg.make_mixed()
    attachment = EmailMessage()
    attachment.set_content("not the body", disposition="attachment", filename="a.txt")
    body = EmailMessage()
    body.set_content("the body")
    msg.attach(attachment)
    msg.attach(body)
    assert parse_message(msg.as_bytes()).text.strip() == "the body"


@pytest.mark.parametrize(
    "headers, body, expected",
    [
        (
            "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: "
            "quoted-printable\n",
            b"Gr=FC=DFe aus M=FCnchen",
            "Grüße aus München",
        ),
        (
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
            b"R3LDvMOfZSBhdXMgTcO8bmNoZW4=",
            "Grüße aus München",
        ),
        (
            "Content-Type: text/plain; charset=x-no-such-charset\n",
            "Grüße aus München".encode(),
            "Grüße aus München",
        ),
        (
            "Content-Type: text/plain; charset=x-no-such-charset\n",
            "Grüße aus München".encode("latin-1"),
            "Grüße aus München",
        ),
        (
            "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n",
            "Grüße aus München".encode(),
            "Grüße aus München",
        ),
        ("Content-Type: text/plain; charset=windows-1252\n", b"\x93ok\x94 \x80", "“ok” €"),
    ],
)
def test_charsets_and_transfer_encodings_are_decoded(headers, body, expected):
    msg = parse_message(_raw("From: a@x.example\n" + headers, body))
    assert msg.text == expected


def test_broken_base64_degrades_instead_of_crashing():
    raw = _raw(
        "From: a@x.example\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n",
        b"!!!not base64 at all***",
    )
    msg = parse_message(raw)
    assert isinstance(msg.text, str)


@pytest.mark.parametrize(
    "header, value, expected",
    [
        ("Auto-Submitted", "auto-replied", True),
        ("Auto-Submitted", "auto-generated", True),
        ("Auto-Submitted", "no", False),
        ("X-Autoreply", "yes", True),
        ("X-Autorespond", "Out of office", True),
        ("X-Auto-Response-Suppress", "All", True),
        ("Precedence", "auto_reply", True),
        ("Precedence", "bulk", True),
        ("Precedence", "junk", True),
        ("Precedence", "first-class", False),
        ("X-Mailer", "Outlook", False),
    ],
)
def test_automatic_answers_are_recognised_by_header(header, value, expected):
    raw = _raw(f"From: a@x.example\n{header}: {value}\n", b"I am away.\r\n")
    assert parse_message(raw).auto_submitted is expected


def test_text_input_is_accepted_as_well_as_bytes(sent):
    raw = mc.plain_reply(sent, "Looks good").decode("utf-8")
    assert parse_message(raw).text.startswith("Looks good")


@pytest.mark.parametrize(
    "raw, field",
    [
        (b"", "/message"),
        (b"   \r\n  ", "/message"),
        (b"just some words, this is not an email at all", "/message"),
        (b"\x00\xff\xfe garbage", "/message"),
        (b"To: a@x.example\r\nSubject: no sender\r\n\r\nhello", "From"),
        (b"From: not an address\r\nSubject: x\r\n\r\nhello", "From"),
        (b"From: a@x.example\r\nSubject: x\r\n\r\n", "/message"),
        (b"From: a@x.example\r\nContent-Type: image/png\r\n\r\n\x89PNG", "/message"),
    ],
)
def test_bad_messages_get_a_clear_bad_request(raw, field):
    with pytest.raises(BadRequest) as caught:
        parse_message(raw)
    assert caught.value.code == "bad_message"
    assert caught.value.field == field
    assert caught.value.message.endswith(".")


def test_oversized_message_is_refused(sent):
    raw = mc.gmail_reply(sent, "Looks good")
    with pytest.raises(BadRequest, match="larger than the 1000 byte limit"):
        parse_message(raw, max_bytes=1000)


def test_non_bytes_input_is_refused():
    with pytest.raises(BadRequest):
        parse_message(12345)  # type: ignore[arg-type]


def test_format_flowed_soft_breaks_are_joined():
    body = (
        b"Looks good, but see the go-live \r\n"
        b"line below.\r\n"
        b"\r\n"
        b"> Go-live: Mon, Mar 22, 2027 \r\n"
        b"> (Owner: Northwind Health)\r\n"
        b"> -- \r\n"
        b">> Plan ref MAP-7F3KQ2W9 \xc2\xb7 v3\r\n"
    )
    raw = _raw("From: a@x.example\nContent-Type: text/plain; charset=utf-8; format=flowed\n", body)
    assert parse_message(raw).text.splitlines() == [
        "Looks good, but see the go-live line below.",
        "",
        "> Go-live: Mon, Mar 22, 2027 (Owner: Northwind Health)",
        "> -- ",
        ">> Plan ref MAP-7F3KQ2W9 · v3",
    ]


def test_format_flowed_with_delsp_removes_the_break_space():
    raw = _raw(
        "From: a@x.example\nContent-Type: text/plain; format=flowed; delsp=yes\n",
        b"Northwind Health \r\nowns it\r\n",
    )
    assert parse_message(raw).text.splitlines()[0] == "Northwind Healthowns it"


@pytest.mark.parametrize(
    "client, marker",
    [
        ("gmail", 'blockquote class="gmail_quote"'),
        ("outlook_web", 'id="divRplyFwdMsg"'),
        ("outlook_desktop", "border-top:solid #E1E1E1 1.0pt"),
        ("apple_mail", 'blockquote type="cite"'),
    ],
)
def test_client_builders_have_their_clients_quote_shape(sent, client, marker):
    msg = parse_message(mc.CLIENTS[client](sent, "Looks good"))
    assert marker in msg.html
    assert "Plan ref MAP-7F3KQ2W9 · v2" in msg.html
    assert msg.in_reply_to == sent.message_id
    assert msg.subject.lower().startswith("re: ")


def test_german_outlook_reply_uses_german_quote_header(sent):
    msg = parse_message(mc.outlook_reply(sent, "Passt", language="de"))
    assert msg.subject.startswith("AW: ")
    assert "Von: Dana Whitfield <dana@brightpath.example>" in msg.text
    assert "Gesendet: Montag, 4. Januar 2027 10:00" in msg.text
