"""Push endpoints: Gmail via Pub/Sub (Google OIDC token), Microsoft Graph change notifications.

Both only check, store (deduplicated) and answer at once; `process-notifications` does the work.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import threading
import time

import requests
from flask import Blueprint, Response, current_app, request
from google.auth import jwt as google_jwt
from google.auth.exceptions import GoogleAuthError

from ..errors import BadRequest, Forbidden, Unauthorized, UpstreamError
from ..services import push

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
_MAX_VALIDATION_TOKEN = 1024


def _uow_factory():
    return current_app.extensions["addin"].uow


# Gmail -----------------------------------------------------------------------------------


@bp.post("/webhooks/gmail")
def gmail():
    """A Pub/Sub push: verify the OIDC token, store {emailAddress, historyId} once, answer 204."""
    verify_pubsub_token(request.headers.get("Authorization", ""), current_app.config)
    message_id, data = _pubsub_message(request.get_json(silent=True))
    created = push.record(_uow_factory(), "gmail", push.dedupe_key(message_id), data)
    log.info("Gmail push %s stored=%s", message_id, created)
    return Response(status=204)


def pubsub_audience(config) -> str:
    """The audience Pub/Sub puts in its token: configured, else this endpoint's public URL."""
    return config.get("GOOGLE_PUBSUB_AUDIENCE") or (
        config["BASE_URL"].rstrip("/") + "/webhooks/gmail")


def verify_pubsub_token(header: str, config) -> dict:
    """Claims of a Google-signed ID token from the configured push service account, or refuse."""
    expected = (config.get("GOOGLE_PUBSUB_SERVICE_ACCOUNT") or "").lower()
    if not expected:
        raise Forbidden("Gmail push is not configured (ADDIN_GOOGLE_PUBSUB_SERVICE_ACCOUNT).")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The push request has no bearer token.", field="Authorization")
    certs = current_app.extensions.setdefault("pubsub_certs", GoogleCerts())
    claims = certs.verify(token.strip(), config["GOOGLE_CERTS_URL"], pubsub_audience(config),
                          float(config.get("OUTBOUND_TIMEOUT") or 10.0))
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise Unauthorized("The push token was not issued by Google.", field="Authorization")
    if str(claims.get("email", "")).lower() != expected or claims.get("email_verified") is not True:
        raise Unauthorized("The push token is not from the configured service account.",
                           field="Authorization")
    return claims


class GoogleCerts:
    """Google's signing certificates, fetched once an hour (and again for an unknown key id)."""

    def __init__(self, ttl: float = 3600.0):
        self._ttl = ttl
        self._certs: dict | None = None
        self._fetched = 0.0
        self._lock = threading.Lock()

    def verify(self, token: str, url: str, audience: str, timeout: float) -> dict:
        """The claims of a token signed by one of the certificates, for the audience; or refuse."""
        for refresh in (False, True):
            try:
                return google_jwt.decode(token, certs=self._get(url, refresh, timeout),
                                         audience=audience)
            except (ValueError, GoogleAuthError) as error:
                # A key id we do not know yet may be a rotation: fetch the certificates once more.
                if refresh or "Certificate for key id" not in str(error):
                    log.info("Gmail push token refused: %s", type(error).__name__)
                    raise Unauthorized("The push token was not accepted.",
                                       field="Authorization") from None
        raise AssertionError("unreachable")

    def _get(self, url: str, refresh: bool, timeout: float) -> dict:
        with self._lock:
            stale = time.monotonic() - self._fetched > self._ttl
            if refresh or stale or self._certs is None:
                self._certs = _fetch_certs(url, timeout)
                self._fetched = time.monotonic()
            return self._certs


def _fetch_certs(url: str, timeout: float) -> dict:
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        certs = response.json()
    except (requests.RequestException, ValueError):
        raise UpstreamError("Google's signing keys could not be fetched; retry.") from None
    if not isinstance(certs, dict):
        raise UpstreamError("Google's signing keys had an unexpected shape; retry.")
    return certs


def _pubsub_message(envelope) -> tuple[str, dict]:
    """The Pub/Sub messageId and the decoded Gmail payload, or BadRequest naming the field."""
    message = envelope.get("message") if isinstance(envelope, dict) else None
    if not isinstance(message, dict):
        raise BadRequest("The body must be a Pub/Sub push envelope.", field="/message")
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 200:
        raise BadRequest("The Pub/Sub message has no messageId.", field="/message/messageId")
    try:
        data = message["data"]
        decoded = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise BadRequest("message.data must be base64 JSON.", field="/message/data") from None
    address, history = decoded.get("emailAddress"), decoded.get("historyId")
    if not isinstance(address, str) or "@" not in address:
        raise BadRequest("The Gmail payload has no emailAddress.", field="/message/data")
    if not str(history).isdigit():
        raise BadRequest("The Gmail payload has no historyId.", field="/message/data")
    return message_id, {"emailAddress": address.lower(), "historyId": str(history),
                        "messageId": message_id, "publishTime": message.get("publishTime")}


# Microsoft Graph ---------------------------------------------------------------------------


@bp.post("/webhooks/graph")
def graph():
    """Validation handshake, or a batch of notifications: store those with the right clientState."""
    token = request.args.get("validationToken")
    if token is not None:
        # Werkzeug has URL-decoded it; Graph wants it back exactly, as text, within 10 s.
        return Response(token[:_MAX_VALIDATION_TOKEN], status=200, mimetype="text/plain")
    body = request.get_json(silent=True)
    items = body.get("value") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise BadRequest("The body must be a Graph notification collection.", field="/value")
    stored = refused = 0
    for item in items:
        if not _trusted(item):
            refused += 1
            continue
        # The clientState is a shared secret: it is checked, not kept.
        kept = {key: value for key, value in item.items() if key != "clientState"}
        stored += push.record(_uow_factory(), "outlook", _graph_key(item), kept)
    if refused:
        log.warning("Graph notifications refused (unknown subscription or clientState): %s",
                    refused)
    # 202 for the batch either way: Graph retries non-2xx, and a forged batch gets nothing.
    return Response(status=202)


def _trusted(item) -> bool:
    """The notification names one of our subscriptions and carries its clientState."""
    if not isinstance(item, dict):
        return False
    subscription, state = item.get("subscriptionId"), item.get("clientState")
    if not isinstance(subscription, str) or not isinstance(state, str):
        return False
    watch = push.watch_by_external_id(_uow_factory(), "outlook", subscription)
    if watch is None or not watch["client_state"]:
        return False
    return hmac.compare_digest(state.encode(), watch["client_state"].encode())


def _graph_key(item: dict) -> str:
    """Same subscription, resource and change: the same notification (delivered at least once)."""
    subscription = item["subscriptionId"]
    if item.get("lifecycleEvent"):
        return push.dedupe_key(subscription, item["lifecycleEvent"],
                               item.get("subscriptionExpirationDateTime") or "")
    resource = (item.get("resourceData") or {}).get("id") or item.get("resource") or ""
    return push.dedupe_key(subscription, resource, item.get("changeType") or "")
