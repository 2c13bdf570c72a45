"""Checks on the small JSON bodies the use cases take (the plan has its own schema)."""

from __future__ import annotations

from ..errors import ValidationError


def object_body(body, allowed: set[str]) -> dict:
    """body as a JSON object holding only allowed fields; else ValidationError naming the field."""
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object.", field="")
    unknown = set(body) - allowed
    if unknown:
        field = "/" + sorted(unknown)[0]
        raise ValidationError(f"{field} is not a known field.", field=field)
    return body
