"""Replies built the way real mail clients build them, as raw RFC 822 bytes.

Start from the seller's email (``sent_plan_email``), then answer it like a
client would (``gmail_reply``, ``outlook_reply``, ``apple_mail_reply``,
``plain_reply``) or like an out-of-office robot (``auto_reply``). Every reply
builder takes the same arguments:

- ``sent``: the SentEmail being answered (its HTML/text is quoted below the reply);
- ``new_text``: what the customer typed above the quote (plain text; lines become
  ``<div>`` lines in the HTML part);
- ``edit``: optional ``str -> str`` applied to the quoted original (HTML and text
  alike), to simulate a customer typing into the quoted plan, e.g.
  ``edit=lambda s: s.replace("Mon, Mar 22, 2027", "April 12")``;
- ``sender``: (name, address) of who replies, default the plan's first contact;
- ``language``: 'en' or 'de' for the client's quote header ("On … wrote:" /
  "Am … schrieb …:", "From: Sent:" / "Von: Gesendet:") and the "Re:"/"AW:" prefix;
- ``date``, ``message_id``, ``extra_headers``: override the reply's headers.

The shapes follow what the clients emit (2024-era Gmail web, Outlook on the
web and desktop, Apple Mail on macOS); the bodies are multipart/alternative
with a text/plain and a text/html part, except ``plain_reply`` which, like
mutt or any plain-text client, sends one text/plain part with "> " quoting.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html as htmllib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

Edit = Callable[[str], str] | None
_COUNTER = itertools.count(1)

_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DE_DAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_DE_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


@dataclass(frozen=True)
class SentEmail:
    """The seller's email as the customer received it (what a reply quotes)."""

    subject: str
    html: str
    text: str
    from_name: str
    from_addr: str
    to_name: str
    to_addr: str
    date: dt.datetime
    message_id: str  # without angle brackets
    references: tuple[str, ...] = field(default_factory=tuple)


def sent_plan_email(
    plan: dict,
    *,
    plan_id: str,
    version: int = 1,
    date: dt.datetime | None = None,
    message_id: str | None = None,
    to: tuple[str, str] | None = None,
) -> SentEmail:
    """The rendered plan email (mailtext.render), sent by the plan's seller to its first contact."""
    from addin_server.mailtext.render import render_email

    rendered = render_email(plan, plan_id=plan_id, version=version)
    seller = plan.get("seller") or {}
    contact = _first_contact(plan)
    to = to or contact
    return SentEmail(
        subject=rendered["subject"],
        html=rendered["html"],
        text=rendered["text"],
        from_name=seller.get("name") or "Seller",
        from_addr=seller.get("email") or "seller@seller.example",
        to_name=to[0],
        to_addr=to[1],
        date=date or dt.datetime(2027, 1, 4, 10, 0, tzinfo=dt.UTC),
        message_id=message_id or f"plan-{plan_id}-v{version}@mail.seller.example",
    )


def _first_contact(plan: dict) -> tuple[str, str]:
    for contact in (plan.get("customer") or {}).get("contacts") or []:
        if contact.get("email"):
            return contact.get("name") or "", contact["email"]
    return "Customer", "customer@customer.example"


# ---- the clients ------------------------------------------------------------------------


def gmail_reply(
    sent: SentEmail,
    new_text: str,
    *,
    edit: Edit = None,
    sender=None,
    language: str = "en",
    date=None,
    message_id=None,
    extra_headers=None,
) -> bytes:
    """Gmail web: div.gmail_quote + blockquote.gmail_quote; text part quoted with '> '."""
    original_html, original_text = _edited(sent, edit)
    header = _on_wrote(sent, language)
    quoted = _gt_quoted(original_text)
    text = f"{new_text}\n\n{header}\n\n{quoted}\n"
    attr = htmllib.escape(header).replace(
        htmllib.escape(f"<{sent.from_addr}>"),
        f'&lt;<a href="mailto:{sent.from_addr}">{sent.from_addr}</a>&gt;',
    )
    html = (
        f'<div dir="ltr">{_html_lines(new_text)}</div><br>'
        f'<div class="gmail_quote"><div dir="ltr" class="gmail_attr">{attr}<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
        f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{original_html}'
        "</blockquote></div>\n"
    )
    return _message(
        sent,
        text,
        html,
        sender=sender,
        language=language,
        date=date,
        message_id=message_id or _new_id("mail.gmail.com"),
        extra_headers=extra_headers,
        text_cte="quoted-printable",
    )


def outlook_reply(
    sent: SentEmail,
    new_text: str,
    *,
    edit: Edit = None,
    sender=None,
    language: str = "en",
    date=None,
    message_id=None,
    extra_headers=None,
    desktop: bool = False,
) -> bytes:
    """Outlook on the web (div#divRplyFwdMsg) or desktop (border-top div with a MsoNormal header).

    The original is quoted without a blockquote and without '>' in the text part,
    below a 'From: / Sent: / To: / Subject:' block, as Outlook does.
    """
    original_html, original_text = _edited(sent, edit)
    block = _outlook_header(sent, language)
    text = f"{new_text}\n\n{'_' * 32}\n" + "\n".join(block) + f"\n\n{original_text}\n"
    head_html = "<br>\n".join(
        f"<b>{htmllib.escape(k)}</b> {htmllib.escape(v)}"
        for k, v in (line.split(" ", 1) for line in block)
    )
    if desktop:
        quote_head = (
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
            f'<p class="MsoNormal">{head_html}<o:p></o:p></p></div>'
        )
        new_html = "".join(
            f'<p class="MsoNormal">{htmllib.escape(ln) or "&nbsp;"}<o:p></o:p></p>'
            for ln in new_text.splitlines()
        )
    else:
        quote_head = (
            '<hr style="display:inline-block;width:98%" tabindex="-1">'
            '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
            f'style="font-size:11pt" color="#000000">{head_html}</font><div>&nbsp;</div></div>'
        )
        new_html = (
            '<div style="font-family: Aptos, Calibri, Helvetica, sans-serif; '
            f'font-size: 12pt; color: rgb(0, 0, 0);">{_html_lines(new_text)}</div>'
        )
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>'
        f'</head><body dir="ltr">{new_html}<div><br></div>{quote_head}{original_html}'
        "</body></html>\n"
    )
    return _message(
        sent,
        text,
        html,
        sender=sender,
        language=language,
        date=date,
        message_id=message_id or _new_id("PR3P123MB0001.namprd03.prod.outlook.com"),
        extra_headers=extra_headers,
        text_cte="base64",
        reply_prefix=_aw(language),
    )


def apple_mail_reply(
    sent: SentEmail,
    new_text: str,
    *,
    edit: Edit = None,
    sender=None,
    language: str = "en",
    date=None,
    message_id=None,
    extra_headers=None,
) -> bytes:
    """Apple Mail (macOS/iOS): blockquote type="cite" holding the attribution and the original."""
    original_html, original_text = _edited(sent, edit)
    header = _apple_on_wrote(sent, language)
    quoted = _gt_quoted(original_text)
    text = f"{new_text}\n\n> {header}\n> \n{quoted}\n"
    html = (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        '<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: '
        f'after-white-space;">{_html_lines(new_text)}<div><br><blockquote type="cite">'
        f'<div>{htmllib.escape(header)}</div><br class="Apple-interchange-newline">'
        f"<div>{original_html}</div></blockquote></div></body></html>\n"
    )
    return _message(
        sent,
        text,
        html,
        sender=sender,
        language=language,
        date=date,
        message_id=message_id or _new_id("icloud.com"),
        extra_headers=extra_headers,
        text_cte="quoted-printable",
        mailer="Apple Mail (2.3774.300.61.1.2)",
    )


def plain_reply(
    sent: SentEmail,
    new_text: str,
    *,
    edit: Edit = None,
    sender=None,
    language: str = "en",
    date=None,
    message_id=None,
    extra_headers=None,
) -> bytes:
    """A plain-text client (mutt, Thunderbird in plain mode): one text/plain part, '> ' quoting."""
    _, original_text = _edited(sent, edit)
    header = _on_wrote(sent, language)
    quoted = _gt_quoted(original_text)
    text = f"{new_text}\n\n{header}\n{quoted}\n"
    return _message(
        sent,
        text,
        None,
        sender=sender,
        language=language,
        date=date,
        message_id=message_id or _new_id("mutt.example"),
        extra_headers=extra_headers,
        text_cte="8bit",
        mailer="Mutt/2.2.12",
    )


def auto_reply(
    sent: SentEmail,
    *,
    headers: dict[str, str] | None = None,
    subject: str | None = None,
    body: str | None = None,
    sender=None,
    date=None,
    message_id=None,
) -> bytes:
    """An out-of-office answer; by default 'Auto-Submitted: auto-replied' and subject
    'Automatic reply: <subject>', as Exchange sends it. Pass headers={} and a subject to
    test detection by subject alone, or other headers (X-Autoreply, Precedence…)."""
    headers = {"Auto-Submitted": "auto-replied"} if headers is None else headers
    text = body or "I am out of the office until January 18 with limited access to email."
    return _message(
        sent,
        text + "\n",
        None,
        sender=sender,
        date=date,
        message_id=message_id or _new_id("auto.example"),
        extra_headers=headers,
        subject=subject or f"Automatic reply: {sent.subject}",
        text_cte="8bit",
    )


def seller_followup(sent: SentEmail, new_text: str, **kwargs) -> bytes:
    """The seller answering in their own thread (Gmail shape), e.g. 'Any thoughts?'."""
    return gmail_reply(sent, new_text, sender=(sent.from_name, sent.from_addr), **kwargs)


# ---- pieces -----------------------------------------------------------------------------


def _edited(sent: SentEmail, edit: Edit) -> tuple[str, str]:
    if edit is None:
        return sent.html, sent.text
    return edit(sent.html), edit(sent.text)


def _gt_quoted(text: str) -> str:
    """The text as plain-text clients quote it: '> ' before each line, a bare '>' on blank ones."""
    return "\n".join(">" + (" " + ln if ln else "") for ln in text.splitlines())


def _html_lines(text: str) -> str:
    return "".join(f"<div>{htmllib.escape(ln) or '<br>'}</div>" for ln in text.splitlines())


def _hour(when: dt.datetime) -> str:
    return when.strftime("%I:%M %p").lstrip("0")


def _on_wrote(sent: SentEmail, language: str) -> str:
    when = sent.date
    who = f"{sent.from_name} <{sent.from_addr}>"
    if language == "de":
        day = (
            f"{_DE_DAYS[when.weekday()][:2]}., {when.day}. {_DE_MONTHS[when.month - 1]} {when.year}"
        )
        return f"Am {day} um {when:%H:%M} Uhr schrieb {who}:"
    day = (
        f"{_EN_DAYS[when.weekday()][:3]}, {_EN_MONTHS[when.month - 1][:3]} {when.day}, {when.year}"
    )
    return f"On {day} at {_hour(when)} {who} wrote:"


def _apple_on_wrote(sent: SentEmail, language: str) -> str:
    when = sent.date
    who = f"{sent.from_name} <{sent.from_addr}>"
    if language == "de":
        return f"Am {when.day:02d}.{when.month:02d}.{when.year} um {when:%H:%M} schrieb {who}:"
    month = _EN_MONTHS[when.month - 1][:3]
    return f"On {month} {when.day}, {when.year}, at {_hour(when)}, {who} wrote:"


def _outlook_header(sent: SentEmail, language: str) -> list[str]:
    when = sent.date
    if language == "de":
        stamp = (
            f"{_DE_DAYS[when.weekday()]}, {when.day}. {_DE_MONTHS[when.month - 1]} "
            f"{when.year} {when:%H:%M}"
        )
        labels = ("Von:", "Gesendet:", "An:", "Betreff:")
    else:
        stamp = (
            f"{_EN_DAYS[when.weekday()]}, {_EN_MONTHS[when.month - 1]} {when.day}, "
            f"{when.year} {_hour(when)}"
        )
        labels = ("From:", "Sent:", "To:", "Subject:")
    values = (
        f"{sent.from_name} <{sent.from_addr}>",
        stamp,
        f"{sent.to_name} <{sent.to_addr}>",
        sent.subject,
    )
    return [f"{k} {v}" for k, v in zip(labels, values, strict=True)]


def _aw(language: str) -> str:
    return "AW: " if language == "de" else "RE: "


def _new_id(domain: str) -> str:
    return f"reply-{next(_COUNTER)}-{dt.datetime.now().timestamp():.6f}@{domain}"


def _message(
    sent: SentEmail,
    text: str,
    html: str | None,
    *,
    sender=None,
    language="en",
    date=None,
    message_id: str,
    extra_headers=None,
    text_cte="quoted-printable",
    reply_prefix=None,
    subject=None,
    mailer=None,
) -> bytes:
    """The MIME message: headers of a reply to sent, text/plain (+ text/html alternative)."""
    name, addr = sender or (sent.to_name, sent.to_addr)
    msg = EmailMessage()
    msg["From"] = email.utils.formataddr((name, addr))
    msg["To"] = email.utils.formataddr((sent.from_name, sent.from_addr))
    msg["Date"] = email.utils.format_datetime(date or sent.date + dt.timedelta(hours=3))
    msg["Message-ID"] = f"<{message_id}>"
    msg["In-Reply-To"] = f"<{sent.message_id}>"
    msg["References"] = " ".join(f"<{r}>" for r in (*sent.references, sent.message_id))
    prefix = reply_prefix or ("AW: " if language == "de" else "Re: ")
    msg["Subject"] = subject or f"{prefix}{sent.subject}"
    msg["MIME-Version"] = "1.0"
    if mailer:
        msg["X-Mailer"] = mailer
    for key, value in (extra_headers or {}).items():
        msg[key] = value
    msg.set_content(text, subtype="plain", charset="utf-8", cte=text_cte)
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes(policy=policy.SMTP)


def outlook_desktop_reply(sent: SentEmail, new_text: str, **kwargs) -> bytes:
    """Classic Outlook for Windows: the border-top header div (``outlook_reply(desktop=True)``)."""
    return outlook_reply(sent, new_text, desktop=True, **kwargs)


# Every client builder by name, for tests parametrised over clients.
CLIENTS: dict[str, Callable[..., bytes]] = {
    "gmail": gmail_reply,
    "outlook_web": outlook_reply,
    "outlook_desktop": outlook_desktop_reply,
    "apple_mail": apple_mail_reply,
    "plain": plain_reply,
}
