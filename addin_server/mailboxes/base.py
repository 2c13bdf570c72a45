"""What both mailbox adapters share: errors, reply subjects, reply MIME, safe error text."""

from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr

from ..errors import AddinError, UpstreamError

_RE_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|vs|ref)\s*:\s*", re.IGNORECASE)
SIGN_IN_AGAIN = "Sign in again: your {provider} access has expired or was revoked."


class CursorExpired(AddinError):
    """The stored history cursor is too old for the provider: resync the linked threads."""

    code = "cursor_expired"
    status = 409


def reply_subject(subject: str | None) -> str:
    """'Re: <subject>' without stacking prefixes, so the provider keeps the thread together."""
    subject = (subject or "").strip()
    if _RE_PREFIX.match(subject):
        return "Re: " + _RE_PREFIX.sub("", subject, count=1)
    return f"Re: {subject}" if subject else "Re:"


def headers_of(raw: bytes):
    """The parsed header block of an RFC 822 message (the body is not parsed)."""
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)


def sender_of(headers) -> str:
    """The lower-cased address in From."""
    return parseaddr(str(headers.get("From") or ""))[1].lower()


def reply_mime(*, original: dict, me: str | None, subject: str, html: str, text: str) -> bytes:
    """A reply to `original` (a dict of its headers) in its thread, as RFC 822 bytes."""
    message = EmailMessage()
    to, cc = reply_all_recipients(original, me)
    if to:
        message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = reply_subject(original.get("Subject") or subject)
    message_id = (original.get("Message-ID") or "").strip()
    if message_id:
        message["In-Reply-To"] = message_id
        references = (original.get("References") or "").split()
        message["References"] = " ".join([*references, message_id])
    message.set_content(text or "", cte="quoted-printable")
    message.add_alternative(html or "", subtype="html", cte="quoted-printable")
    return message.as_bytes(policy=email.policy.SMTP)


def reply_all_recipients(original: dict, me: str | None) -> tuple[list[str], list[str]]:
    """Reply all: To the sender, Cc everyone else on it; my own message goes to its recipients.

    The plan concerns every stakeholder on the thread, so the update reaches all of them.
    """
    me = (me or "").lower()
    sender = parseaddr(original.get("Reply-To") or original.get("From") or "")[1]
    to_list = [a for _, a in getaddresses([original.get("To") or ""]) if a]
    cc_list = [a for _, a in getaddresses([original.get("Cc") or ""]) if a]
    if not sender or sender.lower() == me:
        to, cc = to_list, cc_list
    else:
        to, cc = [sender], to_list + cc_list
    seen = {me}
    return _unique(to, seen), _unique(cc, seen)


def _unique(addresses: list[str], seen: set[str]) -> list[str]:
    out = []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def upstream(provider: str, status: int | None, reason: str = "") -> UpstreamError:
    """An UpstreamError naming the provider and status only (never a token or a URL)."""
    detail = f" ({reason})" if reason else ""
    return UpstreamError(f"{provider} answered HTTP {status}{detail}.", field=None)
