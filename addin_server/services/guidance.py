"""Rendering and the method's guard rails for stored or unsaved plans."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass

from ..errors import ValidationError
from ..jsontext import RawJSON
from ..mailtext.render import render_email
from ..plans import checks as plan_checks
from ..plans import notes as plan_notes
from ..plans import summary as plan_summary
from ..plans import timeline as plan_timeline
from ..plans.model import normalize
from ..ports import AbstractUnitOfWork
from ..store.repository import dumps
from .inputs import object_body


def email(uow: AbstractUnitOfWork, owner: str, plan_id: str, version: int | None = None, *,
          as_text: bool = False) -> dict | RawJSON:
    """The email of the current version, or of the given one (as JSON text with as_text)."""
    with uow:
        row = uow.repo.plan_row(plan_id, owner, parse=False)
        number = version or row["version"]
        if number != row["version"]:
            uow.repo.version_meta(plan_id, number)
            document = dumps(uow.repo.version_document(plan_id, number))
        else:
            document = row["document"]
    rendered = _rendered(plan_id, number, document)
    return rendered.text if as_text else dict(rendered.fields)


@dataclass(frozen=True)
class _Email:
    fields: dict
    text: RawJSON


@functools.lru_cache(maxsize=256)
def _rendered(plan_id: str, version: int, document: str) -> _Email:
    """A stored version's email, and its JSON. Versions never change, so the same key always
    renders the same email: caching it is safe in any number of processes (the key holds the
    stored plan itself)."""
    rendered = render_email(json.loads(document), plan_id=plan_id, version=version,
                            validated=True)
    fields = {**rendered, "version": version}
    return _Email(fields=fields, text=RawJSON(dumps(fields)))


def checks(uow: AbstractUnitOfWork, owner: str, plan_id: str, today: dt.date) -> dict:
    """The qualification and quality checks of the current version."""
    with uow:
        document = uow.repo.plan_row(plan_id, owner)["document"]
    return plan_checks.run_checks(document, today)


def suggestions(uow: AbstractUnitOfWork, owner: str, plan_id: str) -> dict:
    """The customer's own words found in the plan's notes."""
    with uow:
        document = uow.repo.plan_row(plan_id, owner)["document"]
    return {"suggestions": plan_notes.suggest(document.get("notes") or "")}


def _date_field(body: dict, key: str, required: bool) -> dt.date | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ValidationError(f"/{key} is required.", field=f"/{key}")
        return None
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else (
            _bad_date(key))
    except ValueError:
        return _bad_date(key)


def _bad_date(key: str):
    raise ValidationError(f"/{key} must be a date written YYYY-MM-DD.", field=f"/{key}")


def timeline(body) -> dict:
    """Milestones proposed backward from the value-realized date."""
    object_body(body, {"value_realized", "today", "country", "kinds"})
    value_realized = _date_field(body, "value_realized", required=True)
    today = _date_field(body, "today", required=False) or dt.date.today()
    country = body.get("country")
    if country is not None and not isinstance(country, str):
        raise ValidationError("/country must be a two-letter country code.", field="/country")
    kinds = body.get("kinds")
    if kinds is not None and (
        not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds)
    ):
        raise ValidationError("/kinds must be a list of milestone kinds.", field="/kinds")
    return plan_timeline.reverse_timeline(value_realized, today, country or None, kinds=kinds)


def preview(body, today: dt.date) -> dict:
    """Email, checks and a summary draft for a plan that is not saved yet."""
    object_body(body, {"plan", "plan_id", "version"})
    document = normalize(body.get("plan"))
    plan_id = body.get("plan_id") or "PREVIEW0"
    version = body.get("version") or 1
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationError("/version must be an integer.", field="/version")
    return {
        "email": render_email(document, plan_id=str(plan_id)[:8], version=version),
        "checks": plan_checks.run_checks(document, today),
        "summary_draft": plan_summary.draft_summary(document),
    }
