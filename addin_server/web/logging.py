"""One structured JSON line per request, with nothing secret or personal in it.

Logged: method, path (never the query string, which can carry tokens), route, status, duration,
response size, request id and a keyed hash of the user id. Never logged: headers (Authorization,
cookies), query strings, request or response bodies (an email is customer data), email addresses.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from datetime import UTC, datetime

from flask import Flask, g, request

from .errors import request_id

log = logging.getLogger("addin_server.request")

_MAX_PATH = 300  # a path is ours to log, but a hostile client can make it huge


def pseudonym_key(secret_key) -> bytes:
    """The key of the user pseudonyms, derived from the app's secret key (once, at start)."""
    return hashlib.sha256(b"request-log-user:" + str(secret_key).encode()).digest()


@functools.lru_cache(maxsize=1024)
def user_hash(user_id: str, key: bytes) -> str:
    """A stable pseudonym for a user: the same user correlates across lines, the id stays hidden."""
    # Keyed BLAKE2b is a MAC: without the secret key nobody can test a guessed address against it.
    return hashlib.blake2b(user_id.encode(), key=key, digest_size=8).hexdigest()


def request_fields(response, key: bytes) -> dict:
    """The fields of this request's line."""
    started = g.get("_log_started")
    duration = round((time.perf_counter() - started) * 1000, 2) if started else None
    user = g.get("user")  # only when the view resolved it; logging never triggers sign-in
    rule = request.url_rule
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": "request",
        "method": request.method,
        "path": request.path[:_MAX_PATH],
        "route": rule.rule if rule is not None else None,
        "status": response.status_code,
        "duration_ms": duration,
        "bytes": response.content_length,
        "request_id": request_id(),
        "user": user_hash(user.id, key) if user is not None else None,
    }


def init_app(app: Flask) -> None:
    """Time every request and log it after the response is made (errors included)."""
    key = pseudonym_key(app.config["SECRET_KEY"])

    @app.before_request
    def _start_clock():
        g._log_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        if log.isEnabledFor(logging.INFO):
            fields = request_fields(response, key)
            # makeRecord and handle, not log.info: the caller's file and line are the same on
            # every line, so looking them up on each request was work thrown away.
            record = log.makeRecord(log.name, logging.INFO, __file__, 0,
                                    json.dumps(fields, ensure_ascii=False), (), None,
                                    extra={"http": fields})
            log.handle(record)
        return response
