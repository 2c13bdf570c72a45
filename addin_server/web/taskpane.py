"""The Outlook task panes: the pages, their static files, and the pane's own small JSON helpers."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_file
from jinja2 import FileSystemLoader

from ..errors import ValidationError
from ..plans import checks as plan_checks
from ..plans import notes as plan_notes
from ..plans.model import MILESTONE_KINDS, OWNERS, ROLES, SIDES, STATUSES
from ..resources import resource_dir
from .api import json_body
from .auth import current_user

OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
# Long cache for files requested with their content hash (?v=...): the URL changes with the file.
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_NOTES = 20000


class _PaneBlueprint(Blueprint):
    """A blueprint whose templates live in the repository's templates/ folder."""

    @cached_property
    def jinja_loader(self):
        return FileSystemLoader(str(resource_dir("templates")))


bp = _PaneBlueprint("taskpane", __name__)
pane_api = Blueprint("pane_api", __name__, url_prefix="/api/pane")


# static files ------------------------------------------------------------------------------------


def _static_root() -> Path:
    return resource_dir("static").resolve()


def _static_file(filename: str) -> Path | None:
    """The file under static/, or None when it is absent or outside the folder."""
    root = _static_root()
    path = (root / filename).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def content_version(filename: str) -> str:
    """A short hash of the file's content, cached per (path, mtime, size)."""
    path = _static_file(filename)
    if path is None:
        return "0"
    stat = path.stat()
    cache = current_app.extensions.setdefault("static_versions", {})
    key = (filename, stat.st_mtime_ns, stat.st_size)
    if key not in cache:
        cache[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return cache[key]


def static_url(filename: str) -> str:
    """The URL of a static file with its content version, for templates."""
    return f"/static/{filename}?v={content_version(filename)}"


@bp.get("/static/<path:filename>")
def static_file(filename):
    """Files under static/: immutable when asked by content version, revalidated otherwise."""
    path = _static_file(filename)
    if path is None:
        abort(404)
    response = send_file(path, conditional=True, max_age=0)
    if request.args.get("v") == content_version(filename):
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


# pages -------------------------------------------------------------------------------------------


def _api_scope(config) -> str | None:
    client_id = config.get("MS_CLIENT_ID")
    if not client_id:
        return None
    audience = config.get("MS_API_AUDIENCE") or f"api://{client_id}"
    return f"{audience.rstrip('/')}/{config.get('MS_API_SCOPE') or 'access_as_user'}"


def pane_config() -> dict:
    """What the pane's script needs from the server's settings (nothing secret)."""
    config = current_app.config
    return {
        "authMode": config["AUTH_MODE"],
        "devUser": config["DEMO_USER"],
        "msClientId": config.get("MS_CLIENT_ID"),
        "apiScope": _api_scope(config),
        "authority": f"{config['MS_AUTHORITY'].rstrip('/')}/common",
        "msalUrl": config["MSAL_JS_URL"],
    }


def _choices() -> dict:
    return {
        "kinds": MILESTONE_KINDS,
        "owners": OWNERS,
        "roles": ROLES,
        "sides": SIDES,
        "statuses": STATUSES,
    }


def _page(template: str, **context):
    context.update(
        office_js=OFFICE_JS,
        static_url=static_url,
        pane_config=pane_config(),
        choices=_choices(),
    )
    response = current_app.make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/taskpane/compose")
def compose():
    """The compose pane: qualification, notes, plan form, checks, preview, Insert."""
    return _page("taskpane/compose.html", qualification=plan_checks.QUALIFICATION)


@bp.get("/taskpane/read")
def read():
    """The read pane: replies, proposals, confirmation, history, Resend."""
    return _page("taskpane/read.html")


@bp.get("/taskpane/help")
def help_page():
    """Support, privacy and terms: what the manifests link to."""
    return _page("taskpane/help.html")


# the pane's own helpers --------------------------------------------------------------------------


@pane_api.post("/suggestions")
def suggestions():
    """The customer's own words in unsaved notes (the stored-plan route needs a saved plan)."""
    current_user()
    body = json_body()
    notes = body.get("notes") if isinstance(body, dict) else None
    if not isinstance(notes, str):
        raise ValidationError("/notes must be a string.", field="/notes")
    if len(notes) > MAX_NOTES:
        raise ValidationError(
            f"/notes is longer than {MAX_NOTES} characters.", field="/notes"
        )
    return jsonify({"suggestions": plan_notes.suggest(notes)})
