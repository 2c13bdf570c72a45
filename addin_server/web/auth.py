"""The current user: X-Dev-User in dev mode (loopback only), verified bearer tokens otherwise."""

from __future__ import annotations

import functools
import ipaddress
import re

from flask import current_app, g, request

from ..auth import User
from ..errors import BadRequest, Forbidden, Unauthorized

_EMAIL = re.compile(r"^[^@\s<>\"]{1,200}@[^@\s<>\"]{1,200}$")


@functools.lru_cache(maxsize=256)
def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (also as an IPv4-mapped IPv6 address)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def guard_dev_mode() -> None:
    """In dev mode, refuse every client that is not on this machine."""
    if current_app.config["AUTH_MODE"] == "dev" and not is_loopback(request.remote_addr):
        raise Forbidden(
            "This server runs in dev mode and answers only clients on this machine.", field=None
        )


def current_user() -> User:
    """The user of this request, or Unauthorized."""
    if "user" in g:
        return g.user
    if current_app.config["AUTH_MODE"] == "dev":
        user = _dev_user()
    else:
        user = _verified_user()
    g.user = user
    return user


def _dev_user() -> User:
    email = request.headers.get("X-Dev-User", "").strip() or current_app.config["DEMO_USER"]
    if not _EMAIL.match(email):
        raise BadRequest("X-Dev-User must be an email address.", field="X-Dev-User")
    return User(id=email.lower(), email=email.lower(), provider="dev")


def _verified_user() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in: this request has no bearer token.", field="Authorization")
    verifiers = current_app.extensions["addin"].verifiers
    for verify in verifiers:
        user = verify(token.strip())
        if user is not None:
            return user
    raise Unauthorized("Sign in again: the token was not accepted.", field="Authorization")
