"""The plan form of the compose card: its pages, merging a page's inputs into the draft,
and turning the draft into plan JSON.

The work in progress lives in a saved draft (services.plans.save_draft), never in action
parameters: ``{"plan": {...partial plan...}, "plan_id": str|None, "version": int|None,
"value_realized": "YYYY-MM-DD"|None}``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from ..plans.model import MILESTONE_KINDS, OWNERS, ROLES, SIDES, STATUSES
from .events import AddonEvent

ROWS_PER_PAGE = {"kpis": 10, "stakeholders": 10, "milestones": 8}
QUALIFICATION_KEYS = ("outcome_fit", "impact", "decision_access", "plan_readiness")
LANGUAGES = (("en", "English"), ("de", "Deutsch"))


@dataclass(frozen=True)
class Field:
    """One input: its path in the plan, label, and widget kind."""

    path: str  # dotted path in the plan (or in a row)
    label: str
    kind: str = "text"  # text, multi, lines, date, choice
    choices: tuple = ()
    hint: str | None = None


def _choices(values) -> tuple:
    return tuple((v, v.replace("_", " ").capitalize()) for v in values)


BASICS = (
    Field("customer.organization", "Customer organization *"),
    Field("customer.country", "Customer country (2 letters, for public holidays)"),
    Field("notes", "Call notes, in the customer's words", "multi"),
    Field("desired_outcome", "Desired outcome, in their words *", "multi"),
    Field("summary", "Summary (what you heard, 90 words at most)", "multi"),
    Field("challenges", "Challenges (one a line)", "lines"),
    Field("why_fit", "Why this approach fits", "multi"),
    Field("impact.statement", "Impact", "multi"),
    Field("language", "Language of the email", "choice", LANGUAGES),
)
CLOSING = (
    Field("title", "Plan title"),
    Field("next_meeting.date", "Next meeting", "date"),
    Field("next_meeting.time", "Next meeting time (HH:MM)"),
    Field("next_meeting.purpose", "Next meeting purpose"),
    Field("negotiables", "Negotiables (one a line)", "lines"),
    Field("assumptions", "Assumptions (one a line)", "lines"),
    Field("seller.name", "Your name"),
    Field("seller.email", "Your email"),
    Field("seller.company", "Your company"),
)
ROW_FIELDS = {
    "kpis": (
        Field("name", "KPI"),
        Field("baseline", "Baseline"),
        Field("target", "Target"),
        Field("measured_by", "Measured by"),
    ),
    "stakeholders": (
        Field("name", "Name"),
        Field("title", "Title"),
        Field("email", "Email"),
        Field("side", "Side", "choice", _choices(SIDES)),
        Field("role", "Role", "choice", _choices(ROLES)),
    ),
    "milestones": (
        Field("name", "Milestone"),
        Field("kind", "Kind", "choice", _choices(MILESTONE_KINDS)),
        Field("date", "Date", "date"),
        Field("owner", "Owner", "choice", _choices(OWNERS)),
        Field("this_means", "This means..."),
        Field("as_a_result", "As a result..."),
        Field("status", "Status", "choice", _choices(STATUSES)),
    ),
}
ROW_DEFAULTS = {
    "kpis": {},
    "stakeholders": {"side": "customer", "role": "other"},
    "milestones": {"kind": "custom", "owner": "joint", "status": "planned"},
}
ROW_TITLES = {"kpis": "KPIs", "stakeholders": "Stakeholders", "milestones": "Timeline"}


def new_draft() -> dict:
    """An empty work in progress."""
    return {"plan": {}, "plan_id": None, "version": None, "value_realized": None}


def get_path(document: dict, path: str):
    """The value at a dotted path, or None."""
    node = document
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(document: dict, path: str, value) -> None:
    """Set (or, for None, remove) the value at a dotted path, dropping emptied objects."""
    parts = path.split(".")
    node = document
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
        if len(parts) > 1 and not node:
            parent = get_path(document, ".".join(parts[:-2])) if len(parts) > 2 else document
            parent.pop(parts[-2], None)
    else:
        node[parts[-1]] = value


def collection(plan: dict, name: str) -> list:
    """The rows of kpis, stakeholders or milestones in the plan."""
    if name == "kpis":
        return (plan.get("impact") or {}).get("kpis") or []
    return plan.get(name) or []


def set_collection(plan: dict, name: str, rows: list) -> None:
    """Store rows of kpis, stakeholders or milestones (removing the key when empty)."""
    set_path(plan, "impact.kpis" if name == "kpis" else name, rows or None)


def pages(draft: dict) -> list[str]:
    """The page ids of the plan form, in order: basics, row chunks, closing."""
    plan = draft.get("plan") or {}
    ids = ["basics"]
    for name, size in ROWS_PER_PAGE.items():
        count = max(1, len(collection(plan, name)))
        ids += [f"{name}.{start}" for start in range(0, count, size)]
    ids.append("closing")
    return ids


def page_rows(draft: dict, page: str) -> tuple[str, int, int]:
    """(collection, first index, end index) of a row page."""
    name, _, start = page.partition(".")
    first = int(start)
    count = max(1, len(collection(draft.get("plan") or {}, name)))
    return name, first, min(first + ROWS_PER_PAGE[name], count)


def widget_name(page_field: Field, collection_name: str | None = None, index: int = 0) -> str:
    """The form input name of a field (rows carry their collection and index)."""
    if collection_name:
        return f"{collection_name}.{index}.{page_field.path}"
    return f"f.{page_field.path}"


def _read(event: AddonEvent, name: str, spec: Field):
    if spec.kind == "date":
        day = event.dates.get(name)
        return day.isoformat() if day else None
    if spec.kind == "lines":
        lines = [line.strip() for line in event.text(name).splitlines()]
        return [line for line in lines if line] or None
    return event.text(name) or None


def merge_page(draft: dict, page: str, event: AddonEvent) -> dict:
    """The draft with the inputs of the page the click came from written into it."""
    draft = copy.deepcopy(draft)
    plan = draft.setdefault("plan", {})
    if page in ("basics", "closing"):
        for spec in BASICS if page == "basics" else CLOSING:
            set_path(plan, spec.path, _read(event, widget_name(spec), spec))
        if page == "basics" and "value_realized" in event.dates:
            draft["value_realized"] = event.dates["value_realized"].isoformat()
        return draft
    if page not in pages(draft):
        return draft
    name, first, end = page_rows(draft, page)
    rows = [dict(r) for r in collection(plan, name)]
    for index in range(first, end):
        row = rows[index] if index < len(rows) else dict(ROW_DEFAULTS[name])
        for spec in ROW_FIELDS[name]:
            value = _read(event, widget_name(spec, name, index), spec)
            if value is None:
                row.pop(spec.path, None)
            else:
                row[spec.path] = value
        if index < len(rows):
            rows[index] = row
        elif any(row.get(spec.path) for spec in ROW_FIELDS[name][:1]):
            rows.append(row)
    if name == "milestones" and "value_realized" in event.dates:
        draft["value_realized"] = event.dates["value_realized"].isoformat()
    set_collection(plan, name, rows)
    return draft


def add_row(draft: dict, name: str) -> dict:
    """The draft with one blank row appended to a collection."""
    draft = copy.deepcopy(draft)
    plan = draft.setdefault("plan", {})
    rows = list(collection(plan, name))
    if not rows:
        rows.append({**ROW_DEFAULTS[name], "name": ""})
    rows.append({**ROW_DEFAULTS[name], "name": ""})
    set_collection(plan, name, rows)
    return draft


def merge_qualification(draft: dict, event: AddonEvent) -> dict:
    """The draft with the four qualification answers (yes, no, unknown) written into it."""
    draft = copy.deepcopy(draft)
    plan = draft.setdefault("plan", {})
    answers = {}
    for key in QUALIFICATION_KEYS:
        value = event.text(f"q.{key}")
        answers[key] = {"yes": True, "no": False}.get(value)
    plan["qualification"] = answers
    return draft


def _clean_rows(rows: list, fields: tuple) -> list:
    kept = []
    for row in rows:
        if not (row.get("name") or "").strip():
            continue  # a row left without a name is a row the seller removed
        kept.append({k: v for k, v in row.items() if v not in ("", None)})
    return kept


def plan_document(draft: dict) -> dict:
    """Plan JSON from the draft: blank rows dropped, ready for validation."""
    plan = copy.deepcopy(draft.get("plan") or {})
    for name in ROW_FIELDS:
        set_collection(plan, name, _clean_rows(collection(plan, name), ROW_FIELDS[name]))
    if "qualification" in plan:
        plan["qualification"] = {k: v for k, v in plan["qualification"].items()
                                 if k in QUALIFICATION_KEYS}
    return plan


def customer_emails(plan: dict, existing: list[str] | None = None) -> list[str]:
    """The draft's recipients plus each customer stakeholder's email, without duplicates."""
    seen, emails = set(), []
    candidates = list(existing or [])
    candidates += [s.get("email") for s in plan.get("stakeholders") or []
                   if s.get("side") == "customer"]
    for email in candidates:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            emails.append(email)
    return emails
