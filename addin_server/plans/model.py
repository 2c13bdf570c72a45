"""The plan document: its schema, validation that names the field, and stable ids.

A plan is a JSON document (plain dicts and lists). The schema below is the one
source of truth for its shape; everything else reads the document through the
helpers here.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import secrets

from jsonschema import Draft202012Validator

from ..errors import ValidationError

MILESTONE_KINDS = (
    "kickoff",
    "trial",
    "evaluation",
    "commercial_review",
    "implementation",
    "go_live",
    "enablement",
    "measurement",
    "business_review",
    "value_realized",
    "custom",
)
OWNERS = ("customer", "seller", "joint")
SIDES = ("customer", "seller")
ROLES = ("decision_maker", "influencer", "champion", "user", "other")
STATUSES = ("planned", "done", "at_risk")

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_TEXT = {"type": "string", "maxLength": 5000}
_SHORT = {"type": "string", "maxLength": 500}
_LONG = {"type": "string", "maxLength": 20000}
_DATE = {"type": "string", "pattern": DATE_PATTERN}
_ID = {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,40}$"}
_EMAIL = {"type": "string", "maxLength": 320, "pattern": r"^[^@\s<>]+@[^@\s<>]+$"}


def _obj(properties: dict, required: tuple = ()) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def _list(item: dict, max_items: int = 200) -> dict:
    return {"type": "array", "items": item, "maxItems": max_items}


CONTACT = _obj({"name": _SHORT, "email": _EMAIL, "title": _SHORT})
KPI = _obj(
    {"name": _SHORT, "baseline": _SHORT, "target": _SHORT, "measured_by": _SHORT},
    required=("name",),
)
STAKEHOLDER = _obj(
    {
        "id": _ID,
        "name": _SHORT,
        "title": _SHORT,
        "email": _EMAIL,
        "side": {"enum": list(SIDES)},
        "role": {"enum": list(ROLES)},
    },
    required=("name", "side"),
)
MILESTONE = _obj(
    {
        "id": _ID,
        "name": _SHORT,
        "kind": {"enum": list(MILESTONE_KINDS)},
        "date": _DATE,
        "owner": {"enum": list(OWNERS)},
        "this_means": _TEXT,
        "as_a_result": _TEXT,
        "kpi": _SHORT,
        "status": {"enum": list(STATUSES)},
    },
    required=("name", "kind", "date", "owner"),
)

PLAN_SCHEMA = _obj(
    {
        "title": _SHORT,
        "language": {"type": "string", "pattern": r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"},
        "customer": _obj(
            {
                "organization": {"type": "string", "minLength": 1, "maxLength": 500},
                "country": {"type": "string", "pattern": r"^[A-Za-z]{2}$"},
                "contacts": _list(CONTACT),
            },
            required=("organization",),
        ),
        "seller": _obj({"name": _SHORT, "email": _EMAIL, "company": _SHORT}),
        "qualification": _obj(
            {
                key: {"type": ["boolean", "null"]}
                for key in ("outcome_fit", "impact", "decision_access", "plan_readiness")
            }
        ),
        "notes": _LONG,
        "summary": _TEXT,
        "desired_outcome": {"type": "string", "minLength": 1, "maxLength": 5000},
        "challenges": _list(_TEXT),
        "why_fit": _TEXT,
        "impact": _obj({"statement": _TEXT, "kpis": _list(KPI)}),
        "stakeholders": _list(STAKEHOLDER),
        "milestones": {"type": "array", "items": MILESTONE, "minItems": 1, "maxItems": 200},
        "negotiables": _list(_TEXT),
        "assumptions": _list(_TEXT),
        "next_meeting": _obj(
            {
                "date": _DATE,
                "time": {"type": "string", "pattern": r"^\d{2}:\d{2}$"},
                "purpose": _SHORT,
            },
            required=("date",),
        ),
    },
    required=("customer", "desired_outcome", "milestones"),
)

_VALIDATOR = Draft202012Validator(PLAN_SCHEMA)


def pointer(parts) -> str:
    """The JSON pointer (RFC 6901) for a sequence of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _describe(error) -> tuple[str, str]:
    """A human sentence and the JSON pointer for one jsonschema error."""
    path = list(error.absolute_path)
    where = pointer(path) or "/"
    kind = error.validator
    if kind == "required":
        missing = re.search(r"'([^']+)'", error.message).group(1)
        return f"{pointer(path + [missing])} is required.", pointer(path + [missing])
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        field = pointer(path + [extra[0]]) if extra else where
        return f"{field} is not a known field.", field
    if kind == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"{where} must be of type {wanted}.", where
    if kind == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{where} must be one of: {allowed}.", where
    if kind == "pattern" and error.validator_value == DATE_PATTERN:
        return f"{where} must be a date written YYYY-MM-DD.", where
    if kind == "pattern":
        return f"{where} is not in the expected format.", where
    if kind == "minItems":
        return f"{where} needs at least {error.validator_value} item(s).", where
    if kind == "maxItems":
        return f"{where} has more than {error.validator_value} items.", where
    if kind == "minLength":
        return f"{where} must not be empty.", where
    if kind == "maxLength":
        return f"{where} is longer than {error.validator_value} characters.", where
    return f"{where}: {error.message}", where


def _error_order(error) -> tuple:
    return (len(list(error.absolute_path)), [str(p) for p in error.absolute_path])


def _check_dates(plan: dict) -> None:
    """Dates that match the pattern must also be real calendar dates."""
    candidates = [(("next_meeting", "date"), (plan.get("next_meeting") or {}).get("date"))]
    for i, milestone in enumerate(plan.get("milestones") or []):
        candidates.append((("milestones", i, "date"), milestone.get("date")))
    for path, value in candidates:
        if value is None:
            continue
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            where = pointer(path)
            raise ValidationError(f"{where} is not a real date: {value}.", field=where) from None


def _check_unique_ids(plan: dict) -> None:
    for key in ("milestones", "stakeholders"):
        seen = set()
        for i, item in enumerate(plan.get(key) or []):
            ident = item.get("id")
            if ident is None:
                continue
            if ident in seen:
                where = pointer((key, i, "id"))
                raise ValidationError(f"{where} repeats the id {ident}.", field=where)
            seen.add(ident)


def validate_plan(plan) -> dict:
    """Raise ValidationError naming the first offending field; return the plan unchanged."""
    if not isinstance(plan, dict):
        raise ValidationError("The plan must be a JSON object.", field="")
    errors = sorted(_VALIDATOR.iter_errors(plan), key=_error_order)
    if errors:
        message, field = _describe(errors[0])
        raise ValidationError(message, field=field)
    _check_dates(plan)
    _check_unique_ids(plan)
    return plan


def new_id(prefix: str) -> str:
    """A short random id, e.g. ``ms-3k9x2f``."""
    return f"{prefix}-{secrets.token_hex(3)}"


def with_ids(plan: dict) -> dict:
    """A copy of the plan in which every milestone and stakeholder has a stable id."""
    plan = copy.deepcopy(plan)
    for key, prefix in (("milestones", "ms"), ("stakeholders", "sh")):
        taken = {item.get("id") for item in plan.get(key) or []}
        for item in plan.get(key) or []:
            if not item.get("id"):
                ident = new_id(prefix)
                while ident in taken:
                    ident = new_id(prefix)
                taken.add(ident)
                item["id"] = ident
    return plan


def normalize(plan) -> dict:
    """Validate and give ids: the form in which plans are stored."""
    return with_ids(validate_plan(plan))


def parse_date(value: str | None) -> dt.date | None:
    """An ISO date string as a date, or None."""
    return dt.date.fromisoformat(value) if value else None


def milestones_by_date(plan: dict, reverse: bool = False) -> list[dict]:
    """The milestones in date order (latest first when reverse)."""
    return sorted(plan.get("milestones") or [], key=lambda m: m["date"], reverse=reverse)


def seller_label(plan: dict) -> str:
    """How the seller's side is named to the customer: the company, else the seller's name."""
    seller = plan.get("seller") or {}
    return seller.get("company") or seller.get("name") or "Seller"


def customer_label(plan: dict) -> str:
    """How the customer's side is named."""
    return plan["customer"]["organization"]


def plan_title(plan: dict) -> str:
    """The plan's title, else a short form of the desired outcome."""
    title = (plan.get("title") or "").strip()
    if title:
        return title
    outcome = " ".join(plan.get("desired_outcome", "").split()).rstrip(".")
    if len(outcome) <= 60:
        return outcome
    cut = outcome[:60].rsplit(" ", 1)[0]
    return cut + "…"
