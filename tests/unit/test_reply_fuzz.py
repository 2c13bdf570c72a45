"""Property tests: random and mutated MIME and HTML never crash reply understanding.

The only exception allowed out of parse_message is BadRequest (a 4xx); once a
message parses, analyze_reply must not raise at all.
"""

from __future__ import annotations

import functools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin_server.errors import BadRequest
from addin_server.mailtext.dates import find_dates
from addin_server.mailtext.readback import find_plan_ref, html_to_text, read_edits
from addin_server.replies.analyze import analyze_reply
from addin_server.replies.intent import classify
from addin_server.replies.mime import parse_message
from addin_server.replies.requests import find_requests
from tests.support import example_plan
from tests.support import mail_clients as mc

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SELLERS = {"dana@brightpath.example"}


@functools.cache
def _plan() -> dict:
    return example_plan("plan-onboarding.json")


@functools.cache
def _replies() -> tuple[bytes, ...]:
    sent = mc.sent_plan_email(_plan(), plan_id="7F3KQ2W9", version=2)

    def edit(s):
        return s.replace("Mon, Mar 22, 2027", "April 12")

    return (
        mc.gmail_reply(sent, "Looks good, but move the pilot a week later.", edit=edit),
        mc.outlook_reply(sent, "Please make enablement joint.", edit=edit),
        mc.outlook_reply(sent, "Passt.", desktop=True),
        mc.apple_mail_reply(sent, "Can we push go-live to April 12?"),
        mc.plain_reply(sent, "Confirmed.", edit=edit),
        mc.auto_reply(sent),
    )


def _survives(raw) -> None:
    """Parse and analyse; BadRequest is the only acceptable failure."""
    try:
        msg = parse_message(raw)
    except BadRequest as exc:
        assert exc.code == "bad_message" and exc.message
        return
    result = analyze_reply(msg, _plan(), seller_addresses=SELLERS)
    assert result.intent in ("confirm", "change_request", "question", "auto_reply", "other")


def _boundary(raw: bytes) -> bytes | None:
    match = re.search(rb'boundary="?([^";\r\n]+)"?', raw)
    return match.group(1) if match else None


def _mutated(draw) -> bytes:
    """A real reply with one to four mutations (built outside any strategy: MIME uses random)."""
    replies = _replies()
    raw = replies[draw(st.integers(0, len(replies) - 1))]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                [
                    "truncate",
                    "flip",
                    "insert",
                    "drop_boundary",
                    "charset",
                    "base64",
                    "cte",
                    "header",
                ]
            )
        )
        raw = _mutate(raw, kind, draw)
    return raw


def _mutate(raw: bytes, kind: str, draw) -> bytes:
    if not raw:
        return raw
    at = draw(st.integers(0, len(raw) - 1))
    if kind == "truncate":
        return raw[:at]
    if kind == "flip":
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    if kind == "insert":
        return raw[:at] + draw(st.binary(min_size=1, max_size=64)) + raw[at:]
    if kind == "drop_boundary":
        boundary = _boundary(raw)
        return raw.replace(b"--" + boundary, b"", draw(st.integers(1, 3))) if boundary else raw
    if kind == "charset":
        bogus = draw(st.sampled_from([b"x-bogus", b"utf-7", b"utf-16", b"", b'"', b"cp1252;;"]))
        return raw.replace(b"utf-8", bogus)
    if kind == "base64":
        garbage = draw(st.binary(min_size=1, max_size=16))
        head = raw.find(b"base64")
        return raw if head < 0 else raw[: head + 40] + garbage + raw[head + 40 :]
    if kind == "cte":
        cte = draw(st.sampled_from([b"base64", b"quoted-printable", b"x-uuencode", b"7bit", b"?"]))
        return re.sub(rb"(Content-Transfer-Encoding: )[^\r\n]*", rb"\g<1>" + cte, raw, count=1)
    name = draw(st.sampled_from([b"From", b"Date", b"Message-ID", b"Content-Type", b"Subject"]))
    value = draw(st.binary(max_size=80)).replace(b"\r", b"").replace(b"\n", b"")
    return name + b": " + value + b"\r\n" + raw


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes_never_crash_intake(raw):
    _survives(raw)


@FUZZ
@given(st.text(max_size=3000))
def test_random_text_never_crashes_intake(raw):
    _survives(raw)


@FUZZ
@given(st.data())
def test_mutated_real_replies_never_crash(data):
    _survives(_mutated(data.draw))


_TAGS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<br>",
        '<blockquote type="cite">',
        "</blockquote>",
        '<div class="gmail_quote">',
        '<div id="divRplyFwdMsg">',
        "<table><tr><td>",
        "</td></tr>",
        "<script>",
        "</script>",
        "<style>",
        "<!--",
        "-->",
        '<a href="',
        '">',
        "&amp;",
        "&#0;",
        "&#xFFFFFFF;",
        "<",
        ">",
        "Go-live: ",
        "April 12 ",
        "(Owner: Northwind)",
        "Plan ref MAP-",
        "7F3KQ2W9 · v",
        "3",
        "\n",
        "> ",
        "Looks good",
        "move the pilot a week later",
        "<![CDATA[",
    ]
)


@FUZZ
@given(st.lists(st.one_of(_TAGS, st.text(max_size=20)), max_size=120))
def test_random_html_never_crashes_the_pipeline(parts):
    html = "".join(parts)
    text = html_to_text(html)
    assert isinstance(text, str)
    read_edits(text, _plan())
    find_plan_ref(html)
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "maria@northwind.example"
    msg.set_content(html or "x", subtype="html")
    _survives(msg.as_bytes())


@FUZZ
@given(st.text(max_size=600))
def test_random_reply_text_never_crashes_the_readers(text):
    plan = _plan()
    assert classify(text) in ("confirm", "change_request", "question", "auto_reply", "other")
    find_requests(text, plan)
    read_edits(text, plan)
    find_plan_ref(text)
    find_dates(text, language="de")
