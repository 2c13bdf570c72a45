"""A loopback Microsoft Graph (mail and subscriptions) and identity platform token endpoint.

Graph: /v1.0/me/messages with $filter on conversationId (paged by @odata.nextLink, $orderby with
that filter refused as InefficientFilter), /$value MIME, createReply → PATCH → send, and
/subscriptions. Identity (HTTPS, as msal insists): OIDC metadata and the v2.0 token endpoint
answering the on-behalf-of grant. Graph error bodies, 429 with Retry-After, 401 for an unknown
token, injectable like the Gmail fake.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import html as htmllib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import (
    format_datetime,
    formataddr,
    getaddresses,
    make_msgid,
    parseaddr,
    parsedate_to_datetime,
)
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from .failures import Failure, next_failure
from .loopback import LoopbackServer

PAGE = 2  # messages per page, small so @odata.nextLink is exercised
_FILTER = re.compile(r"^conversationId eq '((?:[^']|'')*)'$")


def graph_error(status: int, code: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message, "innerError": {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _recipients(value) -> list[dict]:
    return [{"emailAddress": {"name": name, "address": address}}
            for name, address in getaddresses([str(value or "")]) if address]


@dataclass
class GraphState:
    me: str = "seller@seller.example"
    me_name: str = "Sam Seller"
    tokens: set = field(default_factory=set)
    messages: dict = field(default_factory=dict)
    subscriptions: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # (method, path, query)
    assertions: dict = field(default_factory=dict)  # user assertion -> Graph token issued
    token_requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeGraph:
    """Graph on http://127.0.0.1, the identity platform on https://127.0.0.1 (own CA file)."""

    def __init__(self, tls_dir, me: str = "seller@seller.example", token: str = "graph-token"):
        self.state = GraphState(me=me, tokens={token})
        self.token = token
        self.server = LoopbackServer(self._graph_wsgi)
        self.url = self.server.url + "/v1.0"
        self.identity = LoopbackServer(self._identity_wsgi, tls_dir=tls_dir)
        self.authority = self.identity.url  # MS_AUTHORITY
        self.ca_file = self.identity.ca_file

    def close(self) -> None:
        self.server.close()
        self.identity.close()

    # test-side helpers ----------------------------------------------------------------

    def deliver(self, raw: bytes, conversation_id: str, folder: str = "inbox") -> dict:
        """A message arrives in the mailbox (or is in Sent Items) in that conversation."""
        headers = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)
        try:
            when = parsedate_to_datetime(str(headers["Date"]))
        except (TypeError, ValueError):
            when = dt.datetime.now(dt.UTC)
        name, address = parseaddr(str(headers.get("From") or ""))
        message = {
            "id": "AAMkAGI2T" + uuid.uuid4().hex + "AAA=", "conversationId": conversation_id,
            "subject": str(headers.get("Subject") or ""),
            "from": {"emailAddress": {"name": name, "address": address}},
            "toRecipients": _recipients(headers.get("To")),
            "ccRecipients": _recipients(headers.get("Cc")),
            "receivedDateTime": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "internetMessageId": str(headers.get("Message-ID") or "").strip(),
            "references": str(headers.get("References") or ""),
            "isDraft": False, "folder": folder, "mime": raw,
            "body": {"contentType": "html", "content": "<html><body></body></html>"},
        }
        with self.state.lock:
            self.state.messages[message["id"]] = message
        return message

    def fail(self, path: str, status: int, times: int = 1, retry_after: str | None = None):
        self.state.failures.append(Failure(path, status, times, retry_after))

    def conversation(self, conversation_id: str) -> list[dict]:
        return sorted((m for m in self.state.messages.values()
                       if m["conversationId"] == conversation_id and not m["isDraft"]),
                      key=lambda m: m["receivedDateTime"])

    # Graph --------------------------------------------------------------------------------

    def _graph_wsgi(self, environ, start_response):
        request = Request(environ)
        return self._graph(request)(environ, start_response)

    def _graph(self, request: Request) -> Response:
        state = self.state
        state.requests.append((request.method, request.path, dict(request.args)))
        failure = next_failure(state.failures, request.path)
        if failure is not None:
            code = "TooManyRequests" if failure.status == 429 else "ServiceUnavailable"
            response = graph_error(failure.status, code, "Application is over its "
                                   "MailboxConcurrency limit.")
            if failure.retry_after is not None:
                response.headers["Retry-After"] = failure.retry_after
            return response
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in state.tokens:
            return graph_error(401, "InvalidAuthenticationToken",
                               "Lifetime validation failed, the token is expired.")
        with state.lock:
            return self._route(request)

    def _route(self, request: Request) -> Response:
        path = request.path.removeprefix("/v1.0/")
        routes = [
            ("GET", r"me/messages", self._list),
            ("GET", r"me/messages/([^/]+)/\$value", self._value),
            ("GET", r"me/messages/([^/]+)", self._get),
            ("PATCH", r"me/messages/([^/]+)", self._patch),
            ("POST", r"me/messages/([^/]+)/createReply", self._create_reply),
            ("POST", r"me/messages/([^/]+)/createReplyAll", self._create_reply_all),
            ("POST", r"me/messages/([^/]+)/send", self._send),
            ("POST", r"subscriptions", self._subscribe),
            ("PATCH", r"subscriptions/([^/]+)", self._renew),
            ("DELETE", r"subscriptions/([^/]+)", self._unsubscribe),
        ]
        for method, pattern, handler in routes:
            found = re.fullmatch(pattern, path)
            if request.method == method and found:
                return handler(request, *found.groups())
        return graph_error(400, "BadRequest", f"Resource not found for the segment '{path}'.")

    def _json(self, body, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def _view(self, message: dict, select: str | None) -> dict:
        public = {k: v for k, v in message.items() if k not in ("mime", "folder", "references")}
        public["@odata.etag"] = 'W/"CQAAABYAAAA"'
        if select:
            wanted = set(select.split(","))
            public = {k: v for k, v in public.items() if k in wanted or k in ("id",
                                                                               "@odata.etag")}
        return public

    def _list(self, request):
        if "$orderby" in request.args and "$filter" in request.args:
            return graph_error(400, "InefficientFilter",
                               "The restriction or sort order is too complex for this operation.")
        match = _FILTER.match(request.args.get("$filter", ""))
        if not match:
            return graph_error(400, "BadRequest", "Invalid filter clause")
        conversation = match.group(1).replace("''", "'")
        found = [m for m in self.state.messages.values() if m["conversationId"] == conversation]
        top = int(request.args.get("$top", PAGE))
        size = min(top, PAGE)
        skip = int(request.args.get("$skiptoken") or 0)
        page = found[skip:skip + size]
        body = {"@odata.context": f"{self.url}/$metadata#users('{self.state.me}')/messages",
                "value": [self._view(m, request.args.get("$select")) for m in page]}
        if skip + size < len(found):
            query = "&".join(f"{k}={quote(v, safe='')}" for k, v in request.args.items()
                             if k != "$skiptoken")
            body["@odata.nextLink"] = f"{self.url}/me/messages?{query}&$skiptoken={skip + size}"
        return self._json(body)

    def _find(self, message_id):
        return self.state.messages.get(message_id)

    def _value(self, request, message_id):
        message = self._find(message_id)
        if message is None:
            return graph_error(404, "ErrorItemNotFound",
                               "The specified object was not found in the store.")
        return Response(message["mime"], mimetype="message/rfc822")

    def _get(self, request, message_id):
        message = self._find(message_id)
        if message is None:
            return graph_error(404, "ErrorItemNotFound",
                               "The specified object was not found in the store.")
        return self._json(self._view(message, request.args.get("$select")))

    def _create_reply_all(self, request, message_id):
        return self._create_reply(request, message_id, everyone=True)

    def _create_reply(self, request, message_id, everyone=False):
        original = self._find(message_id)
        if original is None:
            return graph_error(404, "ErrorItemNotFound",
                               "The specified object was not found in the store.")
        sender = original["from"]["emailAddress"]
        quoted = (f'<html><head><meta http-equiv="Content-Type" content="text/html; '
                  f'charset=utf-8"></head><body><div dir="ltr"><br></div><hr '
                  f'style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>From:</b> '
                  f'{htmllib.escape(sender["name"])} &lt;{sender["address"]}&gt;<br>'
                  f'<b>Subject:</b> {htmllib.escape(original["subject"])}</div>'
                  f'<div>(original message)</div></body></html>')
        draft = {
            "id": "AAMkAGI2D" + uuid.uuid4().hex + "AAA=",
            "conversationId": original["conversationId"],
            "subject": "RE: " + re.sub(r"^(re|aw)\s*:\s*", "", original["subject"], flags=re.I),
            "from": {"emailAddress": {"name": self.state.me_name, "address": self.state.me}},
            "toRecipients": [original["from"]],
            "ccRecipients": [r for r in original.get("toRecipients", []) + original.get(
                "ccRecipients", []) if r["emailAddress"]["address"] != self.state.me]
            if everyone else [],
            "receivedDateTime": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "internetMessageId": make_msgid(domain="seller.example"),
            "references": " ".join(filter(None, [original["references"],
                                                 original["internetMessageId"]])),
            "inReplyTo": original["internetMessageId"],
            "isDraft": True, "folder": "drafts", "mime": b"",
            "body": {"contentType": "html", "content": quoted},
        }
        self.state.messages[draft["id"]] = draft
        return self._json(self._view(draft, None), status=201)

    def _patch(self, request, message_id):
        message = self._find(message_id)
        if message is None:
            return graph_error(404, "ErrorItemNotFound",
                               "The specified object was not found in the store.")
        changes = request.get_json()
        for key in ("body", "subject", "toRecipients"):
            if key in changes:
                message[key] = changes[key]
        return self._json(self._view(message, None))

    def _send(self, request, message_id):
        draft = self._find(message_id)
        if draft is None or not draft["isDraft"]:
            return graph_error(404, "ErrorItemNotFound",
                               "The specified object was not found in the store.")
        mime = EmailMessage()
        mime["From"] = formataddr((self.state.me_name, self.state.me))
        mime["To"] = ", ".join(r["emailAddress"]["address"] for r in draft["toRecipients"])
        if draft.get("ccRecipients"):
            mime["Cc"] = ", ".join(r["emailAddress"]["address"] for r in draft["ccRecipients"])
        mime["Subject"] = draft["subject"]
        mime["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        mime["Message-ID"] = draft["internetMessageId"]
        mime["In-Reply-To"] = draft["inReplyTo"]
        mime["References"] = draft["references"]
        mime.set_content(draft["body"]["content"], subtype="html")
        draft.update(isDraft=False, folder="sentitems",
                     mime=mime.as_bytes(policy=email.policy.SMTP))
        return Response(status=202)

    def _subscribe(self, request):
        body = request.get_json()
        stamp = body["expirationDateTime"].split(".")[0].rstrip("Z")
        expires = dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC)
        if expires > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10080):
            return graph_error(400, "ExtensionError", "Subscription expiration can only be "
                               "10080 minutes in the future.")
        subscription = {**body, "id": str(uuid.uuid4()), "applicationId": str(uuid.uuid4()),
                        "creatorId": str(uuid.uuid4()), "latestSupportedTlsVersion": "v1_2"}
        self.state.subscriptions[subscription["id"]] = subscription
        return self._json(subscription, status=201)

    def _renew(self, request, subscription_id):
        subscription = self.state.subscriptions.get(subscription_id)
        if subscription is None:
            return graph_error(404, "ResourceNotFound", "The object was not found.")
        subscription["expirationDateTime"] = request.get_json()["expirationDateTime"]
        return self._json(subscription)

    def _unsubscribe(self, request, subscription_id):
        if self.state.subscriptions.pop(subscription_id, None) is None:
            return graph_error(404, "ResourceNotFound", "The object was not found.")
        return Response(status=204)

    # identity platform -------------------------------------------------------------------

    def _identity_wsgi(self, environ, start_response):
        request = Request(environ)
        return self._identity(request)(environ, start_response)

    def _identity(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        tenant = parts[0] if parts else "organizations"
        base = f"{self.authority}/{tenant}"
        if request.path.endswith("/v2.0/.well-known/openid-configuration"):
            return self._json({
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token"],
                "token_endpoint_auth_methods_supported": ["client_secret_post",
                                                          "private_key_jwt",
                                                          "client_secret_basic"],
            })
        if request.path.endswith("/oauth2/v2.0/token") and request.method == "POST":
            return self._token(request)
        return Response("not found", status=404)

    def _token(self, request: Request) -> Response:
        form = request.form
        self.state.token_requests.append({k: v for k, v in form.items()
                                          if k not in ("client_secret", "assertion")})
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or \
                form.get("requested_token_use") != "on_behalf_of":
            return self._json({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_secret") != "loopback-secret":
            return self._json({"error": "invalid_client", "error_description":
                               "AADSTS7000215: Invalid client secret provided."}, status=401)
        issued = self.state.assertions.get(form.get("assertion"))
        if issued is None:
            return self._json({
                "error": "invalid_grant", "error_description": "AADSTS50013: Assertion failed "
                "signature validation.", "error_codes": [50013],
                "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
                "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())},
                status=400)
        return self._json({"token_type": "Bearer", "scope": form.get("scope", ""),
                           "expires_in": 3599, "ext_expires_in": 3599, "access_token": issued})
