"""GraphMailbox: the seller's Outlook mailbox through Microsoft Graph over requests."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import requests

from ..errors import Forbidden, NotFound, ReauthRequired
from ..ports import AbstractMailbox, MailboxMessage
from .base import SIGN_IN_AGAIN, headers_of, upstream
from .retry import RETRYABLE_STATUSES, Retryable, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

DEFAULT_GRAPH = "https://graph.microsoft.com/v1.0"
_BODY_TAG = re.compile(r"<body[^>]*>", re.IGNORECASE)
_THREAD_FIELDS = "id,from,receivedDateTime,internetMessageId,isDraft"


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _odata_string(value: str) -> str:
    """A value as an OData string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


class GraphMailbox(AbstractMailbox):
    """One user's Outlook mailbox via Graph; the token is a delegated Graph access token."""

    provider = "outlook"

    def __init__(self, access_token: str, *, base_url: str = DEFAULT_GRAPH,
                 session: requests.Session | None = None, timeout: float = 10.0,
                 retry: RetryPolicy | None = None):
        self._token = access_token
        self._base = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._timeout = timeout
        self._retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return "GraphMailbox(<token hidden>)"

    # reading -----------------------------------------------------------------------------

    def thread_stubs(self, conversation_id: str) -> list[dict]:
        """The conversation's sent/received messages (no drafts), oldest first, all pages."""
        params = {"$filter": f"conversationId eq {_odata_string(conversation_id)}",
                  "$select": _THREAD_FIELDS, "$top": "50"}
        # Spaces as %20 (not '+') and '$' kept literal, as Graph's own examples write them.
        url = f"{self._base}/me/messages?" + urlencode(params, quote_via=quote, safe="$,")
        stubs = []
        while url:
            page = self._request("GET", url).json()
            stubs.extend(m for m in page.get("value") or [] if not m.get("isDraft"))
            url = page.get("@odata.nextLink")  # the link carries the whole query
        # $orderby together with this $filter fails with InefficientFilter: sort here.
        return sorted(stubs, key=lambda m: m.get("receivedDateTime") or "")

    def list_thread(self, thread_id: str, skip_ids=frozenset()) -> list[MailboxMessage]:
        """Every message of the conversation as RFC 822 ($value), oldest first.

        Messages whose id is in skip_ids are not downloaded again: they come with raw == b"".
        """
        return [_known(stub) if stub["id"] in skip_ids else self._mime(stub)
                for stub in self.thread_stubs(thread_id)]

    def latest_message_id(self, thread_id: str) -> str:
        """The newest message of the conversation."""
        stubs = self.thread_stubs(thread_id)
        if not stubs:
            raise NotFound("This Outlook conversation has no messages.", field="/thread_id")
        return stubs[-1]["id"]

    def _mime(self, stub: dict) -> MailboxMessage:
        raw = self._request("GET", f"{self._base}/me/messages/{_id(stub['id'])}/$value").content
        sender = (((stub.get("from") or {}).get("emailAddress") or {}).get("address") or "")
        message_id = stub.get("internetMessageId")
        if not message_id:
            message_id = (headers_of(raw).get("Message-ID") or "").strip() or None
        return MailboxMessage(provider_id=stub["id"], raw=raw, sender=sender.lower(),
                              received_at=_when(stub.get("receivedDateTime")),
                              internet_message_id=message_id)

    def conversation_of(self, message_id: str) -> str | None:
        """The conversationId of a message (to route a change notification to its plan)."""
        url = f"{self._base}/me/messages/{_id(message_id)}"
        try:
            data = self._request("GET", url, params={"$select": "conversationId"}).json()
        except NotFound:
            return None
        return data.get("conversationId")

    # writing -----------------------------------------------------------------------------

    def create_reply_draft(self, thread_id: str, reply_to_id: str, subject: str, html: str,
                           text: str) -> str:
        """createReplyAll, then PATCH our HTML above the quoted history; returns the draft id.

        Reply all: the plan concerns every stakeholder on the conversation.
        """
        draft = self._request(
            "POST", f"{self._base}/me/messages/{_id(reply_to_id)}/createReplyAll", json={}
        ).json()
        quoted = ((draft.get("body") or {}).get("content")) or ""
        self._request("PATCH", f"{self._base}/me/messages/{_id(draft['id'])}", json={
            "body": {"contentType": "HTML", "content": _above_quote(html, quoted)}})
        return draft["id"]

    def send_reply(self, thread_id: str, reply_to_id: str, subject: str, html: str,
                   text: str) -> str:
        """createReplyAll, update, send: Graph threads it (In-Reply-To, References, RE: subject)."""
        draft_id = self.create_reply_draft(thread_id, reply_to_id, subject, html, text)
        self._request("POST", f"{self._base}/me/messages/{_id(draft_id)}/send")
        return draft_id

    # subscriptions -----------------------------------------------------------------------

    def create_subscription(self, *, notification_url: str, client_state: str,
                            expires_at: datetime, lifecycle_url: str | None = None,
                            resource: str = "me/mailFolders('Inbox')/messages") -> dict:
        """Subscribe to new messages; returns {"id", "expires_at"}."""
        body = {"changeType": "created", "notificationUrl": notification_url,
                "resource": resource, "expirationDateTime": _iso(expires_at),
                "clientState": client_state}
        if lifecycle_url:
            body["lifecycleNotificationUrl"] = lifecycle_url
        data = self._request("POST", f"{self._base}/subscriptions", json=body).json()
        return {"id": data["id"], "expires_at": _when(data.get("expirationDateTime"))}

    def renew_subscription(self, subscription_id: str, expires_at: datetime) -> dict:
        """PATCH expirationDateTime; returns {"id", "expires_at"}."""
        data = self._request("PATCH", f"{self._base}/subscriptions/{_id(subscription_id)}",
                             json={"expirationDateTime": _iso(expires_at)}).json()
        return {"id": data.get("id", subscription_id),
                "expires_at": _when(data.get("expirationDateTime")) or expires_at}

    def delete_subscription(self, subscription_id: str) -> None:
        """Stop a subscription (a missing one counts as stopped)."""
        try:
            self._request("DELETE", f"{self._base}/subscriptions/{_id(subscription_id)}")
        except NotFound:
            pass

    # plumbing ----------------------------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        """One Graph call with retries; errors carry the status and Graph code, never the token."""

        def attempt():
            try:
                response = self._session.request(
                    method, url, headers={"Authorization": f"Bearer {self._token}"},
                    timeout=self._timeout, **kwargs)
            except requests.RequestException as error:
                log.warning("Graph connection failed: %s", type(error).__name__)
                raise Retryable(None) from None
            if response.status_code >= 400:
                raise _translate(response) from None
            return response

        return self._retry.call(attempt, "Microsoft Graph")


def _known(stub: dict) -> MailboxMessage:
    return MailboxMessage(provider_id=stub["id"], raw=b"", sender="",
                          received_at=_when(stub.get("receivedDateTime")))


def _id(value: str) -> str:
    return quote(value, safe="")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _above_quote(html: str, quoted: str) -> str:
    """Our HTML inserted at the start of the draft's body, keeping the quoted history below."""
    match = _BODY_TAG.search(quoted)
    if not match:
        return html + quoted
    return quoted[: match.end()] + html + quoted[match.end():]


def _code(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


def _translate(response: requests.Response) -> Exception:
    status, code = response.status_code, _code(response)
    log.info("Graph answered HTTP %s (%s)", status, code or "no code")
    if status in RETRYABLE_STATUSES:
        return Retryable(status, parse_retry_after(response.headers.get("Retry-After")), code)
    if status == 401 or code in {"InvalidAuthenticationToken", "invalid_grant"}:
        return ReauthRequired(SIGN_IN_AGAIN.format(provider="Outlook"), field=None)
    if status == 404:
        return NotFound("Outlook has no such message or conversation in this mailbox.",
                        field=None)
    if status == 403:
        return Forbidden("Outlook refused this request: the add-in lacks the permission for it.",
                         field=None)
    return upstream("Microsoft Graph", status, code)
