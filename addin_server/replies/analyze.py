"""One entry point: a parsed reply and the plan the customer saw in, an understood reply out.

Which body part is read: the text/plain alternative when the message has a
useful one, else the HTML converted to text. Every client we build for (Gmail,
Outlook, Apple Mail) generates the plain alternative from the same HTML the
customer edited, so it carries the same edits and quote markers; reading it is
several times cheaper than converting styled HTML, and the text extractor's
"On … wrote:" / "From: … Sent: …" rules work on it directly. The HTML is used
when there is no text part or the text part is a stub ("view this in HTML").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..mailtext.readback import find_plan_ref, html_to_text, read_edits
from . import extract_reply
from .intent import classify
from .mime import ParsedMessage
from .requests import find_requests

_STUB_RATIO = 20  # a text part this many times shorter than the HTML is a stub, not the message


@dataclass
class ReplyAnalysis:
    """What a reply says about the plan.

    ``proposals`` items: {path, old, new, label, evidence, item_id}; ``questions``
    items: {text, reason}. ``plan_ref`` is (plan_id, version) from the quoted footer.
    """

    text: str
    intent: str
    from_customer: bool
    proposals: list[dict] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)
    plan_ref: tuple[str, int] | None = None


def analyze_reply(
    msg: ParsedMessage,
    seen_plan: dict | None,
    *,
    seller_addresses: set[str],
    today: dt.date | None = None,
) -> ReplyAnalysis:
    """Understand one reply: new text, intent, proposals (edits + prose requests), questions.

    A message from the seller (any of seller_addresses, or the seller's email on the
    plan) is not a customer reply: intent 'other', no proposals. An auto-reply
    proposes nothing either.
    """
    body, content_type = _body(msg)
    text = _new_text(body, content_type)
    plan_ref = find_plan_ref(body) or (find_plan_ref(html_to_text(msg.html)) if msg.html else None)
    if not _from_customer(msg, seen_plan, seller_addresses):
        return ReplyAnalysis(text=text, intent="other", from_customer=False, plan_ref=plan_ref)
    language = (seen_plan or {}).get("language")
    intent = classify(
        text, subject=msg.subject, auto_submitted=msg.auto_submitted, language=language
    )
    if intent == "auto_reply" or not seen_plan:
        return ReplyAnalysis(text=text, intent=intent, from_customer=True, plan_ref=plan_ref)
    full_text = body if content_type == "text/plain" else html_to_text(body)
    edits = read_edits(full_text, seen_plan)
    asked, questions = find_requests(text, seen_plan, today=today)
    proposals = merge_proposals(edits + asked)
    if proposals and intent in ("confirm", "question", "other"):
        intent = "change_request"  # an edit typed into the plan is a change request
    return ReplyAnalysis(text, intent, True, proposals, questions, plan_ref)


def _body(msg: ParsedMessage) -> tuple[str, str]:
    """The body part to read and its content type (see the module docstring for why)."""
    text, html = msg.text or "", msg.html or ""
    if text.strip() and not (html and len(text.strip()) * _STUB_RATIO < len(html)):
        return text, "text/plain"
    if html.strip():
        return html, "text/html"
    return text, "text/plain"


def _new_text(body: str, content_type: str) -> str:
    """The reply's new text; a failure of the extractor falls back to the unquoted lines."""
    try:
        return extract_reply(body, content_type)
    except Exception:  # the extractor must never take the whole ingestion down
        plain = body if content_type == "text/plain" else html_to_text(body)
        kept = []
        for line in plain.splitlines():
            if line.lstrip().startswith(">"):
                break
            kept.append(line)
        return "\n".join(kept).strip()


def _from_customer(msg: ParsedMessage, plan: dict | None, seller_addresses: set[str]) -> bool:
    sellers = {a.strip().lower() for a in seller_addresses or () if a}
    seller_email = ((plan or {}).get("seller") or {}).get("email")
    if seller_email:
        sellers.add(seller_email.strip().lower())
    return msg.from_addr.lower() not in sellers


def merge_proposals(proposals: list[dict]) -> list[dict]:
    """One proposal per path (per new milestone name for additions), evidence joined."""
    merged: dict[tuple, dict] = {}
    for proposal in proposals:
        key = (proposal["path"],)
        if proposal["path"].endswith("/-") and isinstance(proposal.get("new"), dict):
            key = (proposal["path"], str(proposal["new"].get("name", "")).casefold())
        kept = merged.get(key)
        if kept is None:
            merged[key] = dict(proposal)
            continue
        evidence = proposal.get("evidence") or ""
        if evidence and evidence not in (kept.get("evidence") or ""):
            kept["evidence"] = "\n".join(e for e in (kept.get("evidence"), evidence) if e)
    return list(merged.values())
