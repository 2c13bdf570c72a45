"""GmailMailbox: the seller's Gmail through google-api-python-client, built per request."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from ..errors import Forbidden, NotFound, ReauthRequired
from ..ports import AbstractMailbox, MailboxMessage
from .base import SIGN_IN_AGAIN, CursorExpired, headers_of, reply_mime, sender_of, upstream
from .retry import RETRYABLE_STATUSES, Retryable, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_API = "https://gmail.googleapis.com/"
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}
_REPLY_HEADERS = ["Message-ID", "References", "Subject", "From", "Reply-To", "To", "Cc"]


def gmail_id(value: str) -> str:
    """An id as the Gmail API wants it: add-on ids like 'msg-f:<decimal>' become hex."""
    prefix, _, number = (value or "").partition(":")
    if number.isdigit() and prefix in {"msg-f", "msg-a", "thread-f", "thread-a"}:
        return format(int(number), "x")
    return value


@dataclass(frozen=True)
class HistoryPage:
    """What history.list said since a cursor: the threads with new messages, the new cursor."""

    thread_ids: list[str]
    history_id: str


class _TokenHttp(google_auth_httplib2.AuthorizedHttp):
    """An authorized http that never refreshes (we hold no refresh token) and can add headers."""

    def __init__(self, credentials, http, extra_headers: dict):
        super().__init__(credentials, http=http, refresh_status_codes=())
        self._extra = extra_headers

    def request(self, uri, method="GET", body=None, headers=None, **kwargs):
        headers = {**(headers or {}), **self._extra}
        return super().request(uri, method, body=body, headers=headers, **kwargs)


class GmailMailbox(AbstractMailbox):
    """One user's Gmail. `message_token` is an add-on's gmail.accessToken, sent as its header."""

    provider = "gmail"

    def __init__(self, access_token: str, *, message_token: str | None = None,
                 api_base: str = DEFAULT_API, http=None, timeout: float = 10.0,
                 retry: RetryPolicy | None = None):
        extra = {"X-Goog-Gmail-Access-Token": message_token} if message_token else {}
        authorized = _TokenHttp(Credentials(token=access_token),
                                http or httplib2.Http(timeout=timeout), extra)
        self._service = build("gmail", "v1", http=authorized, static_discovery=True,
                              cache_discovery=False, client_options={"api_endpoint": api_base})
        self._retry = retry or RetryPolicy()
        self._me: str | None = None

    def __repr__(self) -> str:
        return "GmailMailbox(<token hidden>)"

    # reading -----------------------------------------------------------------------------

    def list_thread(self, thread_id: str, skip_ids=frozenset()) -> list[MailboxMessage]:
        """The thread's messages as RFC 822, oldest first; those in skip_ids come without raw."""
        users = self._service.users()
        thread = self._call(users.threads().get(userId="me", id=gmail_id(thread_id),
                                                format="minimal"), missing="thread")
        stubs = sorted(thread.get("messages") or [], key=lambda m: int(m.get("internalDate", 0)))
        return [_stub(stub) if stub["id"] in skip_ids else self._raw_message(stub["id"])
                for stub in stubs if "DRAFT" not in (stub.get("labelIds") or [])]

    def latest_message_id(self, thread_id: str) -> str:
        """The id of the newest non-draft message in the thread (what a reply answers)."""
        thread = self._call(self._service.users().threads().get(
            userId="me", id=gmail_id(thread_id), format="minimal"), missing="thread")
        stubs = [m for m in thread.get("messages") or []
                 if "DRAFT" not in (m.get("labelIds") or [])]
        if not stubs:
            raise NotFound("This Gmail thread has no messages.", field="/thread_id")
        return max(stubs, key=lambda m: int(m.get("internalDate", 0)))["id"]

    def _raw_message(self, message_id: str) -> MailboxMessage:
        data = self._call(self._service.users().messages().get(
            userId="me", id=message_id, format="raw"), missing="message")
        raw = base64.urlsafe_b64decode(data["raw"] + "=" * (-len(data["raw"]) % 4))
        headers = headers_of(raw)
        millis = data.get("internalDate")
        received = datetime.fromtimestamp(int(millis) / 1000, UTC) if millis else None
        return MailboxMessage(provider_id=data["id"], raw=raw, sender=sender_of(headers),
                              received_at=received,
                              internet_message_id=(headers.get("Message-ID") or "").strip() or None)

    def my_address(self) -> str:
        """The mailbox's own address (users.getProfile)."""
        if self._me is None:
            profile = self._call(self._service.users().getProfile(userId="me"))
            self._me = (profile.get("emailAddress") or "").lower()
        return self._me

    def history(self, start_history_id: str) -> HistoryPage:
        """Threads with messages added since the cursor (all pages); CursorExpired on 404."""
        threads: list[str] = []
        latest, token = str(start_history_id), None
        while True:
            page = self._call(self._service.users().history().list(
                userId="me", startHistoryId=str(start_history_id), pageToken=token,
                historyTypes=["messageAdded"]), missing="cursor")
            for record in page.get("history") or []:
                for added in record.get("messagesAdded") or []:
                    thread = (added.get("message") or {}).get("threadId")
                    if thread and thread not in threads:
                        threads.append(thread)
            latest = str(page.get("historyId") or latest)
            token = page.get("nextPageToken")
            if not token:
                return HistoryPage(thread_ids=threads, history_id=latest)

    # writing -----------------------------------------------------------------------------

    def create_reply_draft(self, thread_id: str, reply_to_id: str, subject: str, html: str,
                           text: str) -> str:
        """A draft reply in the thread; returns the draft id."""
        body = {"message": self._reply_body(thread_id, reply_to_id, subject, html, text)}
        draft = self._call(self._service.users().drafts().create(userId="me", body=body))
        return draft["id"]

    def send_reply(self, thread_id: str, reply_to_id: str, subject: str, html: str,
                   text: str) -> str:
        """Send a reply in the thread (threadId, In-Reply-To, References, same subject)."""
        body = self._reply_body(thread_id, reply_to_id, subject, html, text)
        sent = self._call(self._service.users().messages().send(userId="me", body=body))
        return sent["id"]

    def _reply_body(self, thread_id, reply_to_id, subject, html, text) -> dict:
        original = self._call(self._service.users().messages().get(
            userId="me", id=gmail_id(reply_to_id), format="metadata",
            metadataHeaders=_REPLY_HEADERS), missing="message")
        listed = (original.get("payload") or {}).get("headers") or []
        headers = {_canonical(h["name"]): h["value"] for h in listed}
        raw = reply_mime(original=headers, me=self.my_address(), subject=subject, html=html,
                         text=text)
        return {"raw": base64.urlsafe_b64encode(raw).decode("ascii"),
                "threadId": original.get("threadId") or gmail_id(thread_id)}

    # push --------------------------------------------------------------------------------

    def watch(self, topic: str, label_ids: tuple[str, ...] = ("INBOX",)) -> dict:
        """users.watch to a Pub/Sub topic: {"history_id", "expires_at"}."""
        answer = self._call(self._service.users().watch(userId="me", body={
            "topicName": topic, "labelIds": list(label_ids), "labelFilterBehavior": "INCLUDE"}))
        expires = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
        return {"history_id": str(answer["historyId"]), "expires_at": expires}

    def stop(self) -> None:
        """Stop push notifications for this mailbox."""
        self._call(self._service.users().stop(userId="me"))

    # plumbing ----------------------------------------------------------------------------

    def _call(self, request, missing: str | None = None):
        """Execute with retries; translate failures into our errors without any token in them."""

        def attempt():
            try:
                return request.execute(num_retries=0)
            except HttpError as error:
                raise _translate(error, missing) from None
            except RefreshError:
                raise ReauthRequired(SIGN_IN_AGAIN.format(provider="Gmail"), field=None) from None
            except (httplib2.HttpLib2Error, TransportError, OSError) as error:
                log.warning("Gmail connection failed: %s", type(error).__name__)
                raise Retryable(None) from None

        return self._retry.call(attempt, "Gmail")


def _stub(stub: dict) -> MailboxMessage:
    """A message we already have: its id and time only, not downloaded again."""
    millis = stub.get("internalDate")
    received = datetime.fromtimestamp(int(millis) / 1000, UTC) if millis else None
    return MailboxMessage(provider_id=stub["id"], raw=b"", sender="", received_at=received)


_CANONICAL = {name.lower(): name for name in _REPLY_HEADERS}


def _canonical(name: str) -> str:
    return _CANONICAL.get(name.lower(), name)


def _reason(error: HttpError) -> str:
    try:
        detail = json.loads(error.content.decode("utf-8", "replace"))["error"]
        return (detail.get("errors") or [{}])[0].get("reason") or detail.get("status") or ""
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return ""


def _translate(error: HttpError, missing: str | None) -> Exception:
    status = int(error.resp.status)
    reason = _reason(error)
    log.info("Gmail answered HTTP %s (%s)", status, reason or "no reason")
    if status in RETRYABLE_STATUSES or (status == 403 and reason in _RATE_REASONS):
        return Retryable(status, parse_retry_after(error.resp.get("retry-after")), reason)
    if status == 401:
        return ReauthRequired(SIGN_IN_AGAIN.format(provider="Gmail"), field=None)
    if status == 404 and missing == "cursor":
        return CursorExpired("The Gmail history cursor expired; resync the threads.", field=None)
    if status == 404:
        return NotFound(f"Gmail has no such {missing or 'item'} in this mailbox.",
                        field="/thread_id" if missing == "thread" else None)
    if status == 403:
        return Forbidden("Gmail refused this request: the add-on lacks the permission for it.",
                         field=None)
    return upstream("Gmail", status, reason)
