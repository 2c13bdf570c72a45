"""The ports the services depend on: the unit of work over storage, and the mailbox."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime


class AbstractUnitOfWork(abc.ABC):
    """A transaction: everything done inside is committed together or not at all."""

    repo: AbstractRepository

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the work durable."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Forget uncommitted work."""


class AbstractRepository(abc.ABC):
    """Plans, their versions, threads, messages, proposals and confirmations, scoped by owner."""

    @abc.abstractmethod
    def plan_row(self, plan_id: str, owner: str, *, for_update: bool = False) -> dict:
        """The owner's plan (NotFound for anyone else)."""

    @abc.abstractmethod
    def add_version(self, plan_id: str, owner: str, base_version: int, document: dict, *,
                    title: str, author: str, source: str, now: datetime,
                    origin_message_id: int | None = None) -> int:
        """Store the next version; PreconditionFailed when base_version is not the latest."""

    @abc.abstractmethod
    def version_document(self, plan_id: str, number: int) -> dict:
        """The plan exactly as it was at that version."""


@dataclass(frozen=True)
class MailboxMessage:
    """One message of a thread as the mailbox returns it."""

    provider_id: str
    raw: bytes
    sender: str
    received_at: datetime | None
    internet_message_id: str | None = None


class AbstractMailbox(abc.ABC):
    """A seller's mailbox (Gmail or Outlook): read a thread, write replies into it."""

    provider: str

    @abc.abstractmethod
    def list_thread(self, thread_id: str) -> list[MailboxMessage]:
        """Every message of the thread as RFC 822, oldest first."""

    @abc.abstractmethod
    def create_reply_draft(self, thread_id: str, reply_to_id: str, subject: str, html: str,
                           text: str) -> str:
        """A reply draft in the thread; returns the draft's id."""

    @abc.abstractmethod
    def send_reply(self, thread_id: str, reply_to_id: str, subject: str, html: str,
                   text: str) -> str:
        """Send a reply in the thread; returns the sent message's id."""
