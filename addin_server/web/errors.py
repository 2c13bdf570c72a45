"""One place where exceptions become responses: JSON for programs, a short page for people."""

from __future__ import annotations

import functools
import logging
import secrets

from flask import Flask, g, jsonify, make_response, request
from jinja2 import Environment
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..errors import AddinError

log = logging.getLogger("addin_server")

# Compiled on first use, once (render_template_string compiled it on every error page).
_PAGE_SOURCE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ title }}</title>
<body style="font-family:'Segoe UI',system-ui,sans-serif;margin:24px;color:#242424">
<h1 style="font-size:18px;font-weight:600">{{ title }}</h1><p>{{ message }}</p>
<p style="color:#616161;font-size:12px">Request {{ request_id }}</p></body></html>"""


@functools.lru_cache(maxsize=1)
def _page():
    return Environment(autoescape=True).from_string(_PAGE_SOURCE)


def request_id() -> str:
    """This request's id (made on first use), echoed in X-Request-Id and every error body."""
    rid = g.get("request_id")
    if rid is None:
        incoming = request.environ.get("HTTP_X_REQUEST_ID", "")
        ok = incoming and len(incoming) <= 64 and incoming.replace("-", "").isalnum()
        rid = g.request_id = incoming if ok else secrets.token_hex(16)
    return rid


def _wants_json() -> bool:
    path = request.path
    if path.startswith(("/api/", "/gmail/", "/webhooks/", "/healthz", "/readyz", "/openapi")):
        return True
    return request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, field: str | None = None):
    """The error in the one shape, JSON or a page depending on who asks."""
    rid = request_id()
    if _wants_json():
        body = {"error": code, "message": message, "field": field, "request_id": rid}
        response = jsonify(body)
    else:
        title = "Something went wrong" if status >= 500 else "That did not work"
        response = _page().render(title=title, message=message, request_id=rid)
    return response, status


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(AddinError, _addin_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)


def _addin_error(error: AddinError):
    return error_response(error.status, error.code, error.message, error.field)


def _too_large(_error):
    from flask import current_app

    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return error_response(
        413, "too_large", f"The request body is larger than the limit of {limit:,} bytes.", None
    )


def _http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code, error.description or error.name, None)


def _database_unavailable(error: OperationalError):
    """The database is down, restarting, or dropped this connection: a retry can succeed."""
    log.warning("database unavailable: %s", type(error.orig).__name__,
                extra={"request_id": request_id()})
    response = make_response(*error_response(
        503, "database_unavailable", "The database did not answer. Try again in a moment.", None))
    response.headers["Retry-After"] = "1"
    return response


def _unexpected(error: Exception):
    log.exception("unhandled error", extra={"request_id": request_id()})
    return error_response(
        500, "internal", "Something went wrong on our side; nothing was changed.", None
    )
