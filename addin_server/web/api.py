"""The JSON API: thin views that parse, call one service and answer."""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, current_app, jsonify, request, url_for

from ..errors import BadRequest, NotFound, PreconditionRequired
from ..services import guidance
from ..services import plans as plan_services
from ..services import replies as reply_services
from .auth import current_user

bp = Blueprint("api", __name__, url_prefix="/api")

_PLAN_ID = re.compile(r"^[0-9A-Z]{8}$")
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def _addin():
    return current_app.extensions["addin"]


def _uow(write: bool = False):
    return _addin().uow(write=write)


def _owner() -> str:
    return current_user().id


def _plan_id(value: str) -> str:
    if not _PLAN_ID.match(value or ""):
        raise NotFound(f"No plan {value}.", field="/id")
    return value


def json_body(limit: int | None = None):
    """The request's JSON body, or a BadRequest that says what is wrong with it."""
    if limit:
        request.max_content_length = limit
    if not request.is_json:
        raise BadRequest("Send the body as JSON (Content-Type: application/json).", field="")
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("The body is not valid JSON.", field="")
    return body


def _int_arg(name: str, default: int | None = None) -> int | None:
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit() or len(value) > 9:
        raise BadRequest(f"{name} must be a positive whole number.", field=name)
    return int(value)


def _date_arg(name: str) -> dt.date:
    value = request.args.get(name)
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date written YYYY-MM-DD.", field=name) from None


def _source_arg(default: str) -> str:
    return request.args.get("source", default)


def _with_etag(payload: dict, status: int = 200):
    response = jsonify(payload)
    response.status_code = status
    response.headers["ETag"] = f'"{payload["version"]}"'
    return response


# plans ---------------------------------------------------------------------------------------


@bp.post("/plans")
def create_plan():
    """Create a plan from plan JSON: version 1."""
    body = json_body()
    created = plan_services.create_plan(
        _uow(write=True), _owner(), body, source=_source_arg("seller_edit")
    )
    response = _with_etag(created, 201)
    response.headers["Location"] = url_for("api.get_plan", plan_id=created["id"])
    return response


@bp.get("/plans")
def list_plans():
    """The user's plans, newest first; ?thread=provider:id finds a conversation's plan."""
    return jsonify(plan_services.list_plans(_uow(), _owner(), thread=request.args.get("thread")))


@bp.get("/plans/<plan_id>")
def get_plan(plan_id):
    """The latest version."""
    return _with_etag(
        plan_services.get_plan(_uow(), _owner(), _plan_id(plan_id), plan_as_text=True)
    )


@bp.put("/plans/<plan_id>")
def put_plan(plan_id):
    """Replace with a new version; needs If-Match with the version it was based on."""
    plan_id = _plan_id(plan_id)
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired(
            'Send If-Match: "<version>" with the version your edit is based on.', field="If-Match"
        )
    match = _IF_MATCH.match(header)
    if not match:
        raise BadRequest('If-Match must be a version number, e.g. "3".', field="If-Match")
    body = json_body()
    revised = plan_services.revise_plan(
        _uow(write=True), _owner(), plan_id, body, int(match.group(1)),
        source=_source_arg("seller_edit"),
    )
    return _with_etag(revised)


@bp.get("/plans/<plan_id>/versions")
def list_versions(plan_id):
    """Every version's metadata."""
    return jsonify(plan_services.list_versions(_uow(), _owner(), _plan_id(plan_id)))


@bp.get("/plans/<plan_id>/versions/<int:number>")
def get_version(plan_id, number):
    """One version's plan."""
    return jsonify(plan_services.get_version(_uow(), _owner(), _plan_id(plan_id), number))


@bp.get("/plans/<plan_id>/diff")
def diff(plan_id):
    """Field-level changes between two versions."""
    plan_id = _plan_id(plan_id)
    a, b = _int_arg("from"), _int_arg("to")
    if a is None or b is None:
        raise BadRequest("Give both versions: ?from=a&to=b.", field="from" if a is None else "to")
    return jsonify(plan_services.diff_versions(_uow(), _owner(), plan_id, a, b))


@bp.get("/plans/<plan_id>/slips")
def slips(plan_id):
    """How often each milestone's date moved."""
    return jsonify(plan_services.slips(_uow(), _owner(), _plan_id(plan_id)))


@bp.post("/plans/<plan_id>/threads")
def link_thread(plan_id):
    """Link a conversation to the plan (what Insert and Resend do)."""
    linked = plan_services.link_thread(_uow(write=True), _owner(), _plan_id(plan_id), json_body())
    return jsonify(linked), 201


# rendering and guidance -------------------------------------------------------------------------


@bp.get("/plans/<plan_id>/email")
def email(plan_id):
    """The rendered email of the current version (or ?version=n)."""
    rendered = guidance.email(_uow(), _owner(), _plan_id(plan_id), _int_arg("version"),
                              as_text=True)
    return jsonify(rendered)


@bp.get("/plans/<plan_id>/checks")
def checks(plan_id):
    """The qualification answers and the six quality checks."""
    return jsonify(guidance.checks(_uow(), _owner(), _plan_id(plan_id), _date_arg("today")))


@bp.get("/plans/<plan_id>/suggestions")
def suggestions(plan_id):
    """The customer's own words in the notes, with their spans."""
    return jsonify(guidance.suggestions(_uow(), _owner(), _plan_id(plan_id)))


@bp.post("/timeline")
def timeline():
    """A reverse timeline from the value-realized date."""
    return jsonify(guidance.timeline(json_body()))


@bp.post("/preview")
def preview():
    """Render, check and draft a summary for an unsaved plan (the panes' live preview)."""
    return jsonify(guidance.preview(json_body(), _date_arg("today")))


# drafts ------------------------------------------------------------------------------------------


@bp.get("/drafts/<path:key>")
def get_draft(key):
    """The seller's autosaved work in progress."""
    return jsonify(plan_services.get_draft(_uow(), _owner(), key))


@bp.put("/drafts/<path:key>")
def save_draft(key):
    """Autosave the work in progress (no version is made)."""
    return jsonify(plan_services.save_draft(_uow(write=True), _owner(), key, json_body()))


# replies -----------------------------------------------------------------------------------------


@bp.post("/plans/<plan_id>/messages")
def ingest_message(plan_id):
    """Ingest one email (message/rfc822): 201 when new, 200 when that Message-ID was seen."""
    plan_id = _plan_id(plan_id)
    request.max_content_length = current_app.config["MAX_MESSAGE_BYTES"]
    if request.mimetype not in ("message/rfc822", "text/plain", "application/octet-stream"):
        raise BadRequest("Send the email as message/rfc822.", field="Content-Type")
    raw = request.get_data(cache=False)
    result, created = reply_services.ingest_message(
        _uow(write=True), current_user(), plan_id, raw,
        provider_message_id=request.args.get("provider_message_id"),
    )
    return jsonify(result), 201 if created else 200


@bp.get("/plans/<plan_id>/messages")
def list_messages(plan_id):
    """The plan's ingested messages with their proposals."""
    return jsonify(reply_services.list_messages(_uow(), _owner(), _plan_id(plan_id)))


@bp.post("/plans/<plan_id>/proposals/<int:proposal_id>/accept")
def accept(plan_id, proposal_id):
    """Accept a proposed change: a new version."""
    result = reply_services.decide(
        _uow(write=True), _owner(), _plan_id(plan_id), proposal_id, accept=True
    )
    return _with_etag(result)


@bp.post("/plans/<plan_id>/proposals/<int:proposal_id>/reject")
def reject(plan_id, proposal_id):
    """Reject a proposed change."""
    result = reply_services.decide(
        _uow(write=True), _owner(), _plan_id(plan_id), proposal_id, accept=False
    )
    return _with_etag(result)


@bp.post("/plans/<plan_id>/resend")
def resend(plan_id):
    """The updated plan with what changed since the version the customer last saw."""
    body = json_body() if request.content_length else {}
    return jsonify(reply_services.resend(_uow(write=True), _owner(), _plan_id(plan_id), body))
