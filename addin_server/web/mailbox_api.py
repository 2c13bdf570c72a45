"""Mailbox endpoints: sync a plan's thread, send the updated plan into it, opt in to push."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify

from ..errors import NotFound, ValidationError
from ..mailboxes.gmail import gmail_id
from ..services import push, sync
from ..services.inputs import object_body
from .api import json_body
from .auth import current_user

bp = Blueprint("mailbox_api", __name__, url_prefix="/api")

_PLAN_ID = re.compile(r"^[0-9A-Z]{8}$")
_TOKEN_FIELDS = {"provider", "access_token", "message_token"}
_SYNC_FIELDS = _TOKEN_FIELDS | {"thread_id"}
_SEND_FIELDS = _SYNC_FIELDS | {"reply_to_id", "since", "mode"}


def _addin():
    return current_app.extensions["addin"]


def _plan(plan_id: str) -> str:
    if not _PLAN_ID.match(plan_id or ""):
        raise NotFound(f"No plan {plan_id}.", field="/id")
    return plan_id


def _body(allowed: set[str]) -> dict:
    body = object_body(json_body(), allowed)
    if body.get("provider") not in ("gmail", "outlook"):
        raise ValidationError("/provider must be gmail or outlook.", field="/provider")
    for name in allowed - {"since", "provider"}:
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()
                                  or len(value) > 8192):
            raise ValidationError(f"/{name} must be a non-empty string.", field=f"/{name}")
    return body


def mailbox_for(body: dict):
    """The user's mailbox for this request: Gmail from the add-on's token, Graph via OBO."""
    factories = _addin().mailboxes
    if body["provider"] == "gmail":
        if not body.get("access_token"):
            raise ValidationError("/access_token (the add-on event's Gmail token) is required.",
                                  field="/access_token")
        return factories["gmail"](body["access_token"], body.get("message_token"))
    return factories["outlook"](_graph_token(body))


def _graph_token(body: dict) -> str:
    """On-behalf-of the signed-in user; in dev mode a Graph token may be given in the body."""
    dev = current_app.config["AUTH_MODE"] == "dev"
    if body.get("access_token"):
        if not dev:
            raise ValidationError("/access_token is only accepted in dev mode for Outlook; the "
                                  "server exchanges your sign-in token.", field="/access_token")
        return body["access_token"]
    user = current_user()
    if not user.token:
        raise ValidationError("Outlook needs a sign-in token (or /access_token in dev mode).",
                              field="/access_token")
    return _addin().mailboxes["graph_obo"](current_app.config, user.token)


def _thread_id(body: dict, plan_id: str) -> str:
    """The thread given, else the one linked to the plan for that provider."""
    thread_id = body.get("thread_id")
    if thread_id is None:
        with _addin().uow() as uow:
            uow.repo.plan_row(plan_id, current_user().id)
            linked = [t["thread_id"] for t in uow.repo.threads(plan_id)
                      if t["provider"] == body["provider"]]
        if not linked:
            raise ValidationError("/thread_id is required: this plan has no linked "
                                  f"{body['provider']} conversation yet.", field="/thread_id")
        thread_id = linked[-1]
    return gmail_id(thread_id) if body["provider"] == "gmail" else thread_id


@bp.post("/plans/<plan_id>/sync", endpoint="sync")
def sync_plan_thread(plan_id):
    """Read the plan's thread and ingest what is new: {"new", "other", "skipped", "total"}."""
    plan_id = _plan(plan_id)
    body = _body(_SYNC_FIELDS)
    thread_id = _thread_id(body, plan_id)
    mailbox = mailbox_for(body)
    report = sync.sync_thread(_addin().uow, current_user(), plan_id, mailbox, thread_id,
                              max_bytes=current_app.config["MAX_MESSAGE_BYTES"])
    return jsonify({"thread_id": thread_id, **report})


@bp.post("/plans/<plan_id>/send", endpoint="send")
def send_plan(plan_id):
    """Send (mode "send", default) or draft the updated plan as a reply in the thread."""
    plan_id = _plan(plan_id)
    body = _body(_SEND_FIELDS)
    since = body.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool)):
        raise ValidationError("/since must be a version number.", field="/since")
    mode = body.get("mode", "send")
    if mode not in sync.MODES:
        raise ValidationError("/mode must be send or draft.", field="/mode")
    thread_id = _thread_id(body, plan_id)
    reply_to = body.get("reply_to_id")
    if reply_to and body["provider"] == "gmail":
        reply_to = gmail_id(reply_to)
    result = sync.send_plan(_addin().uow, current_user(), plan_id, mailbox_for(body),
                            thread_id, reply_to, since=since, mode=mode)
    return jsonify({"thread_id": thread_id, **result})


@bp.post("/mailbox/watch")
def watch_mailbox():
    """Opt in to push: Gmail users.watch to the topic, or a Graph subscription on the inbox."""
    body = _body(_TOKEN_FIELDS)
    deps = push.deps_for(current_app)
    owner = current_user().id
    if body["provider"] == "gmail":
        started = push.start_gmail_watch(deps, owner, mailbox_for(body))
    else:
        started = push.start_graph_subscription(deps, owner, mailbox_for(body))
    return jsonify({**started, "expires_at": started["expires_at"].isoformat()}), 201


def openapi_paths() -> dict:
    """This blueprint's part of the OpenAPI document (merged by web/openapi.py)."""
    from .openapi import _errors, _json_body, _ok, _plan_id_param, _ref

    upstream = {str(status): {"description": why, "content": {"application/json": {
        "schema": _ref("Error")}}} for status, why in (
        (401, "Sign in again: the mailbox token expired or was revoked"),
        (409, "The conversation belongs to another plan, or push is not configured here"),
        (502, "The mailbox provider stayed throttled or unavailable after retries"))}
    tokens = {"provider": {"enum": ["gmail", "outlook"]},
              "access_token": {"type": "string", "minLength": 1, "maxLength": 8192},
              "message_token": {"type": "string", "minLength": 1, "maxLength": 8192}}
    thread = {**tokens, "thread_id": {"type": "string", "minLength": 1, "maxLength": 500}}
    send = {**thread, "reply_to_id": {"type": "string", "minLength": 1, "maxLength": 500},
            "since": {"type": "integer", "minimum": 1}, "mode": {"enum": list(sync.MODES)}}

    def body(properties: dict) -> dict:
        return _json_body({"type": "object", "required": ["provider"],
                           "properties": properties, "additionalProperties": False})

    common = {**_errors(400, 403, 404, 413, 422, 429), **upstream}
    return {
        "/api/plans/{plan_id}/sync": {"post": {
            "summary": "Read the plan's thread and ingest the messages not seen before",
            "parameters": [_plan_id_param()], "requestBody": body(thread),
            "responses": {**_ok({"type": "object", "required": [
                "thread_id", "new", "other", "skipped", "total", "errors"]}), **common}}},
        "/api/plans/{plan_id}/send": {"post": {
            "summary": "Send (or draft) the updated plan as a reply in the thread",
            "parameters": [_plan_id_param()], "requestBody": body(send),
            "responses": {**_ok({"type": "object", "required": [
                "thread_id", "version", "since", "subject", "sent"]}), **common}}},
        "/api/mailbox/watch": {"post": {
            "summary": "Opt in to push notifications for the seller's mailbox",
            "requestBody": body(tokens),
            "responses": {**_ok({"type": "object", "required": ["provider", "expires_at"]},
                                "Watching", "201"), **common}}},
    }
