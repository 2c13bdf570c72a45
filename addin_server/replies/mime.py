"""MIME intake: one RFC 822 message in, the headers and body text we need out.

Parsing uses the stdlib ``email`` feed parser with the ``compat32`` policy and
decodes the few headers we need by hand (RFC 2047 words, 8-bit UTF-8). We
measured ``policy.default`` at about three times the cost on a realistic reply
(its header objects are re-parsed on every access) and it raises on some
hostile headers; the hand decoding is lenient and cheap. Body parts are decoded
by hand too, so an unknown charset or broken base64 degrades to replacement
characters instead of an exception. Hostile or broken input never escapes as
anything but ``errors.BadRequest``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email
import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from ..errors import BadRequest

MAX_BYTES = 5 * 1024 * 1024
_MAX_PARTS = 500  # a bound on the part walk, so a crafted message cannot make us loop for long
_ID_RE = re.compile(r"<([^<>\s]{1,500})>")
_MESSAGE_HEADERS = ("from", "to", "subject", "date", "message-id", "content-type", "received")
_AUTO_PRECEDENCE = ("auto_reply", "auto-reply", "bulk", "junk")


@dataclass(frozen=True)
class ParsedMessage:
    """What the reply pipeline needs from one email.

    ``message_id``, ``in_reply_to`` and ``references`` are written WITHOUT angle
    brackets and surrounding whitespace (``abc@mail.example``); a message without
    a Message-ID gets ``synthetic-<sha256 of the raw bytes, 32 hex>@map-addin.invalid``.
    """

    from_name: str
    from_addr: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    message_id: str = ""
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str = ""
    auto_submitted: bool = False
    text: str | None = None
    html: str | None = None


def parse_message(raw: bytes | str, *, max_bytes: int = MAX_BYTES) -> ParsedMessage:
    """Parse one email; raise BadRequest (code bad_message) with a clear sentence when it is not."""
    data = _as_bytes(raw, max_bytes)
    try:
        msg = email.message_from_bytes(data, policy=policy.compat32)
        return _build(msg, data)
    except BadRequest:
        raise
    except Exception as exc:  # the stdlib parser has many odd failure modes on hostile input
        raise _bad(f"The message could not be parsed as an email ({type(exc).__name__}).") from None


def _bad(message: str, where: str = "/message") -> BadRequest:
    return BadRequest(message, field=where, code="bad_message")


def _as_bytes(raw, max_bytes: int) -> bytes:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="replace")
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise _bad("The message must be the bytes of an RFC 822 email.")
    data = bytes(raw)
    if not data.strip():
        raise _bad("The message is empty.")
    if len(data) > max_bytes:
        raise _bad(f"The message is larger than the {max_bytes} byte limit.")
    return data


def _build(msg: Message, data: bytes) -> ParsedMessage:
    names = {str(k).lower() for k in msg.keys()}
    if not names & set(_MESSAGE_HEADERS):
        raise _bad("This is not an email: it has no From, To, Subject, Date or Message-ID header.")
    from_name, from_addr = _first_address(_header(msg, "From"))
    if not from_addr:
        raise _bad("The message has no valid From address.", "From")
    text, html = _bodies(msg)
    if not (text or "").strip() and not (html or "").strip():
        raise _bad("The message has no text or HTML body.")
    return ParsedMessage(
        from_name=from_name,
        from_addr=from_addr,
        to=_addresses(_header(msg, "To")),
        cc=_addresses(_header(msg, "Cc")),
        date=_date(_header(msg, "Date")),
        message_id=_first_id(_header(msg, "Message-ID")) or _synthetic_id(data),
        in_reply_to=_first_id(_header(msg, "In-Reply-To")),
        references=_ids(_header(msg, "References")),
        subject=" ".join(_header(msg, "Subject").split()),
        auto_submitted=_is_automatic(msg),
        text=text,
        html=html,
    )


# ---- headers -------------------------------------------------------------------------------


def _header(msg: Message, name: str) -> str:
    """The decoded, unfolded header value, or '' (never raises)."""
    try:
        value = msg.get(name)
    except Exception:
        return ""
    if value is None:
        return ""
    return _decode_words(value if isinstance(value, str) else str(value))


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words and raw 8-bit bytes (read as UTF-8) to text."""
    try:
        value = value.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        pass  # already text
    value = value.replace("\r", "").replace("\n", "")
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:
        return value


def _addresses(value: str) -> list[str]:
    if not value:
        return []
    out = []
    for _name, addr in email.utils.getaddresses([value]):
        addr = addr.strip().lower()
        if "@" in addr and addr not in out:
            out.append(addr)
    return out


def _first_address(value: str) -> tuple[str, str]:
    if not value:
        return "", ""
    for name, addr in email.utils.getaddresses([value]):
        if "@" in addr:
            return " ".join(name.split()), addr.strip().lower()
    return "", ""


def _date(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _ids(value: str) -> list[str]:
    found = _ID_RE.findall(value or "")
    if not found:
        found = [w.strip("<>") for w in (value or "").split() if "@" in w]
    out: list[str] = []
    for ident in found:
        if ident and ident not in out:
            out.append(ident)
    return out


def _first_id(value: str) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _synthetic_id(data: bytes) -> str:
    """A stable id for a message without Message-ID, so ingesting it twice is still idempotent."""
    return f"synthetic-{hashlib.sha256(data).hexdigest()[:32]}@map-addin.invalid"


def _is_automatic(msg: Message) -> bool:
    """True for out-of-office and other machine answers, judged by their headers (RFC 3834 etc.)."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return True
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-Auto-Response-Suppress"):
        value = _header(msg, name).strip().lower()
        if value and value != "no":
            return True
    for name in ("Precedence", "X-Precedence"):
        if _header(msg, name).strip().lower() in _AUTO_PRECEDENCE:
            return True
    return False


# ---- body ----------------------------------------------------------------------------------


def _bodies(msg: Message) -> tuple[str | None, str | None]:
    """The first text/plain and first text/html body parts (attachments and forwards skipped)."""
    found: dict[str, str] = {}
    stack = [msg]
    seen = 0
    while stack and seen < _MAX_PARTS and len(found) < 2:
        part = stack.pop(0)
        seen += 1
        ctype = _content_type(part)
        if ctype.startswith("multipart/"):
            payload = part.get_payload()
            if isinstance(payload, list):
                stack[:0] = [p for p in payload if isinstance(p, Message)]
            continue
        if ctype.startswith("message/") or _is_attachment(part):
            continue  # forwarded messages and attachments are not the reply
        if ctype in ("text/plain", "text/html") and ctype not in found:
            found[ctype] = _decode_part(part)
    return found.get("text/plain"), found.get("text/html")


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "text/plain"


def _is_attachment(part: Message) -> bool:
    disposition = _header(part, "Content-Disposition").split(";")[0].strip().lower()
    return disposition == "attachment"


def _decode_part(part: Message) -> str:
    """Undo the transfer encoding and the charset, leniently."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "replace") if isinstance(payload, str) else b""
    text = decode_bytes(data, _charset(part))
    if _param(part, "format").lower() == "flowed" and _content_type(part) == "text/plain":
        text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
    return text


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def unflow(text: str, *, delsp: bool = False) -> str:
    """Undo RFC 3676 format=flowed soft line breaks (Apple Mail and Thunderbird send them)."""
    out: list[str] = []
    pending: tuple[int, str] | None = None
    for raw in text.split("\n"):
        raw = raw.rstrip("\r")
        depth = len(raw) - len(raw.lstrip(">"))
        body = raw[depth:]
        body = body[1:] if body.startswith(" ") else body  # space-stuffing
        soft = body.endswith(" ") and body != "-- "
        if soft and delsp:
            body = body[:-1]
        if pending is not None and pending[0] == depth:
            body = pending[1] + body
        elif pending is not None:
            out.append(_requote(*pending))
        pending = (depth, body) if soft else None
        if not soft:
            out.append(_requote(depth, body))
    if pending is not None:
        out.append(_requote(*pending))
    return "\n".join(out)


def _requote(depth: int, body: str) -> str:
    return (">" * depth + " " + body) if depth else body


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes as text: the declared charset when Python knows it, else UTF-8, else Latin-1."""
    if charset:
        try:
            codec = codecs.lookup(charset).name
        except (LookupError, ValueError):
            codec = None
        if codec and codec != "ascii":
            try:
                return data.decode(codec, errors="replace")
            except Exception:  # some codecs (e.g. utf-7 on garbage) raise despite errors=
                pass
    try:
        return data.decode("utf-8")  # undeclared or mislabelled as ASCII: UTF-8 is the norm
    except UnicodeDecodeError:
        return data.decode("latin-1")
