"""The API's OpenAPI 3.1 document, built from the same plan schema the server validates with."""

from __future__ import annotations

import copy
from functools import lru_cache

from flask import Blueprint, jsonify

from ..plans.model import PLAN_SCHEMA

bp = Blueprint("openapi", __name__)

_JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(schema: dict, description: str = "OK", status: str = "200") -> dict:
    return {status: {"description": description, "content": {_JSON: {"schema": schema}}}}


def _errors(*statuses: int) -> dict:
    reasons = {
        400: "The request cannot be understood",
        401: "Not signed in",
        403: "Refused (dev mode answers only this machine)",
        404: "No such plan, version or proposal for this user",
        409: "The proposal was already decided or no longer applies",
        412: "If-Match names a version that is no longer the latest",
        413: "The body is larger than the limit",
        422: "The plan or body breaks the schema; field names where",
        428: "If-Match is missing",
        429: "Too many requests",
    }
    return {
        str(s): {"description": reasons[s], "content": {_JSON: {"schema": _ref("Error")}}}
        for s in statuses
    }


_COMMON = (400, 403, 404, 413, 429)


def _plan_id_param() -> dict:
    return {"name": "plan_id", "in": "path", "required": True,
            "schema": {"type": "string", "maxLength": 64}}


def _int_query(name: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required,
            "schema": {"type": "integer", "minimum": 1, "maximum": 999999999}}


def _json_body(schema: dict, required: bool = True) -> dict:
    return {"required": required, "content": {_JSON: {"schema": schema}}}


def _schemas() -> dict:
    plan = copy.deepcopy(PLAN_SCHEMA)
    nullable_str = {"type": ["string", "null"]}
    any_value = {}
    return {
        "Plan": plan,
        "Error": {
            "type": "object",
            "required": ["error", "message", "field"],
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "field": nullable_str, "request_id": {"type": "string"}},
        },
        "PlanEnvelope": {
            "type": "object", "required": ["id", "version", "plan"],
            "properties": {"id": {"type": "string"}, "version": {"type": "integer"},
                           "plan": _ref("Plan")},
        },
        "PlanView": {
            "type": "object",
            "required": ["id", "version", "plan", "status", "plan_ref", "confirmations",
                         "threads"],
            "properties": {
                "id": {"type": "string"}, "version": {"type": "integer"}, "plan": _ref("Plan"),
                "plan_ref": {"type": "string"}, "title": {"type": "string"},
                "status": {"enum": ["draft", "sent", "confirmed"]},
                "created_at": {"type": "string"}, "updated_at": {"type": "string"},
                "sent_version": {"type": ["integer", "null"]},
                "confirmed_version": {"type": ["integer", "null"]},
                "open_proposals": {"type": "integer"},
                "threads": {"type": "array", "items": {"type": "object"}},
                "confirmations": {"type": "array", "items": {
                    "type": "object", "required": ["who", "version"],
                    "properties": {"who": {"type": "string"}, "name": {"type": "string"},
                                   "confirmed_at": nullable_str, "version": {"type": "integer"},
                                   "message": {"type": "integer"}}}},
            },
        },
        "PlanSummary": {
            "type": "object", "required": ["id", "title", "version", "status"],
            "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                           "version": {"type": "integer"}, "status": {"type": "string"},
                           "sent_version": {"type": ["integer", "null"]},
                           "confirmed_version": {"type": ["integer", "null"]},
                           "created_at": {"type": "string"}, "updated_at": {"type": "string"}},
        },
        "Version": {
            "type": "object", "required": ["version", "created_at", "author", "source"],
            "properties": {"version": {"type": "integer"}, "created_at": {"type": "string"},
                           "author": {"type": "string"},
                           "source": {"enum": ["seller_edit", "customer_reply",
                                               "meeting_update", "import"]},
                           "origin_message": {"type": ["integer", "null"]},
                           "sent_at": nullable_str, "operations": {"type": "integer"}},
        },
        "Change": {
            "type": "object", "required": ["path", "old", "new", "label"],
            "properties": {"path": {"type": "string"}, "old": any_value, "new": any_value,
                           "label": {"type": "string"}, "kind": {"type": "string"}},
        },
        "Diff": {
            "type": "object", "required": ["from", "to", "changes"],
            "properties": {"from": {"type": "integer"}, "to": {"type": "integer"},
                           "changes": {"type": "array", "items": _ref("Change")}},
        },
        "Email": {
            "type": "object", "required": ["subject", "html", "text"],
            "properties": {"subject": {"type": "string"}, "html": {"type": "string"},
                           "text": {"type": "string"}, "version": {"type": "integer"}},
        },
        "Proposal": {
            "type": "object", "required": ["id", "path", "old", "new", "label", "evidence"],
            "properties": {"id": {"type": "integer"}, "path": {"type": "string"},
                           "old": any_value, "new": any_value, "label": {"type": "string"},
                           "evidence": {"type": "string"}, "status": {"type": "string"},
                           "result_version": {"type": ["integer", "null"]}},
        },
        "Message": {
            "type": "object", "required": ["reply", "proposals"],
            "properties": {
                "id": {"type": "integer"}, "message_id": {"type": "string"},
                "reply": {"type": "object",
                          "required": ["from", "sent_at", "text", "intent", "from_customer"],
                          "properties": {
                              "from": {"type": "string"}, "sent_at": nullable_str,
                              "text": {"type": "string"},
                              "intent": {"enum": ["confirm", "change_request", "question",
                                                  "auto_reply", "other"]},
                              "from_customer": {"type": "boolean"}}},
                "proposals": {"type": "array", "items": _ref("Proposal")},
            },
        },
        "Decision": {
            "type": "object", "required": ["id", "version", "proposal"],
            "properties": {"id": {"type": "string"}, "version": {"type": "integer"},
                           "proposal": _ref("Proposal")},
        },
        "Checks": {
            "type": "object", "required": ["qualification", "quality"],
            "properties": {
                "qualification": {"type": "array", "items": {"type": "object"}},
                "quality": {"type": "array", "items": {
                    "type": "object", "required": ["check", "ok", "message", "path"],
                    "properties": {"check": {"enum": ["mutual", "customer_centric", "specific",
                                                      "readable", "outcome_linked",
                                                      "accountable"]},
                                   "ok": {"type": "boolean"}, "message": {"type": "string"},
                                   "path": nullable_str}}},
            },
        },
        "Status": {"type": "object", "required": ["status"],
                   "properties": {"status": {"type": "string"}}},
    }


def _paths() -> dict:
    pid = [_plan_id_param()]
    return {
        "/healthz": {"get": {"summary": "Liveness: the app and its database answer",
                             "responses": {**_ok(_ref("Status")), **_ok(_ref("Status"),
                                           "Database unavailable", "503"), **_errors(403)}}},
        "/readyz": {"get": {"summary": "Readiness: the database is migrated",
                            "responses": {**_ok(_ref("Status")), **_ok(_ref("Status"),
                                          "Not ready", "503"), **_errors(403)}}},
        "/api/plans": {
            "post": {"summary": "Create a plan (version 1)",
                     "parameters": [_source_param()],
                     "requestBody": _json_body(_ref("Plan")),
                     "responses": {**_ok(_ref("PlanEnvelope"), "Created", "201"),
                                   **_errors(*_COMMON, 422)}},
            "get": {"summary": "The user's plans, newest first",
                    "parameters": [{"name": "thread", "in": "query", "required": False,
                                    "schema": {"type": "string"}}],
                    "responses": {**_ok({"type": "array", "items": _ref("PlanSummary")}),
                                  **_errors(*_COMMON)}},
        },
        "/api/plans/{plan_id}": {
            "get": {"summary": "The latest version", "parameters": pid,
                    "responses": {**_ok(_ref("PlanView")), **_errors(*_COMMON)}},
            "put": {"summary": "Replace with a new version (If-Match required)",
                    "parameters": pid + [_source_param(), {
                        "name": "If-Match", "in": "header", "required": False,
                        "schema": {"type": "string"}}],
                    "requestBody": _json_body(_ref("Plan")),
                    "responses": {**_ok(_ref("PlanEnvelope")),
                                  **_errors(*_COMMON, 412, 422, 428)}},
        },
        "/api/plans/{plan_id}/versions": {"get": {
            "summary": "Every version's metadata", "parameters": pid,
            "responses": {**_ok({"type": "array", "items": _ref("Version")}),
                          **_errors(*_COMMON)}}},
        "/api/plans/{plan_id}/versions/{number}": {"get": {
            "summary": "One version's plan",
            "parameters": pid + [{"name": "number", "in": "path", "required": True,
                                  "schema": {"type": "integer", "minimum": 0}}],
            "responses": {**_ok(_ref("PlanEnvelope")), **_errors(*_COMMON)}}},
        "/api/plans/{plan_id}/diff": {"get": {
            "summary": "Field-level changes between two versions",
            "parameters": pid + [_int_query("from", True), _int_query("to", True)],
            "responses": {**_ok(_ref("Diff")), **_errors(*_COMMON)}}},
        "/api/plans/{plan_id}/slips": {"get": {
            "summary": "How often each milestone's date moved", "parameters": pid,
            "responses": {**_ok({"type": "array", "items": {"type": "object"}}),
                          **_errors(*_COMMON)}}},
        "/api/plans/{plan_id}/threads": {"post": {
            "summary": "Link a conversation and record the version sent in it",
            "parameters": pid,
            "requestBody": _json_body({"type": "object", "properties": {
                "provider": {"enum": ["outlook", "gmail"]}, "thread_id": {"type": "string"},
                "message_id": {"type": "string"}, "version": {"type": "integer"}},
                "required": ["provider", "thread_id"]}),
            "responses": {**_ok({"type": "object"}, "Linked", "201"),
                          **_errors(*_COMMON, 422)}}},
        "/api/plans/{plan_id}/email": {"get": {
            "summary": "The rendered email", "parameters": pid + [_int_query("version")],
            "responses": {**_ok(_ref("Email")), **_errors(*_COMMON)}}},
        "/api/plans/{plan_id}/checks": {"get": {
            "summary": "Qualification and the six quality checks",
            "parameters": pid + [{"name": "today", "in": "query", "required": False,
                                  "schema": {"type": "string", "format": "date"}}],
            "responses": {**_ok(_ref("Checks")), **_errors(*_COMMON)}}},
        "/api/plans/{plan_id}/suggestions": {"get": {
            "summary": "The customer's words found in the notes", "parameters": pid,
            "responses": {**_ok({"type": "object", "required": ["suggestions"]}),
                          **_errors(*_COMMON)}}},
        "/api/timeline": {"post": {
            "summary": "A reverse timeline from the value-realized date",
            "requestBody": _json_body({"type": "object", "required": ["value_realized"],
                                       "properties": {
                                           "value_realized": {"type": "string",
                                                              "format": "date"},
                                           "today": {"type": "string", "format": "date"},
                                           "country": {"type": "string"}}}),
            "responses": {**_ok({"type": "object", "required": ["milestones", "warnings"]}),
                          **_errors(*_COMMON, 422)}}},
        "/api/preview": {"post": {
            "summary": "Email, checks and summary draft for an unsaved plan",
            "requestBody": _json_body({"type": "object", "required": ["plan"],
                                       "properties": {"plan": _ref("Plan")}}),
            "responses": {**_ok({"type": "object",
                                 "required": ["email", "checks", "summary_draft"]}),
                          **_errors(*_COMMON, 422)}}},
        "/api/drafts/{key}": {
            "get": {"summary": "The autosaved work in progress",
                    "parameters": [_key_param()],
                    "responses": {**_ok({"type": "object"}), **_errors(*_COMMON)}},
            "put": {"summary": "Autosave work in progress (no version)",
                    "parameters": [_key_param()],
                    "requestBody": _json_body({"type": "object"}),
                    "responses": {**_ok({"type": "object"}), **_errors(*_COMMON, 422)}},
        },
        "/api/plans/{plan_id}/messages": {
            "post": {"summary": "Ingest one email (idempotent by Message-ID)",
                     "parameters": pid,
                     "requestBody": {"required": True, "content": {"message/rfc822": {
                         "schema": {"type": "string", "format": "binary"}}}},
                     "responses": {**_ok(_ref("Message"), "Seen before"),
                                   **_ok(_ref("Message"), "Ingested", "201"),
                                   **_errors(*_COMMON)}},
            "get": {"summary": "The plan's messages with their proposals", "parameters": pid,
                    "responses": {**_ok({"type": "array", "items": _ref("Message")}),
                                  **_errors(*_COMMON)}},
        },
        "/api/plans/{plan_id}/proposals/{proposal_id}/accept": _decision("Accept"),
        "/api/plans/{plan_id}/proposals/{proposal_id}/reject": _decision("Reject"),
        "/api/plans/{plan_id}/resend": {"post": {
            "summary": "The plan with what changed since the version the customer saw",
            "parameters": pid,
            "requestBody": _json_body({"type": "object", "properties": {
                "since": {"type": "integer"}}}, required=False),
            "responses": {**_ok({"allOf": [_ref("Email"), {
                "type": "object", "required": ["version", "since", "changes_since"],
                "properties": {"changes_since": {"type": "array", "items": _ref("Change")}}}]}),
                **_errors(*_COMMON, 422)}}},
    }


def _source_param() -> dict:
    return {"name": "source", "in": "query", "required": False,
            "schema": {"enum": ["seller_edit", "customer_reply", "meeting_update", "import"]}}


def _key_param() -> dict:
    return {"name": "key", "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 200,
                       "pattern": "^[A-Za-z0-9:_.-]+$"}}


def _decision(verb: str) -> dict:
    return {"post": {
        "summary": f"{verb} a proposed change",
        "parameters": [_plan_id_param(), {"name": "proposal_id", "in": "path",
                                          "required": True,
                                          "schema": {"type": "integer", "minimum": 0}}],
        "responses": {**_ok(_ref("Decision")), **_errors(*_COMMON, 409)}}}


def _mailbox_paths() -> dict:
    from .mailbox_api import openapi_paths

    return openapi_paths()


@lru_cache(maxsize=1)
def document() -> dict:
    """The OpenAPI document (built once; it depends on nothing but code)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "MAP add-in API", "version": "1",
                 "description": "Mutual Action Plans: create, version, render, track replies."},
        "paths": {**_paths(), **_mailbox_paths()},
        "components": {"schemas": _schemas()},
    }


@bp.get("/openapi.json")
def openapi_json():
    """The API's OpenAPI 3 document."""
    return jsonify(document())
