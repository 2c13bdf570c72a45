"""The exception family every layer raises; the web layer turns it into HTTP in one place."""

from __future__ import annotations


class AddinError(Exception):
    """Base class: carries a machine code, a human sentence and the JSON pointer concerned."""

    code = "error"
    status = 400

    def __init__(self, message: str, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message, "field": self.field}


class ValidationError(AddinError):
    """Input that breaks the plan schema or an API contract."""

    code = "invalid"
    status = 422


class BadRequest(AddinError):
    """A request that cannot be understood (bad JSON, bad MIME, bad query parameter)."""

    code = "bad_request"
    status = 400


class NotFound(AddinError):
    """Something the user does not have (or that does not exist: the two look the same)."""

    code = "not_found"
    status = 404


class PreconditionFailed(AddinError):
    """The client wrote against a version that is no longer the latest."""

    code = "stale_version"
    status = 412


class PreconditionRequired(AddinError):
    """A write without If-Match."""

    code = "if_match_required"
    status = 428


class Conflict(AddinError):
    """A state conflict, e.g. a proposal already decided."""

    code = "conflict"
    status = 409


class Unauthorized(AddinError):
    """Missing or invalid credentials."""

    code = "unauthorized"
    status = 401


class Forbidden(AddinError):
    """Authenticated but not allowed (e.g. dev mode asked from another machine)."""

    code = "forbidden"
    status = 403


class UpstreamError(AddinError):
    """A mailbox provider failed after retries."""

    code = "upstream_error"
    status = 502


class ReauthRequired(AddinError):
    """The mailbox token expired or was revoked: the pane asks the user to sign in again."""

    code = "reauth_required"
    status = 401
