"""FakeMailbox: an in-memory mailbox for service-level tests (same port as the real adapters)."""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import NotFound
from ..ports import AbstractMailbox, MailboxMessage
from .base import CursorExpired, headers_of, reply_subject, sender_of


class FakeMailbox(AbstractMailbox):
    """Threads of RFC 822 messages in memory; records what was drafted and sent."""

    def __init__(self, provider: str = "gmail", me: str = "seller@example.com"):
        self.provider = provider
        self.me = me
        self.threads: dict[str, list[MailboxMessage]] = {}
        self.drafts: list[dict] = []
        self.sent: list[dict] = []
        self.history_log: list[tuple[int, str]] = []  # (history id, thread id)
        self.oldest_history = 0
        self.downloads = 0

    def add(self, thread_id: str, raw: bytes, provider_id: str | None = None,
            received_at: datetime | None = None) -> MailboxMessage:
        """Put a message into a thread (as if it arrived)."""
        headers = headers_of(raw)
        thread = self.threads.setdefault(thread_id, [])
        message = MailboxMessage(
            provider_id=provider_id or f"m{sum(len(t) for t in self.threads.values()) + 1}",
            raw=raw, sender=sender_of(headers), received_at=received_at or datetime.now(UTC),
            internet_message_id=(headers.get("Message-ID") or "").strip() or None)
        thread.append(message)
        self.history_log.append((len(self.history_log) + 1, thread_id))
        return message

    def list_thread(self, thread_id: str, skip_ids=frozenset()) -> list[MailboxMessage]:
        if thread_id not in self.threads:
            raise NotFound("No such thread.", field="/thread_id")
        found = []
        for message in self.threads[thread_id]:
            if message.provider_id in skip_ids:
                found.append(MailboxMessage(message.provider_id, b"", "", message.received_at))
            else:
                self.downloads += 1
                found.append(message)
        return found

    def latest_message_id(self, thread_id: str) -> str:
        if not self.threads.get(thread_id):
            raise NotFound("No such thread.", field="/thread_id")
        return self.threads[thread_id][-1].provider_id

    def create_reply_draft(self, thread_id, reply_to_id, subject, html, text) -> str:
        self.drafts.append(self._reply(thread_id, reply_to_id, subject, html, text))
        return f"draft{len(self.drafts)}"

    def send_reply(self, thread_id, reply_to_id, subject, html, text) -> str:
        self.sent.append(self._reply(thread_id, reply_to_id, subject, html, text))
        return f"sent{len(self.sent)}"

    def _reply(self, thread_id, reply_to_id, subject, html, text) -> dict:
        original = next((m for m in self.threads.get(thread_id, [])
                         if m.provider_id == reply_to_id), None)
        if original is None:
            raise NotFound("No such message in the thread.", field="/reply_to_id")
        original_subject = headers_of(original.raw).get("Subject")
        return {"thread_id": thread_id, "reply_to_id": reply_to_id,
                "in_reply_to": original.internet_message_id,
                "subject": reply_subject(original_subject or subject), "html": html, "text": text}

    def history(self, start_history_id: str):
        """Threads touched after the cursor, like Gmail's history.list."""
        from .gmail import HistoryPage

        start = int(start_history_id)
        if start < self.oldest_history:
            raise CursorExpired("The history cursor expired.", field=None)
        threads = []
        for number, thread_id in self.history_log:
            if number > start and thread_id not in threads:
                threads.append(thread_id)
        return HistoryPage(thread_ids=threads, history_id=str(len(self.history_log)))
