"""Use cases on plans: create, revise, read, versions, diffs, threads, drafts."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from ..errors import BadRequest, NotFound, ValidationError
from ..jsontext import RawJSON
from ..plans.history import check_source, date_slips, field_changes
from ..plans.model import normalize, plan_title
from ..ports import AbstractUnitOfWork
from ..store.repository import utc
from .inputs import object_body

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
PROVIDERS = ("outlook", "gmail")


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def new_plan_id() -> str:
    """A short, unambiguous plan id (also the plan reference, MAP-<id>)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def iso(value: datetime | None) -> str | None:
    """An ISO 8601 UTC timestamp, or None."""
    value = utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


def create_plan(uow: AbstractUnitOfWork, owner: str, document, *, source: str = "seller_edit",
                now: datetime | None = None) -> dict:
    """Validate and store a new plan as version 1."""
    document = normalize(document)
    check_source(source)
    now = now or now_utc()
    with uow:
        plan_id = new_plan_id()
        uow.repo.add_plan(plan_id, owner, document, title=plan_title(document), author=owner,
                          source=source, now=now)
        uow.commit()
    return {"id": plan_id, "version": 1, "plan": document}


def revise_plan(uow: AbstractUnitOfWork, owner: str, plan_id: str, document, base_version: int,
                *, source: str = "seller_edit", author: str | None = None,
                now: datetime | None = None) -> dict:
    """Store document as the next version; stale base versions get PreconditionFailed."""
    document = normalize(document)
    check_source(source)
    now = now or now_utc()
    with uow:
        number = uow.repo.add_version(plan_id, owner, base_version, document,
                                      title=plan_title(document), author=author or owner,
                                      source=source, now=now)
        uow.commit()
    return {"id": plan_id, "version": number, "plan": document}


def get_plan(uow: AbstractUnitOfWork, owner: str, plan_id: str, *,
             plan_as_text: bool = False) -> dict:
    """The latest version with its status, threads and confirmations.

    With plan_as_text, "plan" is the stored JSON text (RawJSON) for a response to send as it is.
    """
    with uow:
        row = uow.repo.plan_overview(plan_id, owner, parse=not plan_as_text)
    return {
        "id": plan_id,
        "version": row["version"],
        "plan": RawJSON(row["document"]) if plan_as_text else row["document"],
        "plan_ref": f"MAP-{plan_id}",
        "title": row["title"],
        "status": row["status"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "sent_version": row["sent_version"],
        "confirmed_version": row["confirmed_version"],
        "open_proposals": row["open_proposals"],
        "threads": [{**t, "created_at": iso(t["created_at"])} for t in row["threads"]],
        "confirmations": [_confirmation_view(c) for c in row["confirmations"]],
    }


def _confirmation_view(row: dict) -> dict:
    return {
        "who": row["who"],
        "name": row["name"],
        "confirmed_at": iso(row["confirmed_at"]),
        "version": row["version"],
        "message": row["message_row"],
    }


def list_plans(uow: AbstractUnitOfWork, owner: str, thread: str | None = None) -> list[dict]:
    """The owner's plans, newest first; with thread, only the plan of that conversation."""
    with uow:
        rows = uow.repo.list_plans(owner)
        if thread is not None:
            provider, thread_id = parse_thread(thread)
            wanted = uow.repo.plan_for_thread(owner, provider, thread_id)
            rows = [r for r in rows if r["id"] == wanted]
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "version": r["version"],
            "status": r["status"],
            "sent_version": r["sent_version"],
            "confirmed_version": r["confirmed_version"],
            "created_at": iso(r["created_at"]),
            "updated_at": iso(r["updated_at"]),
        }
        for r in rows
    ]


def parse_thread(value: str) -> tuple[str, str]:
    """'outlook:<conversationId>' or 'gmail:<threadId>' as (provider, id)."""
    provider, _, thread_id = value.partition(":")
    if provider not in PROVIDERS or not thread_id:
        raise BadRequest(
            "thread must be written outlook:<conversationId> or gmail:<threadId>.", field="thread"
        )
    return provider, thread_id


def list_versions(uow: AbstractUnitOfWork, owner: str, plan_id: str) -> list[dict]:
    """Every version's metadata, with the number of fields its diff touched."""
    import json

    with uow:
        uow.repo.plan_row(plan_id, owner)
        rows = uow.repo.list_versions(plan_id)
    return [
        {
            "version": r["number"],
            "created_at": iso(r["created_at"]),
            "author": r["author"],
            "source": r["source"],
            "origin_message": r["origin_message_id"],
            "sent_at": iso(r["sent_at"]),
            "operations": len(json.loads(r["patch"])),
        }
        for r in rows
    ]


def get_version(uow: AbstractUnitOfWork, owner: str, plan_id: str, number: int) -> dict:
    """One version's plan, exactly as it was stored."""
    with uow:
        uow.repo.plan_row(plan_id, owner)
        meta = uow.repo.version_meta(plan_id, number)
        document = uow.repo.version_document(plan_id, number)
    return {
        "id": plan_id,
        "version": number,
        "created_at": iso(meta["created_at"]),
        "author": meta["author"],
        "source": meta["source"],
        "plan": document,
    }


def diff_versions(uow: AbstractUnitOfWork, owner: str, plan_id: str, a: int, b: int) -> dict:
    """Field-level changes from version a to version b."""
    with uow:
        uow.repo.plan_row(plan_id, owner)
        uow.repo.version_meta(plan_id, a)
        uow.repo.version_meta(plan_id, b)
        old = uow.repo.version_document(plan_id, a)
        new = uow.repo.version_document(plan_id, b)
    return {"from": a, "to": b, "changes": field_changes(old, new)}


def slips(uow: AbstractUnitOfWork, owner: str, plan_id: str) -> list[dict]:
    """How often each milestone's date moved over the plan's history."""
    with uow:
        row = uow.repo.plan_row(plan_id, owner)
        numbers = range(1, row["version"] + 1)
        documents = [(n, uow.repo.version_document(plan_id, n)) for n in numbers]
    return date_slips(documents)


def link_thread(uow: AbstractUnitOfWork, owner: str, plan_id: str, body, *,
                now: datetime | None = None) -> dict:
    """Link a conversation to the plan and record the version sent in it."""
    object_body(body, {"provider", "thread_id", "message_id", "version"})
    provider, thread_id = body.get("provider"), body.get("thread_id")
    if provider not in PROVIDERS:
        raise ValidationError("/provider must be one of: outlook, gmail.", field="/provider")
    if not isinstance(thread_id, str) or not thread_id.strip() or len(thread_id) > 500:
        raise ValidationError("/thread_id must be a non-empty string.", field="/thread_id")
    message_id = body.get("message_id")
    if message_id is not None and (not isinstance(message_id, str) or len(message_id) > 998):
        raise ValidationError("/message_id must be a string.", field="/message_id")
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValidationError("/version must be an integer.", field="/version")
    now = now or now_utc()
    with uow:
        row = uow.repo.plan_row(plan_id, owner)
        version = version or row["version"]
        if not 1 <= version <= row["version"]:
            raise ValidationError(f"/version {version} does not exist.", field="/version")
        uow.repo.link_thread(plan_id, owner, provider, thread_id, message_id, now)
        uow.repo.mark_sent(plan_id, version, now)
        uow.commit()
    return {"id": plan_id, "provider": provider, "thread_id": thread_id, "sent_version": version}


def save_draft(uow: AbstractUnitOfWork, owner: str, key: str, document, *,
               now: datetime | None = None) -> dict:
    """Autosave the seller's work in progress (no version is made)."""
    if not isinstance(document, dict):
        raise ValidationError("The draft must be a JSON object.", field="")
    if not key or len(key) > 500:
        raise ValidationError("The draft key must be 1 to 500 characters.", field="key")
    now = now or now_utc()
    with uow:
        uow.repo.save_draft(owner, key, document, now)
        uow.commit()
    return {"key": key, "saved_at": iso(now)}


def get_draft(uow: AbstractUnitOfWork, owner: str, key: str) -> dict:
    """The saved draft, or NotFound."""
    with uow:
        draft = uow.repo.draft(owner, key)
    if draft is None:
        raise NotFound("No draft saved under that key.", field="key")
    return {"key": key, "document": draft["document"], "saved_at": iso(draft["updated_at"])}
