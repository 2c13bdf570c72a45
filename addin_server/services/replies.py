"""Use cases on replies: ingest a message, decide a proposal, resend the plan."""

from __future__ import annotations

import datetime as dt
import re

from ..auth import User
from ..errors import Conflict, ValidationError
from ..mailtext.readback import find_plan_ref
from ..mailtext.render import render_email
from ..mailtext.sanitize import html_to_text, sanitize_html
from ..plans.history import apply_patch, field_changes, label_for
from ..plans.model import normalize, plan_title
from ..ports import AbstractUnitOfWork
from ..replies.analyze import analyze_reply
from ..replies.mime import parse_message
from ..replies.reply_html import new_part
from .inputs import object_body
from .plans import iso, now_utc

_ITEM_PATH = re.compile(r"^/(milestones|stakeholders)/(\d+|-)(/.*)?$")


def ingest_message(uow: AbstractUnitOfWork, user: User, plan_id: str, raw: bytes, *,
                   provider_message_id: str | None = None, now: dt.datetime | None = None,
                   max_bytes: int = 5 * 1024 * 1024) -> tuple[dict, bool]:
    """Read one email into the plan: its new text, intent and proposals. Idempotent by Message-ID.

    Returns the result and whether the message was new.
    """
    message = parse_message(raw, max_bytes=max_bytes)
    now = now or now_utc()
    with uow:
        row = uow.repo.plan_row(plan_id, user.id, for_update=True)
        known = uow.repo.message_by_message_id(plan_id, message.message_id)
        if known is not None:
            return _message_view(known, uow.repo.proposals(plan_id, message_row=known["id"])), False
        seen_version = _seen_version(uow, plan_id, row, message)
        seen = (
            row["document"] if seen_version == row["version"]
            else uow.repo.version_document(plan_id, seen_version)
        )
        analysis = analyze_reply(message, seen, seller_addresses=_seller_addresses(user, row),
                                 today=now.date())
        message_row = uow.repo.add_message(
            plan_id,
            message_id=message.message_id,
            provider_message_id=provider_message_id,
            from_addr=message.from_addr or "",
            from_name=message.from_name or "",
            sent_at=message.date or now,
            subject=(message.subject or "")[:1000],
            text=analysis.text,
            html=_customer_html(message.html),
            intent=analysis.intent,
            from_customer=analysis.from_customer,
            seen_version=seen_version,
            questions=analysis.questions,
            created_at=now,
        )
        for proposal in _rebase(analysis.proposals, seen, row["document"]):
            uow.repo.add_proposal(plan_id, message_row=message_row, base_version=seen_version,
                                  status="open", created_at=now, **proposal)
        if analysis.from_customer and analysis.intent == "confirm":
            _record_confirmation(uow, plan_id, message, message_row, seen_version, now)
        stored = uow.repo.message_by_message_id(plan_id, message.message_id)
        result = _message_view(stored, uow.repo.proposals(plan_id, message_row=message_row))
        uow.commit()
    return result, True


def _customer_html(html: str | None) -> str | None:
    """The reply's own HTML (not the quoted plan), sanitised once here, before it is stored."""
    head = new_part(html) if html else None
    return sanitize_html(head) if head else None


def _seen_version(uow, plan_id: str, row: dict, message) -> int:
    """The version the customer saw: the one in the quoted footer, else the last one sent."""
    body = message.text or (html_to_text(message.html) if message.html else "")
    ref = find_plan_ref(body)
    if ref and ref[0] == plan_id and 1 <= ref[1] <= row["version"]:
        return ref[1]
    return uow.repo.last_sent_version(plan_id) or row["version"]


def _seller_addresses(user: User, row: dict) -> set[str]:
    addresses = {user.email.lower()} if user.email else set()
    seller = (row["document"].get("seller") or {}).get("email")
    if seller:
        addresses.add(seller.lower())
    return addresses


def _record_confirmation(uow, plan_id, message, message_row, version, now) -> None:
    uow.repo.add_confirmation(
        plan_id, message_row=message_row, who=message.from_addr or "",
        name=message.from_name or "", confirmed_at=message.date or now, version=version,
        created_at=now,
    )
    uow.repo.set_status(plan_id, status="confirmed", confirmed_version=version)


def _rebase(proposals: list[dict], seen: dict, current: dict) -> list[dict]:
    """Proposals against the seen version, restated against the current one; stale ones dropped."""
    out = []
    for proposal in proposals:
        path = resolve_path(proposal["path"], proposal.get("item_id"), current)
        if path is None:
            continue
        old = _value_at(current, path)
        if not path.endswith("/-") and old == proposal.get("new"):
            continue  # the plan already says what the customer asks for
        out.append({
            "path": path,
            "item_id": proposal.get("item_id"),
            "old": old if not path.endswith("/-") else None,
            "new": proposal.get("new"),
            "label": proposal.get("label") or label_for(path, current, seen),
            "evidence": (proposal.get("evidence") or "")[:2000],
        })
    return out


def resolve_path(path: str, item_id: str | None, document: dict) -> str | None:
    """The path re-pointed at the item with item_id in document (indexes shift between versions)."""
    match = _ITEM_PATH.match(path)
    if not match or not item_id or match.group(2) == "-":
        return path
    collection, rest = match.group(1), match.group(3) or ""
    for index, item in enumerate(document.get(collection) or []):
        if item.get("id") == item_id:
            return f"/{collection}/{index}{rest}"
    return None


def _value_at(document: dict, path: str):
    node = document
    for part in path.lstrip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return node


def list_messages(uow: AbstractUnitOfWork, owner: str, plan_id: str) -> list[dict]:
    """Every ingested message with its proposals, oldest first."""
    with uow:
        uow.repo.plan_row(plan_id, owner)
        messages = uow.repo.messages(plan_id)
        proposals = uow.repo.proposals(plan_id)
    by_message: dict[int, list] = {}
    for proposal in proposals:
        by_message.setdefault(proposal["message_row"], []).append(proposal)
    return [_message_view(m, by_message.get(m["id"], [])) for m in messages]


def _message_view(message: dict, proposals: list[dict]) -> dict:
    return {
        "id": message["id"],
        "message_id": message["message_id"],
        "reply": {
            "from": message["from_addr"],
            "from_name": message["from_name"],
            "sent_at": iso(message["sent_at"]),
            "subject": message["subject"],
            "text": message["text"],
            "html": message["html"],
            "intent": message["intent"],
            "from_customer": message["from_customer"],
            "seen_version": message["seen_version"],
            "questions": message["questions"],
        },
        "proposals": [_proposal_view(p) for p in proposals],
    }


def _proposal_view(proposal: dict) -> dict:
    return {
        "id": proposal["id"],
        "path": proposal["path"],
        "old": proposal["old"],
        "new": proposal["new"],
        "label": proposal["label"],
        "evidence": proposal["evidence"],
        "status": proposal["status"],
        "result_version": proposal["result_version"],
    }


def decide(uow: AbstractUnitOfWork, owner: str, plan_id: str, proposal_id: int, *,
           accept: bool, now: dt.datetime | None = None) -> dict:
    """Accept (a new version with source customer_reply) or reject a proposal."""
    now = now or now_utc()
    with uow:
        row = uow.repo.plan_row(plan_id, owner, for_update=True)
        proposal = uow.repo.proposal(plan_id, proposal_id, for_update=True)
        if proposal["status"] != "open":
            raise Conflict(f"This proposal was already {proposal['status']}.", field="/status")
        version = row["version"]
        if accept:
            document = _applied(row["document"], proposal)
            message = _message_of(uow, plan_id, proposal["message_row"])
            version = uow.repo.add_version(
                plan_id, owner, row["version"], document, title=plan_title(document),
                author=message.get("from_addr") or owner, source="customer_reply", now=now,
                origin_message_id=proposal["message_row"],
            )
        uow.repo.decide_proposal(
            proposal_id, status="accepted" if accept else "rejected", decided_at=now,
            decided_by=owner, result_version=version if accept else None,
        )
        decided = uow.repo.proposal(plan_id, proposal_id)
        uow.commit()
    return {"id": plan_id, "version": version, "proposal": _proposal_view(decided)}


def _message_of(uow, plan_id: str, message_row: int) -> dict:
    for message in uow.repo.messages(plan_id):
        if message["id"] == message_row:
            return message
    return {}


def _applied(document: dict, proposal: dict) -> dict:
    """The document with the proposal applied, validated; a stale proposal is a Conflict."""
    path = resolve_path(proposal["path"], proposal.get("item_id"), document)
    if path is None:
        raise Conflict("The item this proposal changes is no longer in the plan.", field="/path")
    if path.endswith("/-"):
        operation = {"op": "add", "path": path, "value": proposal["new"]}
    elif proposal["new"] is None:
        operation = {"op": "remove", "path": path}
    elif _value_at(document, path) is None:
        operation = {"op": "add", "path": path, "value": proposal["new"]}
    else:
        operation = {"op": "replace", "path": path, "value": proposal["new"]}
    try:
        changed = apply_patch(document, [operation])
    except Exception as error:  # jsonpatch raises several types for a path that no longer fits
        raise Conflict("The plan changed so this proposal no longer applies.", field=path) from (
            error)
    try:
        return normalize(changed)
    except ValidationError as error:
        raise Conflict(f"Accepting this would make the plan invalid: {error.message}",
                       field=error.field) from error


def resend(uow: AbstractUnitOfWork, owner: str, plan_id: str, body: dict, *,
           now: dt.datetime | None = None) -> dict:
    """The current plan as an email with what changed since the version the customer last saw."""
    object_body(body, {"since"})
    since = body.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool)):
        raise ValidationError("/since must be a version number.", field="/since")
    now = now or now_utc()
    with uow:
        row = uow.repo.plan_row(plan_id, owner, for_update=True)
        since = since or uow.repo.last_sent_version(plan_id) or 1
        if not 1 <= since <= row["version"]:
            raise ValidationError(f"/since: there is no version {since}.", field="/since")
        old = uow.repo.version_document(plan_id, since)
        changes = field_changes(old, row["document"])
        uow.repo.mark_sent(plan_id, row["version"], now)
        uow.commit()
    rendered = render_email(row["document"], plan_id=plan_id, version=row["version"],
                            changes_since=changes, since_version=since, validated=True)
    return {**rendered, "version": row["version"], "since": since, "changes_since": changes}

