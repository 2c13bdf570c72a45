"""The SQL repository and unit of work: every query is scoped to the plan's owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, func, insert, literal_column, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound, PreconditionFailed
from ..plans.history import apply_patch, make_patch
from ..ports import AbstractRepository, AbstractUnitOfWork
from .jsonagg import json_fields, json_rows
from .prepared import PreparedSelect
from .tables import (
    confirmations,
    drafts,
    mailbox_watches,
    messages,
    notifications,
    plan_threads,
    plan_versions,
    plans,
    proposals,
)

# A full copy is kept every this many versions, so reading any version applies at most
# this many small patches while storage stays close to the size of the changes.
SNAPSHOT_EVERY = 50


def dumps(value) -> str:
    """Compact JSON that keeps non-ASCII text as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def utc(value: datetime | None) -> datetime | None:
    """A datetime as aware UTC (SQLite hands back naive values)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SqlUnitOfWork(AbstractUnitOfWork):
    """A transaction on one connection; writers on SQLite take the write lock when they begin.

    Readers (write=False) cannot commit. On PostgreSQL they run in autocommit: under READ
    COMMITTED, the default, each statement sees what was committed when it began, in a
    transaction or not, so BEGIN and ROLLBACK were two round trips that changed nothing.
    On SQLite readers keep a deferred transaction: one snapshot for all their statements.
    """

    def __init__(self, engine: Engine, write: bool = False, *,
                 engines: dict[bool, Engine] | None = None):
        self.engine = (engines or self.engines(engine))[write]
        self.write = write
        # In autocommit there is no transaction to begin (SQLAlchemy still begins one of its own
        # when a statement runs through it; rolling that back costs nothing on the server).
        self.begins = write or self.engine.dialect.name == "sqlite"
        self.connection: Connection | None = None

    @staticmethod
    def engines(engine: Engine) -> dict[bool, Engine]:
        """The engines for readers (False) and writers (True); an app makes them once."""
        if engine.dialect.name == "sqlite":
            return {False: engine, True: engine.execution_options(sqlite_immediate=True)}
        return {False: engine.execution_options(isolation_level="AUTOCOMMIT"), True: engine}

    def __enter__(self):
        self.connection = self.engine.connect()
        if self.begins:
            self.connection.begin()
        self.repo = SqlRepository(self.connection)
        return self

    def __exit__(self, *exc):
        try:
            self.rollback()
        finally:
            self.connection.close()

    def commit(self) -> None:
        if not self.write:
            raise RuntimeError("A unit of work opened for reading cannot commit; open it to write.")
        self.connection.commit()

    def rollback(self) -> None:
        if self.connection is not None and self.connection.in_transaction():
            self.connection.rollback()


class SqlRepository(AbstractRepository):
    """Plans and everything hanging off them, on one connection."""

    def __init__(self, connection: Connection):
        self.c = connection

    # plans and versions -------------------------------------------------------------------

    def add_plan(self, plan_id: str, owner: str, document: dict, *, title: str, author: str,
                 source: str, now: datetime) -> None:
        """Insert a plan and its version 1 (a full snapshot)."""
        self.c.execute(
            insert(plans).values(
                id=plan_id, owner=owner, created_at=now, updated_at=now, version=1,
                document=dumps(document), title=title, status="draft",
            )
        )
        self._insert_version(plan_id, 1, author, source, now, [], document, None)

    def plan_row(self, plan_id: str, owner: str, *, for_update: bool = False,
                 parse: bool = True) -> dict:
        """The plan's row, or NotFound; its document parsed, or the stored JSON text."""
        if for_update:
            query = select(plans).where(plans.c.id == plan_id, plans.c.owner == owner)
            found = self.c.execute(query.with_for_update()).mappings().first()
            row = dict(found) if found is not None else None
        else:
            row = _PLAN.first(self.c, id=plan_id, owner=owner)
        return _found_plan(row, plan_id, parse)

    def plan_overview(self, plan_id: str, owner: str, *, parse: bool = True) -> dict:
        """The plan's row, how many open proposals it has, its threads and confirmations."""
        row = _found_plan(_OVERVIEW.first(self.c, id=plan_id, owner=owner), plan_id, parse)
        row["threads"] = _listed(row["threads"], "created_at")
        row["confirmations"] = _listed(row["confirmations"], "confirmed_at")
        return row

    def list_plans(self, owner: str) -> list[dict]:
        """The owner's plans, newest first, without documents."""
        query = (
            select(plans.c.id, plans.c.title, plans.c.version, plans.c.status, plans.c.created_at,
                   plans.c.updated_at, plans.c.sent_version, plans.c.confirmed_version)
            .where(plans.c.owner == owner)
            .order_by(plans.c.updated_at.desc(), plans.c.id)
        )
        return [dict(r) for r in self.c.execute(query).mappings()]

    def add_version(self, plan_id: str, owner: str, base_version: int, document: dict, *,
                    title: str, author: str, source: str, now: datetime,
                    origin_message_id: int | None = None) -> int:
        """Store document as the version after base_version; PreconditionFailed when stale."""
        current = self.plan_row(plan_id, owner, for_update=True)
        if current["version"] != base_version:
            raise _stale(current["version"], base_version)
        number = base_version + 1
        result = self.c.execute(
            update(plans)
            .where(plans.c.id == plan_id, plans.c.owner == owner, plans.c.version == base_version)
            .values(version=number, document=dumps(document), updated_at=now, title=title)
        )
        if result.rowcount != 1:
            raise _stale(None, base_version)
        patch = make_patch(current["document"], document)
        try:
            self._insert_version(
                plan_id, number, author, source, now, patch, document, origin_message_id
            )
        except IntegrityError:
            raise _stale(None, base_version) from None
        return number

    def _insert_version(self, plan_id, number, author, source, now, patch, document, origin):
        snapshot = dumps(document) if number == 1 or number % SNAPSHOT_EVERY == 0 else None
        self.c.execute(
            insert(plan_versions).values(
                plan_id=plan_id, number=number, created_at=now, author=author, source=source,
                patch=dumps(patch), snapshot=snapshot, origin_message_id=origin,
            )
        )

    def version_document(self, plan_id: str, number: int) -> dict:
        """The plan exactly as it was at version number (caller has checked ownership)."""
        base = self.c.execute(
            select(plan_versions.c.number, plan_versions.c.snapshot)
            .where(
                plan_versions.c.plan_id == plan_id,
                plan_versions.c.number <= number,
                plan_versions.c.snapshot.is_not(None),
            )
            .order_by(plan_versions.c.number.desc())
            .limit(1)
        ).first()
        if base is None:
            raise NotFound(f"No version {number}.", field="/version")
        document = json.loads(base.snapshot)
        patches = self.c.execute(
            select(plan_versions.c.patch)
            .where(
                plan_versions.c.plan_id == plan_id,
                plan_versions.c.number > base.number,
                plan_versions.c.number <= number,
            )
            .order_by(plan_versions.c.number)
        ).scalars()
        for patch in patches:
            document = apply_patch(document, json.loads(patch))
        return document

    def list_versions(self, plan_id: str) -> list[dict]:
        """Every version's metadata, oldest first."""
        query = (
            select(plan_versions.c.number, plan_versions.c.created_at, plan_versions.c.author,
                   plan_versions.c.source, plan_versions.c.origin_message_id,
                   plan_versions.c.sent_at, plan_versions.c.patch)
            .where(plan_versions.c.plan_id == plan_id)
            .order_by(plan_versions.c.number)
        )
        return [dict(r) for r in self.c.execute(query).mappings()]

    def version_meta(self, plan_id: str, number: int) -> dict:
        """One version's metadata, or NotFound."""
        row = self.c.execute(
            select(plan_versions.c.number, plan_versions.c.created_at, plan_versions.c.author,
                   plan_versions.c.source, plan_versions.c.origin_message_id,
                   plan_versions.c.sent_at)
            .where(plan_versions.c.plan_id == plan_id, plan_versions.c.number == number)
        ).mappings().first()
        if row is None:
            raise NotFound(f"No version {number}.", field="/version")
        return dict(row)

    def mark_sent(self, plan_id: str, number: int, now: datetime) -> None:
        """Record that version number went out to the customer."""
        self.c.execute(
            update(plan_versions)
            .where(plan_versions.c.plan_id == plan_id, plan_versions.c.number == number)
            .values(sent_at=now)
        )
        self.c.execute(
            update(plans).where(plans.c.id == plan_id).values(
                sent_version=number, status="sent", updated_at=now)
        )

    def last_sent_version(self, plan_id: str) -> int | None:
        """The newest version sent to the customer."""
        return self.c.execute(
            select(func.max(plan_versions.c.number)).where(
                plan_versions.c.plan_id == plan_id, plan_versions.c.sent_at.is_not(None))
        ).scalar()

    def set_status(self, plan_id: str, **values) -> None:
        """Update the plan row's status fields (status, confirmed_version)."""
        self.c.execute(update(plans).where(plans.c.id == plan_id).values(**values))

    # threads -----------------------------------------------------------------------------

    def link_thread(self, plan_id: str, owner: str, provider: str, thread_id: str,
                    message_id: str | None, now: datetime) -> None:
        """Link a conversation to the plan (re-linking moves it to this plan)."""
        existing = self.c.execute(
            select(plan_threads.c.id).where(
                plan_threads.c.owner == owner, plan_threads.c.provider == provider,
                plan_threads.c.thread_id == thread_id)
        ).scalar()
        if existing:
            self.c.execute(update(plan_threads).where(plan_threads.c.id == existing).values(
                plan_id=plan_id, message_id=message_id))
            return
        self.c.execute(insert(plan_threads).values(
            plan_id=plan_id, owner=owner, provider=provider, thread_id=thread_id,
            message_id=message_id, created_at=now))

    def plan_for_thread(self, owner: str, provider: str, thread_id: str) -> str | None:
        """The id of the owner's plan linked to a conversation."""
        return self.c.execute(
            select(plan_threads.c.plan_id).where(
                plan_threads.c.owner == owner, plan_threads.c.provider == provider,
                plan_threads.c.thread_id == thread_id)
        ).scalar()

    def threads(self, plan_id: str) -> list[dict]:
        """The conversations linked to a plan."""
        query = select(plan_threads.c.provider, plan_threads.c.thread_id,
                       plan_threads.c.message_id, plan_threads.c.created_at).where(
            plan_threads.c.plan_id == plan_id).order_by(plan_threads.c.id)
        return [dict(r) for r in self.c.execute(query).mappings()]

    # messages, proposals, confirmations ---------------------------------------------------------

    def message_by_message_id(self, plan_id: str, message_id: str) -> dict | None:
        """A stored message by its Message-ID."""
        row = self.c.execute(select(messages).where(
            messages.c.plan_id == plan_id, messages.c.message_id == message_id)).mappings().first()
        return _message(row) if row else None

    def known_message_ids(self, plan_id: str) -> set[str]:
        """The Message-IDs already ingested for a plan."""
        return set(self.c.execute(select(messages.c.message_id).where(
            messages.c.plan_id == plan_id)).scalars())

    def add_message(self, plan_id: str, **values) -> int:
        """Store an ingested message; returns its row id."""
        values["questions"] = dumps(values.get("questions") or [])
        return self.c.execute(
            insert(messages).values(plan_id=plan_id, **values).returning(messages.c.id)
        ).scalar_one()

    def messages(self, plan_id: str) -> list[dict]:
        """A plan's messages, oldest first."""
        rows = self.c.execute(select(messages).where(messages.c.plan_id == plan_id).order_by(
            messages.c.sent_at, messages.c.id)).mappings()
        return [_message(r) for r in rows]

    def add_proposal(self, plan_id: str, **values) -> int:
        """Store a proposed change; returns its id."""
        values["old"] = dumps(values.get("old"))
        values["new"] = dumps(values.get("new"))
        return self.c.execute(
            insert(proposals).values(plan_id=plan_id, **values).returning(proposals.c.id)
        ).scalar_one()

    def proposals(self, plan_id: str, *, message_row: int | None = None) -> list[dict]:
        """A plan's proposals (of one message when given), oldest first."""
        query = select(proposals).where(proposals.c.plan_id == plan_id)
        if message_row is not None:
            query = query.where(proposals.c.message_row == message_row)
        return [_proposal(r) for r in self.c.execute(query.order_by(proposals.c.id)).mappings()]

    def proposal(self, plan_id: str, proposal_id: int, *, for_update: bool = False) -> dict:
        """One proposal of the plan, or NotFound."""
        query = select(proposals).where(
            and_(proposals.c.plan_id == plan_id, proposals.c.id == proposal_id))
        if for_update:
            query = query.with_for_update()
        row = self.c.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"No proposal {proposal_id}.", field="/proposal")
        return _proposal(row)

    def decide_proposal(self, proposal_id: int, **values) -> None:
        """Record a decision on a proposal."""
        self.c.execute(update(proposals).where(proposals.c.id == proposal_id).values(**values))

    def add_confirmation(self, plan_id: str, **values) -> int:
        """Record a written confirmation."""
        return self.c.execute(
            insert(confirmations).values(plan_id=plan_id, **values).returning(confirmations.c.id)
        ).scalar_one()

    # drafts ------------------------------------------------------------------------------

    def save_draft(self, owner: str, key: str, document: dict, now: datetime) -> None:
        """Keep the seller's unsent work (one row per owner and key, overwritten)."""
        result = self.c.execute(update(drafts).where(
            drafts.c.owner == owner, drafts.c.key == key).values(
            document=dumps(document), updated_at=now))
        if result.rowcount == 0:
            self.c.execute(insert(drafts).values(
                owner=owner, key=key, document=dumps(document), updated_at=now))

    def draft(self, owner: str, key: str) -> dict | None:
        """The saved draft for the key, or None."""
        row = self.c.execute(select(drafts.c.document, drafts.c.updated_at).where(
            drafts.c.owner == owner, drafts.c.key == key)).first()
        if row is None:
            return None
        return {"document": json.loads(row.document), "updated_at": utc(row.updated_at)}

    def delete_draft(self, owner: str, key: str) -> None:
        """Forget a draft once it became a plan."""
        self.c.execute(drafts.delete().where(drafts.c.owner == owner, drafts.c.key == key))

    # webhooks and watches ---------------------------------------------------------------

    @property
    def notifications(self):
        """The notifications table, for the webhook store."""
        return notifications

    @property
    def mailbox_watches(self):
        """The mailbox watches table, for the push subscriptions."""
        return mailbox_watches


def _count(table, *conditions):
    return select(func.count()).where(table.c.plan_id == plans.c.id, *conditions).scalar_subquery()


def _json_list(table, names):
    """The plan's rows of the table as one JSON array of objects with the named columns."""
    fields = []
    for name in names:
        fields += [literal_column(f"'{name}'"), table.c[name]]
    return select(json_rows(json_fields(*fields))).where(
        table.c.plan_id == plans.c.id).scalar_subquery()


def _listed(value, *times: str) -> list[dict]:
    """A JSON list from _json_list in row order, its timestamps as aware UTC datetimes."""
    if isinstance(value, str):  # SQLite hands the JSON back as text
        value = json.loads(value)
    rows = sorted(value or [], key=lambda row: row.pop("id"))
    for row in rows:
        for name in times:
            if row[name] is not None:
                row[name] = utc(datetime.fromisoformat(row[name]))
    return rows


# The reads behind every plan view, built once and run without SQLAlchemy's execution layer
# (see prepared.py): building and executing a statement the usual way costs more than running
# it on SQLite.
_OWNED = (plans.c.id == bindparam("id"), plans.c.owner == bindparam("owner"))
_PLAN = PreparedSelect(select(plans).where(*_OWNED))
_OVERVIEW = PreparedSelect(select(
    plans,
    _count(proposals, proposals.c.status == "open").label("open_proposals"),
    _json_list(plan_threads, ("id", "provider", "thread_id", "message_id", "created_at"))
    .label("threads"),
    _json_list(confirmations, ("id", "who", "name", "confirmed_at", "version", "message_row"))
    .label("confirmations"),
).where(*_OWNED))


def _found_plan(row: dict | None, plan_id: str, parse: bool) -> dict:
    if row is None:
        raise NotFound(f"No plan {plan_id}.", field="/id")
    if parse:
        row["document"] = json.loads(row["document"])
    return row


def _stale(current: int | None, base: int) -> PreconditionFailed:
    latest = f" The latest is version {current}." if current is not None else ""
    return PreconditionFailed(
        f"Version {base} is no longer the latest.{latest} Reload and apply your change again.",
        field="/If-Match",
    )


def _message(row) -> dict:
    data = dict(row)
    data["questions"] = json.loads(data.get("questions") or "[]")
    data["sent_at"] = utc(data.get("sent_at"))
    data["created_at"] = utc(data.get("created_at"))
    return data


def _proposal(row) -> dict:
    data = dict(row)
    data["old"] = json.loads(data["old"]) if data["old"] is not None else None
    data["new"] = json.loads(data["new"]) if data["new"] is not None else None
    return data
