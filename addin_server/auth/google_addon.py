"""Verifying Gmail add-on requests: Google-signed ID tokens for the system and the user.

Every add-on request carries, as ``Authorization: Bearer``, an ID token of the deployment's
Workspace add-ons service account whose audience is the endpoint URL. The user is named by
``authorizationEventObject.userIdToken``, an ID token whose audience is the add-on's OAuth
client id (``gcloud workspace-add-ons get-authorization`` prints both values).
"""

from __future__ import annotations

import threading
import time

from google.auth import exceptions as google_exceptions
from google.oauth2 import id_token

from ..errors import Unauthorized, UpstreamError
from . import User

GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")
CERTS_TTL = 300.0  # seconds Google's signing certificates are reused before a re-fetch


class CachingRequest:
    """A google.auth transport that keeps GET answers (the certificates) for a while.

    Verifying a token needs Google's public certificates; fetching them for every card
    request would add a round trip to each click.
    """

    def __init__(self, inner, ttl: float = CERTS_TTL, timeout: float = 10.0):
        self._inner = inner
        self._ttl = ttl
        self._timeout = timeout
        self._cache: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        now = time.monotonic()
        if method == "GET" and body is None:
            with self._lock:
                hit = self._cache.get(url)
            if hit and now - hit[0] < self._ttl:
                return hit[1]
        response = self._inner(url, method=method, body=body, headers=headers,
                               timeout=timeout or self._timeout, **kwargs)
        if method == "GET" and body is None and response.status == 200:
            with self._lock:
                self._cache[url] = (now, response)
        return response


def make_request(timeout: float = 10.0) -> CachingRequest:
    """A caching transport over requests (built per app, never at import)."""
    from google.auth.transport.requests import Request

    return CachingRequest(Request(), timeout=timeout)


def verify_google_token(token: str, audience: str, *, certs_url: str, request, what: str,
                        field: str) -> dict:
    """The claims of a Google-signed ID token for audience, or Unauthorized saying why."""
    try:
        claims = id_token.verify_token(token, request, audience=audience, certs_url=certs_url)
    except google_exceptions.TransportError:
        raise UpstreamError("Google's signing certificates could not be fetched; try again.",
                            field=field) from None
    except (ValueError, google_exceptions.GoogleAuthError) as error:
        raise Unauthorized(f"The {what} was not accepted: {_reason(error)}.", field=field) from None
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise Unauthorized(f"The {what} was not issued by Google.", field=field)
    return claims


def _reason(error: Exception) -> str:
    """A short reason without echoing token contents."""
    text = str(error).lower()
    for needle, reason in (("expired", "it has expired"), ("audience", "wrong audience"),
                           ("signature", "bad signature"), ("certificate for key", "unknown key"),
                           ("too early", "not valid yet")):
        if needle in text:
            return reason
    return "it is not a valid token"


def _verified(claims: dict) -> bool:
    return claims.get("email_verified") in (True, "true")


def verify_system_token(token: str, endpoint_url: str, *, service_account: str | None,
                        certs_url: str, request) -> dict:
    """Check the bearer token Gmail sends: audience the endpoint, email the service account."""
    if not service_account:
        raise Unauthorized("The Gmail add-on is not configured here: set "
                           "ADDIN_GOOGLE_SERVICE_ACCOUNT.", field="Authorization")
    claims = verify_google_token(token, endpoint_url, certs_url=certs_url, request=request,
                                 what="add-on request token", field="Authorization")
    if claims.get("email") != service_account or not _verified(claims):
        raise Unauthorized("The add-on request token belongs to another service account.",
                           field="Authorization")
    return claims


def verify_user_token(token: str | None, *, client_id: str | None, certs_url: str,
                      request) -> User:
    """The seller named by authorizationEventObject.userIdToken."""
    field = "authorizationEventObject.userIdToken"
    if not client_id:
        raise Unauthorized("The Gmail add-on is not configured here: set "
                           "ADDIN_GOOGLE_OAUTH_CLIENT_ID.", field=field)
    if not token:
        raise Unauthorized("The event carries no user ID token.", field=field)
    claims = verify_google_token(token, client_id, certs_url=certs_url, request=request,
                                 what="user ID token", field=field)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("The user ID token names no user.", field=field)
    email = claims.get("email") if _verified(claims) else None
    return User(id=f"google:{subject}", email=(email or "").lower(), provider="google")


def bearer(header: str | None) -> str:
    """The token of an 'Authorization: Bearer <token>' header, or Unauthorized."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("This request has no bearer token.", field="Authorization")
    return token.strip()

