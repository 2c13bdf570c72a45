"""Push notifications: a durable store, a processor that resyncs threads, watch renewal.

Webhooks only record what arrived (deduplicated) and answer at once; `process_pending` does the
work later, from a CLI command or a test. A notification is claimed with a lease, so a crashed
worker's claim expires and another picks it up; a failure is retried with backoff, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..auth import User
from ..errors import AddinError, NotFound
from ..mailboxes.base import CursorExpired
from .plans import now_utc
from .sync import sync_thread

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claimed notification is retried after this if its worker died
MAX_BACKOFF = timedelta(hours=1)
GMAIL_WATCH_DAYS = 7
GRAPH_MAX_MINUTES = 10_070  # Graph allows 10,080 for messages; keep a little slack
RENEW_WITHIN = timedelta(days=1)


class PushError(AddinError):
    """A notification that cannot be processed now (retried later)."""

    code = "push_failed"
    status = 503


class PushNotConfigured(AddinError):
    """Push was asked for but this server lacks the settings for it."""

    code = "push_not_configured"
    status = 409


@dataclass
class PushDeps:
    """What processing needs: storage, mailbox factories and token providers, settings."""

    uow_factory: Callable
    mailboxes: Mapping
    config: Mapping
    rand: Callable[[], float] = field(default=random.random)


def deps_for(app) -> PushDeps:
    """The push dependencies of a Flask app."""
    addin = app.extensions["addin"]
    return PushDeps(uow_factory=addin.uow, mailboxes=addin.mailboxes, config=app.config)


# storing -----------------------------------------------------------------------------------


def dedupe_key(*parts: str) -> str:
    """A stable key from the parts; long ones are hashed to fit the column."""
    key = ":".join(str(p) for p in parts)
    return key if len(key) <= 400 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def record(uow_factory: Callable, provider: str, key: str, payload: dict,
           now: datetime | None = None) -> bool:
    """Store a notification once; False when that key was already stored."""
    now = now or now_utc()
    with uow_factory(write=True) as uow:
        table = uow.repo.notifications
        exists = uow.repo.c.execute(select(table.c.id).where(
            table.c.provider == provider, table.c.dedupe_key == key)).first()
        if exists:
            return False
        try:
            uow.repo.c.execute(insert(table).values(
                provider=provider, dedupe_key=key, payload=json.dumps(payload),
                received_at=now, status="pending", attempts=0, next_attempt_at=now))
            uow.commit()
        except IntegrityError:  # a concurrent delivery of the same notification won the race
            return False
    return True


def watch_by_external_id(uow_factory: Callable, provider: str, external_id: str) -> dict | None:
    """The watch (Gmail mailbox or Graph subscription) with that external id."""
    with uow_factory() as uow:
        table = uow.repo.mailbox_watches
        row = uow.repo.c.execute(select(table).where(
            table.c.provider == provider, table.c.external_id == external_id)).mappings().first()
        return dict(row) if row else None


# processing --------------------------------------------------------------------------------


def process_pending(deps: PushDeps, now: datetime | None = None, limit: int = 100) -> dict:
    """Process every notification that is due; returns counts of done and failed."""
    now = now or now_utc()
    counts = {"done": 0, "failed": 0}
    for row_id in _due(deps.uow_factory, now, limit):
        row = _claim(deps.uow_factory, row_id, now)
        if row is None:
            continue  # another worker has it
        try:
            note = _process(deps, row["provider"], json.loads(row["payload"]), now)
        except Exception as error:  # any failure is recorded and retried, never lost
            _failed(deps, row, error, now)
            counts["failed"] += 1
            continue
        _done(deps.uow_factory, row["id"], now, note)
        counts["done"] += 1
    return counts


def _due(uow_factory, now: datetime, limit: int) -> list[int]:
    with uow_factory() as uow:
        table = uow.repo.notifications
        return list(uow.repo.c.execute(
            select(table.c.id).where(
                table.c.status == "pending",
                or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now))
            .order_by(table.c.received_at, table.c.id).limit(limit)).scalars())


def _claim(uow_factory, row_id: int, now: datetime) -> dict | None:
    """Take a due notification for LEASE; None when someone else took it first."""
    with uow_factory(write=True) as uow:
        table = uow.repo.notifications
        claimed = uow.repo.c.execute(
            update(table).where(
                table.c.id == row_id, table.c.status == "pending",
                or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now))
            .values(attempts=table.c.attempts + 1, next_attempt_at=now + LEASE)).rowcount
        if claimed != 1:
            return None
        row = dict(uow.repo.c.execute(select(table).where(table.c.id == row_id)).mappings().one())
        uow.commit()
    return row


def _done(uow_factory, row_id: int, now: datetime, note: str | None) -> None:
    with uow_factory(write=True) as uow:
        table = uow.repo.notifications
        uow.repo.c.execute(update(table).where(table.c.id == row_id).values(
            status="done", processed_at=now, next_attempt_at=None, last_error=note))
        uow.commit()


def _failed(deps: PushDeps, row: dict, error: Exception, now: datetime) -> None:
    """Keep it pending with exponential backoff and jitter; record why without secrets."""
    reason = error.message if isinstance(error, AddinError) else type(error).__name__
    log.warning("Notification %s failed (attempt %s): %s", row["id"], row["attempts"], reason)
    backoff = min(MAX_BACKOFF, timedelta(seconds=30 * 2 ** (row["attempts"] - 1)))
    wait = backoff * (0.5 + deps.rand() / 2)
    with deps.uow_factory(write=True) as uow:
        table = uow.repo.notifications
        uow.repo.c.execute(update(table).where(table.c.id == row["id"]).values(
            status="pending", next_attempt_at=now + wait, last_error=reason[:1000]))
        uow.commit()


def _process(deps: PushDeps, provider: str, payload: dict, now: datetime) -> str | None:
    if provider == "gmail":
        return _process_gmail(deps, payload, now)
    if provider == "outlook":
        return _process_graph(deps, payload, now)
    return f"unknown provider {provider}"


def _token(deps: PushDeps, key: str, owner: str) -> str:
    token = deps.mailboxes[key](owner)
    if not token:
        raise PushError("No mailbox token is available for this user; it will be retried.")
    return token


def _user(owner: str, email: str | None = None) -> User:
    return User(id=owner, email=(email or (owner if "@" in owner else "")).lower())


def _process_gmail(deps: PushDeps, payload: dict, now: datetime) -> str | None:
    """Walk history from the stored cursor and resync the plans' threads it names."""
    address = str(payload.get("emailAddress") or "").lower()
    history_id = int(payload.get("historyId") or 0)
    watch = watch_by_external_id(deps.uow_factory, "gmail", address)
    if watch is None:
        return "no watch for this mailbox"
    cursor = watch["cursor"]
    if cursor and history_id <= int(cursor):
        return "nothing new"  # an old or repeated notification: the cursor is already past it
    mailbox = deps.mailboxes["gmail"](_token(deps, "gmail_token_for", watch["owner"]))
    threads, new_cursor = _changed_threads(deps, watch, mailbox, history_id)
    _resync(deps, _user(watch["owner"], address), mailbox, threads)
    _advance_cursor(deps.uow_factory, watch["id"], new_cursor, now)
    return None


def _changed_threads(deps: PushDeps, watch: dict, mailbox, history_id: int):
    """Threads with new messages since the cursor, and the next cursor.

    Without a usable cursor (none yet, or too old for Gmail: 404) every linked thread is read.
    """
    if watch["cursor"]:
        try:
            page = mailbox.history(watch["cursor"])
            return page.thread_ids, page.history_id
        except CursorExpired:
            log.info("Gmail history cursor of watch %s expired: full resync", watch["id"])
    return _linked_threads(deps, watch["owner"], "gmail"), str(history_id)


def _resync(deps: PushDeps, user: User, mailbox, threads: list[str]) -> int:
    """Sync each thread linked to one of the user's plans; others are not ours to read."""
    synced = 0
    for thread_id in threads:
        with deps.uow_factory() as uow:
            plan_id = uow.repo.plan_for_thread(user.id, mailbox.provider, thread_id)
        if plan_id:
            sync_thread(deps.uow_factory, user, plan_id, mailbox, thread_id)
            synced += 1
    return synced


def _linked_threads(deps: PushDeps, owner: str, provider: str) -> list[str]:
    with deps.uow_factory() as uow:
        threads = []
        for plan in uow.repo.list_plans(owner):
            threads += [t["thread_id"] for t in uow.repo.threads(plan["id"])
                        if t["provider"] == provider]
    return threads


def _advance_cursor(uow_factory, watch_id: int, cursor: str, now: datetime) -> None:
    """Move the cursor forward only: an out-of-order notification never moves it back."""
    with uow_factory(write=True) as uow:
        table = uow.repo.mailbox_watches
        current = uow.repo.c.execute(select(table.c.cursor).where(
            table.c.id == watch_id).with_for_update()).scalar()
        if current is None or int(cursor) > int(current):
            uow.repo.c.execute(update(table).where(table.c.id == watch_id).values(
                cursor=str(cursor), updated_at=now))
        uow.commit()


def _process_graph(deps: PushDeps, payload: dict, now: datetime) -> str | None:
    """A change notification resyncs its conversation; lifecycle events renew or resync."""
    watch = watch_by_external_id(deps.uow_factory, "outlook", payload.get("subscriptionId", ""))
    if watch is None:
        return "unknown subscription"
    mailbox = deps.mailboxes["outlook"](_token(deps, "graph_token_for", watch["owner"]))
    user = _user(watch["owner"])
    event = payload.get("lifecycleEvent")
    if event == "reauthorizationRequired":
        _renew_graph(deps, watch, mailbox, now)
        return "renewed"
    if event == "subscriptionRemoved":
        _recreate_graph(deps, watch, mailbox, now)
        return "recreated"
    if event == "missed":
        _resync(deps, user, mailbox, _linked_threads(deps, watch["owner"], "outlook"))
        return "resynced after missed notifications"
    message_id = (payload.get("resourceData") or {}).get("id") or _last_segment(
        payload.get("resource"))
    conversation = mailbox.conversation_of(message_id) if message_id else None
    if not conversation:
        return "message no longer there"
    _resync(deps, user, mailbox, [conversation])
    return None


def _last_segment(resource: str | None) -> str | None:
    return resource.rstrip("/").rsplit("/", 1)[-1] if resource else None


# watches: start, renew ----------------------------------------------------------------------


def start_gmail_watch(deps: PushDeps, owner: str, mailbox, now: datetime | None = None) -> dict:
    """users.watch the owner's mailbox to the configured topic and store the cursor."""
    topic = deps.config.get("GOOGLE_PUBSUB_TOPIC")
    if not topic:
        raise PushNotConfigured("Gmail push needs ADDIN_GOOGLE_PUBSUB_TOPIC "
                                "(projects/<p>/topics/<t>) on the server.")
    now = now or now_utc()
    address = mailbox.my_address()
    answer = mailbox.watch(topic)
    _upsert_watch(deps.uow_factory, owner, "gmail", address, now, cursor=answer["history_id"],
                  expires_at=answer["expires_at"])
    return {"provider": "gmail", "mailbox": address, "expires_at": answer["expires_at"]}


def start_graph_subscription(deps: PushDeps, owner: str, mailbox,
                             now: datetime | None = None) -> dict:
    """Subscribe to new messages in the owner's inbox; the clientState is a fresh secret."""
    if not deps.config.get("MS_CLIENT_ID"):
        raise PushNotConfigured("Outlook push needs the app registration (ADDIN_MS_CLIENT_ID) "
                                "on the server.")
    now = now or now_utc()
    url = graph_webhook_url(deps.config)
    client_state = secrets.token_urlsafe(48)
    created = mailbox.create_subscription(
        notification_url=url, lifecycle_url=url, client_state=client_state,
        expires_at=now + timedelta(minutes=GRAPH_MAX_MINUTES))
    _upsert_watch(deps.uow_factory, owner, "outlook", created["id"], now,
                  client_state=client_state, expires_at=created["expires_at"])
    return {"provider": "outlook", "subscription": created["id"],
            "expires_at": created["expires_at"]}


def graph_webhook_url(config: Mapping) -> str:
    """Where Graph posts notifications (and lifecycle events)."""
    return config.get("GRAPH_NOTIFICATION_URL") or (
        config["BASE_URL"].rstrip("/") + "/webhooks/graph")


def _upsert_watch(uow_factory, owner: str, provider: str, external_id: str, now: datetime,
                  **values) -> None:
    with uow_factory(write=True) as uow:
        table = uow.repo.mailbox_watches
        changed = uow.repo.c.execute(update(table).where(
            table.c.provider == provider, table.c.external_id == external_id).values(
            owner=owner, status="active", updated_at=now, **values)).rowcount
        if not changed:
            uow.repo.c.execute(insert(table).values(
                owner=owner, provider=provider, external_id=external_id, status="active",
                updated_at=now, **values))
        uow.commit()


def renew_watches(deps: PushDeps, now: datetime | None = None,
                  within: timedelta = RENEW_WITHIN) -> dict:
    """Renew every active watch expiring within `within` (Gmail's last 7 days, Graph's ~3)."""
    now = now or now_utc()
    with deps.uow_factory() as uow:
        table = uow.repo.mailbox_watches
        rows = [dict(r) for r in uow.repo.c.execute(select(table).where(
            table.c.status == "active", table.c.expires_at <= now + within)).mappings()]
    report = {"renewed": 0, "failed": 0}
    for watch in rows:
        try:
            _renew(deps, watch, now)
            report["renewed"] += 1
        except Exception as error:  # one mailbox failing must not stop the others
            reason = error.message if isinstance(error, AddinError) else type(error).__name__
            log.warning("Renewing %s watch %s failed: %s", watch["provider"], watch["id"], reason)
            report["failed"] += 1
    return report


def _renew(deps: PushDeps, watch: dict, now: datetime) -> None:
    if watch["provider"] == "gmail":
        mailbox = deps.mailboxes["gmail"](_token(deps, "gmail_token_for", watch["owner"]))
        answer = mailbox.watch(deps.config["GOOGLE_PUBSUB_TOPIC"])
        _set_watch(deps.uow_factory, watch["id"], now, expires_at=answer["expires_at"])
    else:
        mailbox = deps.mailboxes["outlook"](_token(deps, "graph_token_for", watch["owner"]))
        _renew_graph(deps, watch, mailbox, now)


def _renew_graph(deps: PushDeps, watch: dict, mailbox, now: datetime) -> None:
    try:
        renewed = mailbox.renew_subscription(
            watch["external_id"], now + timedelta(minutes=GRAPH_MAX_MINUTES))
    except NotFound:
        _recreate_graph(deps, watch, mailbox, now)
        return
    _set_watch(deps.uow_factory, watch["id"], now, expires_at=renewed["expires_at"])


def _recreate_graph(deps: PushDeps, watch: dict, mailbox, now: datetime) -> None:
    """A removed subscription is replaced; the old row is marked so its notifications stop."""
    _set_watch(deps.uow_factory, watch["id"], now, status="removed")
    start_graph_subscription(deps, watch["owner"], mailbox, now)


def _set_watch(uow_factory, watch_id: int, now: datetime, **values) -> None:
    with uow_factory(write=True) as uow:
        table = uow.repo.mailbox_watches
        uow.repo.c.execute(update(table).where(table.c.id == watch_id).values(
            updated_at=now, **values))
        uow.commit()
