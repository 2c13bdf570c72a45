"""A loopback Gmail API (and Google's OIDC signing certs) that answers like the real one.

Real-shaped JSON (threads, messages with base64url `raw`, history pages, drafts, watch), Gmail's
threading rule for sent replies, Google's JSON error bodies, and injectable failures: 429/5xx
with Retry-After, 401 for an unknown token, 404 for a history cursor older than the kept log.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from google.auth import crypt
from google.auth import jwt as google_jwt
from werkzeug.wrappers import Request, Response

from .failures import Failure, next_failure
from .loopback import LoopbackServer, rsa_key

_PREFIX = re.compile(r"^\s*(re|aw|fwd?)\s*:\s*", re.IGNORECASE)
HISTORY_PAGE = 2  # records per history page, small so paging is exercised


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _google_error(status: int, message: str, reason: str, state: str) -> Response:
    body = {"error": {"code": status, "message": message,
                      "errors": [{"message": message, "domain": "global", "reason": reason}],
                      "status": state}}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _subject_key(subject: str) -> str:
    while _PREFIX.match(subject or ""):
        subject = _PREFIX.sub("", subject, count=1)
    return (subject or "").strip().lower()


@dataclass
class GmailState:
    """One mailbox: messages, threads, the history log, drafts, tokens, what was asked."""

    me: str = "seller@seller.example"
    tokens: set = field(default_factory=set)
    messages: dict = field(default_factory=dict)  # id -> dict(id, threadId, raw, internalDate..)
    drafts: dict = field(default_factory=dict)
    history: list = field(default_factory=list)  # (history id, message id, thread id)
    history_id: int = 5000
    oldest_history: int = 0  # startHistoryId below this answers 404
    failures: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # (method, path, query, gmail header)
    watches: list = field(default_factory=list)
    next_id: int = 0x18c0000000000000
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeGmail:
    """The server; add messages with `deliver`, inspect `state` afterwards."""

    def __init__(self, me: str = "seller@seller.example", token: str = "gmail-token"):
        self.state = GmailState(me=me, tokens={token})
        self.token = token
        self.server = LoopbackServer(self._wsgi)
        self.url = self.server.url + "/"

    def close(self) -> None:
        self.server.close()

    # test-side helpers ----------------------------------------------------------------

    def deliver(self, raw: bytes, thread_id: str | None = None, labels=("INBOX",)) -> dict:
        """A message arrives (or was sent): stored with internalDate from its Date header."""
        with self.state.lock:
            return self._store(raw, thread_id, list(labels))

    def fail(self, path: str, status: int, times: int = 1, retry_after: str | None = None):
        """Answer the next `times` requests whose path contains `path` with `status`."""
        self.state.failures.append(Failure(path, status, times, retry_after))

    def forget_history_before(self, history_id: int) -> None:
        """Gmail keeps history for a limited time: older cursors answer 404."""
        self.state.oldest_history = history_id

    def thread_messages(self, thread_id: str) -> list[dict]:
        return sorted((m for m in self.state.messages.values() if m["threadId"] == thread_id),
                      key=lambda m: m["internalDate"])

    def _new_id(self) -> str:
        self.state.next_id += 0x1f3
        return format(self.state.next_id, "x")

    def _store(self, raw: bytes, thread_id: str | None, labels: list[str]) -> dict:
        headers = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
        try:
            when = parsedate_to_datetime(str(headers["Date"]))
        except (TypeError, ValueError):
            when = dt.datetime.now(dt.UTC)
        message_id = self._new_id()
        thread_id = thread_id or message_id
        self.state.history_id += 7
        record = {"id": message_id, "threadId": thread_id, "raw": raw, "labelIds": labels,
                  "internalDate": str(int(when.timestamp() * 1000)),
                  "historyId": str(self.state.history_id), "headers": headers}
        self.state.messages[message_id] = record
        if "DRAFT" not in labels:
            self.state.history.append((self.state.history_id, message_id, thread_id))
        return record

    # the API ----------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        state = self.state
        state.requests.append((request.method, request.path, dict(request.args),
                               request.headers.get("X-Goog-Gmail-Access-Token")))
        if request.path == "/oauth2/v1/certs":
            return Response("{}", mimetype="application/json")
        failure = next_failure(state.failures, request.path)
        if failure is not None:
            response = _google_error(failure.status, "Too many concurrent requests for user.",
                                     "rateLimitExceeded", "RESOURCE_EXHAUSTED")
            if failure.status >= 500:
                response = _google_error(failure.status, "Backend Error", "backendError",
                                         "UNAVAILABLE")
            if failure.retry_after is not None:
                response.headers["Retry-After"] = failure.retry_after
            return response
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in state.tokens:
            return _google_error(
                401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                "authError", "UNAUTHENTICATED")
        match = re.match(r"^/gmail/v1/users/([^/]+)/(.*)$", request.path)
        if not match or match.group(1) not in ("me", state.me):
            return _google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
        with state.lock:
            return self._route(request, match.group(2))

    def _route(self, request: Request, rest: str) -> Response:
        routes = [
            ("GET", r"profile", self._profile),
            ("GET", r"threads/([^/]+)", self._thread),
            ("GET", r"messages/([^/]+)", self._message),
            ("POST", r"messages/send", self._send),
            ("POST", r"drafts", self._draft),
            ("GET", r"history", self._history),
            ("POST", r"watch", self._watch),
            ("POST", r"stop", lambda request: Response(status=204)),
        ]
        for method, pattern, handler in routes:
            found = re.fullmatch(pattern, rest)
            if request.method == method and found:
                return handler(request, *found.groups())
        return _google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def _profile(self, request):
        return self._json({"emailAddress": self.state.me,
                           "messagesTotal": len(self.state.messages),
                           "threadsTotal": len({m["threadId"] for m in
                                                self.state.messages.values()}),
                           "historyId": str(self.state.history_id)})

    def _thread(self, request, thread_id):
        messages = self.thread_messages(thread_id)
        if not messages:
            return _google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
        return self._json({"id": thread_id, "historyId": messages[-1]["historyId"],
                           "messages": [self._minimal(m) for m in messages]})

    def _minimal(self, message: dict) -> dict:
        return {"id": message["id"], "threadId": message["threadId"],
                "labelIds": message["labelIds"], "snippet": "",
                "historyId": message["historyId"], "internalDate": message["internalDate"],
                "sizeEstimate": len(message["raw"])}

    def _message(self, request, message_id):
        message = self.state.messages.get(message_id)
        if message is None:
            return _google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
        body = self._minimal(message)
        shape = request.args.get("format", "full")
        if shape == "raw":
            body["raw"] = b64url(message["raw"])
        elif shape == "metadata":
            wanted = {h.lower() for h in request.args.getlist("metadataHeaders")}
            body["payload"] = {"mimeType": message["headers"].get_content_type(), "headers": [
                {"name": name, "value": str(value)} for name, value in message["headers"].items()
                if not wanted or name.lower() in wanted]}
        return self._json(body)

    def _decode(self, raw: str) -> bytes:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))

    def _send(self, request):
        body = request.get_json()
        raw = self._decode(body["raw"])
        thread_id = self._thread_for_reply(raw, body.get("threadId"))
        record = self._store(raw, thread_id, ["SENT"])
        return self._json({"id": record["id"], "threadId": record["threadId"],
                           "labelIds": ["SENT"]})

    def _thread_for_reply(self, raw: bytes, thread_id: str | None) -> str | None:
        """Gmail's rule: the reply joins threadId only if it references it and the subject fits."""
        if not thread_id:
            return None
        thread = self.thread_messages(thread_id)
        headers = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
        references = set(str(headers.get("References") or "").split())
        references |= set(str(headers.get("In-Reply-To") or "").split())
        ids = {str(m["headers"].get("Message-ID") or "").strip() for m in thread}
        subject = _subject_key(str(headers.get("Subject") or ""))
        subjects = {_subject_key(str(m["headers"].get("Subject") or "")) for m in thread}
        return thread_id if (references & ids and subject in subjects) else None

    def _draft(self, request):
        message = request.get_json()["message"]
        raw = self._decode(message["raw"])
        thread_id = self._thread_for_reply(raw, message.get("threadId"))
        record = self._store(raw, thread_id, ["DRAFT"])
        draft_id = "r" + record["id"]
        self.state.drafts[draft_id] = record["id"]
        return self._json({"id": draft_id, "message": {
            "id": record["id"], "threadId": record["threadId"], "labelIds": ["DRAFT"]}})

    def _history(self, request):
        start = int(request.args["startHistoryId"])
        if start < self.state.oldest_history:
            return _google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
        records = [r for r in self.state.history if r[0] > start]
        offset = int(request.args.get("pageToken") or 0)
        page = records[offset:offset + HISTORY_PAGE]
        body = {"history": [{"id": str(h), "messages": [{"id": m, "threadId": t}],
                             "messagesAdded": [{"message": {"id": m, "threadId": t,
                                                            "labelIds": ["INBOX"]}}]}
                            for h, m, t in page],
                "historyId": str(self.state.history_id)}
        if not page:
            body.pop("history")
        if offset + HISTORY_PAGE < len(records):
            body["nextPageToken"] = str(offset + HISTORY_PAGE)
        return self._json(body)

    def _watch(self, request):
        body = request.get_json()
        self.state.watches.append(body)
        expiration = int((time.time() + 7 * 24 * 3600) * 1000)
        return self._json({"historyId": str(self.state.history_id),
                           "expiration": str(expiration)})


class GoogleSigner:
    """Signs Google-style ID tokens with a local RSA key and serves the x509 certs (v1 format)."""

    def __init__(self, key_id: str = "loopback-key-1", key_name: str = "google-signer"):
        self.key_id = key_id
        self._key = rsa_key(key_name)
        pem = self._key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        self.signer = crypt.RSASigner.from_string(pem, key_id=key_id)
        self.certs = {key_id: self._certificate()}
        self.fetches = 0
        self.server = LoopbackServer(self._wsgi)
        self.certs_url = self.server.url + "/oauth2/v1/certs"

    def close(self) -> None:
        self.server.close()

    def _certificate(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.system")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(hours=1))
                .not_valid_after(now + dt.timedelta(days=2)).sign(self._key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def rotate(self, key_id: str, key_name: str) -> None:
        """Google starts signing with a new key (its certificate is published alongside)."""
        self.key_id, self._key = key_id, rsa_key(key_name)
        pem = self._key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        self.signer = crypt.RSASigner.from_string(pem, key_id=key_id)
        self.certs[key_id] = self._certificate()

    def _wsgi(self, environ, start_response):
        self.fetches += 1
        response = Response(json.dumps(self.certs), mimetype="application/json",
                            headers={"Cache-Control": "public, max-age=19800"})
        return response(environ, start_response)

    def token(self, *, audience: str, email: str, email_verified: bool = True,
              issuer: str = "https://accounts.google.com", lifetime: int = 3600,
              issued_at: int | None = None, signer=None) -> str:
        """A Pub/Sub push ID token as Google signs it."""
        now = int(time.time()) if issued_at is None else issued_at
        claims = {"aud": audience, "azp": "112233445566778899000", "email": email,
                  "email_verified": email_verified, "exp": now + lifetime, "iat": now,
                  "iss": issuer, "sub": "112233445566778899000"}
        return google_jwt.encode(signer or self.signer, claims).decode("ascii")


def pubsub_envelope(email_address: str, history_id: int, message_id: str,
                    subscription: str = "projects/map-addin/subscriptions/gmail-push") -> dict:
    """The body Pub/Sub pushes for a Gmail notification."""
    data = json.dumps({"emailAddress": email_address, "historyId": history_id}).encode()
    return {"message": {"data": base64.b64encode(data).decode("ascii"), "messageId": message_id,
                        "message_id": message_id, "publishTime": "2026-12-04T10:00:00.000Z",
                        "publish_time": "2026-12-04T10:00:00.000Z"},
            "subscription": subscription}
