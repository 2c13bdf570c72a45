"""Use cases on a plan's conversation: sync its thread, send the updated plan into it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..auth import User
from ..errors import AddinError, Conflict, ValidationError
from ..ports import AbstractMailbox, AbstractUnitOfWork
from . import plans as plan_services
from . import replies as reply_services
from .plans import now_utc

log = logging.getLogger(__name__)

UowFactory = Callable[..., AbstractUnitOfWork]
MODES = ("send", "draft")


def sync_thread(uow_factory: UowFactory, user: User, plan_id: str, mailbox: AbstractMailbox,
                thread_id: str, *, max_bytes: int = 5 * 1024 * 1024) -> dict:
    """Ingest the thread's messages not seen before; report customer replies and others apart.

    Returns {"new": [customer replies], "other": [the seller's own and automatic messages],
    "skipped": n (already ingested), "total": n, "errors": [{"provider_id", "message"}]}.
    Every message is ingested (the seller's own too: ingestion marks them not from the customer).
    """
    seen = _prepare(uow_factory, user, plan_id, mailbox.provider, thread_id)
    messages = mailbox.list_thread(thread_id, skip_ids=frozenset(seen))
    report = {"new": [], "other": [], "skipped": 0, "total": len(messages), "errors": []}
    for message in messages:
        if message.provider_id in seen or not message.raw:
            report["skipped"] += 1
            continue
        try:
            result, created = reply_services.ingest_message(
                uow_factory(write=True), user, plan_id, message.raw,
                provider_message_id=message.provider_id, max_bytes=max_bytes)
        except AddinError as error:
            # One unreadable message must not hide the others: report it and go on.
            report["errors"].append({"provider_id": message.provider_id, "message": error.message})
            continue
        if not created:
            report["skipped"] += 1
        elif _is_customer_reply(result):
            report["new"].append(result)
        else:
            report["other"].append(result)
    return report


def _is_customer_reply(result: dict) -> bool:
    reply = result["reply"]
    return bool(reply["from_customer"]) and reply["intent"] != "auto_reply"


def _prepare(uow_factory, user: User, plan_id: str, provider: str, thread_id: str) -> set[str]:
    """Check the plan, link the thread when it is not yet linked; the provider ids already read."""
    with uow_factory(write=True) as uow:
        uow.repo.plan_row(plan_id, user.id)
        linked = uow.repo.plan_for_thread(user.id, provider, thread_id)
        if linked is not None and linked != plan_id:
            raise Conflict("This conversation belongs to another plan.", field="/thread_id")
        if linked is None:
            uow.repo.link_thread(plan_id, user.id, provider, thread_id, None, now_utc())
        seen = {m["provider_message_id"] for m in uow.repo.messages(plan_id)
                if m.get("provider_message_id")}
        uow.commit()
    return seen


class _DryRun(AbstractUnitOfWork):
    """A unit of work that is never committed: the service's work is rolled back on exit."""

    def __init__(self, inner: AbstractUnitOfWork):
        self._inner = inner

    def __enter__(self):
        self._inner.__enter__()
        self.repo = self._inner.repo
        return self

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)

    def commit(self) -> None:
        """Nothing is kept."""

    def rollback(self) -> None:
        self._inner.rollback()


def send_plan(uow_factory: UowFactory, user: User, plan_id: str, mailbox: AbstractMailbox,
              thread_id: str, reply_to_id: str | None = None, *, since: int | None = None,
              mode: str = "send") -> dict:
    """Send (or draft) the updated plan as a reply in the thread; only a sent one is marked sent.

    The email is rendered by replies.resend in a unit of work that is rolled back, so a failed
    send leaves the plan's "last sent version" as it was; after the provider accepted the reply,
    that exact version is marked sent and the thread linked.
    """
    if mode not in MODES:
        raise ValidationError("/mode must be send or draft.", field="/mode")
    body = {} if since is None else {"since": since}
    email = reply_services.resend(_DryRun(uow_factory(write=True)), user.id, plan_id, body)
    reply_to_id = reply_to_id or mailbox.latest_message_id(thread_id)
    if mode == "draft":
        draft_id = mailbox.create_reply_draft(thread_id, reply_to_id, email["subject"],
                                              email["html"], email["text"])
        return {**_summary(email), "draft_id": draft_id, "sent": False}
    sent_id = mailbox.send_reply(thread_id, reply_to_id, email["subject"], email["html"],
                                 email["text"])
    plan_services.link_thread(uow_factory(write=True), user.id, plan_id, {
        "provider": mailbox.provider, "thread_id": thread_id, "version": email["version"]})
    log.info("Plan %s version %s sent into its %s thread", plan_id, email["version"],
             mailbox.provider)
    return {**_summary(email), "message_id": sent_id, "sent": True}


def _summary(email: dict) -> dict:
    return {"version": email["version"], "since": email["since"], "subject": email["subject"],
            "changes_since": email["changes_since"]}
