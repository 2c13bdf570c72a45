"""Render a plan as the email the customer reads: subject, HTML body fragment and plain text.

Every line a customer may edit in place (a milestone, a KPI, a stakeholder, a
bridge) is produced here once, as a list of segments; the text body joins the
segments, the HTML body wraps some of them in <strong> or a muted <span> inside
one block element. So the visible text of that element is exactly the line,
and ``readback`` can match the same strings in a quoted reply.

The HTML is a body fragment (one <div>, inline styles only) ready to insert
above the quoted history of a reply; it holds no <style>, <script>, <meta> or
comments. Notes and the qualification answers are never read here.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import NamedTuple

from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..errors import ValidationError
from ..plans.model import OWNERS, customer_label, plan_title, seller_label, validate_plan
from ..resources import resource_dir
from .i18n import DEFAULT_LANGUAGE, locale_for, translations_for
from .i18n import label as _label

# Explicit patterns where we chose the house style; other languages get Babel's
# medium date with a weekday (skeleton yMMMEd), in their own locale.
DATE_PATTERNS = {"en": "EEE, MMM d, y", "de": "EEE, d. MMMM y"}
ROLES_WITH_LABEL = ("decision_maker", "influencer", "champion", "user")

__all__ = [
    "render_email",
    "format_date",
    "owner_label",
    "timeline_line",
    "kpi_line",
    "stakeholder_line",
    "bridge_line",
    "next_meeting_line",
    "change_line",
    "subject_for",
    "plan_ref",
    "label",
]


class Line(NamedTuple):
    """An editable line: its text and (text, style) segments; style '', 'b', 'd' (date) or 'm'."""

    text: str
    segs: tuple


def _line(*segs: tuple[str, str]) -> Line:
    kept = []
    for text, style in segs:
        if style and text.startswith(" "):
            # the space stays outside the styled span, so a wrapped span starts flush left
            kept.append((" ", ""))
            text = text.lstrip(" ")
        if text:
            kept.append((text, style))
    return Line("".join(text for text, _ in kept), tuple(kept))


def _one_line(value) -> str:
    """A field squeezed onto one line (an edit-in-place line must not wrap inside itself)."""
    return " ".join(str(value or "").split())


def _paragraphs(value) -> list[list[str]]:
    """Free text as paragraphs (split on blank lines), each a list of its lines."""
    text = str(value or "").replace("\r\n", "\n").strip()
    if not text:
        return []
    blocks = re.split(r"\n\s*\n", text)
    return [[ln.strip() for ln in block.split("\n") if ln.strip()] for block in blocks]


def language_of(plan: dict) -> str:
    """The plan's language tag, English by default."""
    return (plan.get("language") or DEFAULT_LANGUAGE).strip() or DEFAULT_LANGUAGE


def label(key: str, language: str | None = None, **values) -> str:
    """The translated label for a key; keys are documented in mailtext.i18n.LABELS."""
    return _label(key, language, **values)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{value!r} is not a date written YYYY-MM-DD.") from None


def format_date(value, language: str | None = None) -> str:
    """A date for the reader: en 'Mon, Mar 22, 2027', de 'Mo., 22. März 2027'."""
    day = _as_date(value)
    locale = locale_for(language)
    pattern = DATE_PATTERNS.get(locale.language)
    if pattern:
        return babel_format_date(day, pattern, locale=locale)
    return format_skeleton("yMMMEd", day, locale=locale)


def _format_time(value: str, language: str | None) -> str:
    try:
        moment = dt.time.fromisoformat(value)
    except ValueError:
        return value
    # Babel uses a narrow no-break space before AM/PM; a plain space survives every client.
    return format_time(moment, "short", locale=locale_for(language)).replace("\u202f", " ")


def owner_label(plan: dict, owner: str) -> str:
    """Who owns a milestone, named from the reader's side: the organization, never 'You'."""
    if owner == "customer":
        return _one_line(customer_label(plan))
    if owner == "seller":
        return _one_line(seller_label(plan))
    if owner == "joint":
        return label("joint", language_of(plan))
    raise ValidationError(f"owner must be one of: {', '.join(OWNERS)}.")


def _timeline_line(plan: dict, milestone: dict) -> Line:
    lang = language_of(plan)
    owner = f"({label('owner', lang)}: {owner_label(plan, milestone['owner'])})"
    return _line(
        (f"{_one_line(milestone['name'])}: ", ""),
        (format_date(milestone["date"], lang), "d"),
        (" ", ""),
        (owner, "m"),
    )


def timeline_line(plan: dict, milestone: dict) -> str:
    """'<name>: <date> (<Owner>: <owner>)', e.g. 'Go-live: Mon, Mar 22, 2027 (Owner: Joint)'."""
    return _timeline_line(plan, milestone).text


def _kpi_line(plan: dict, kpi: dict) -> Line:
    lang = language_of(plan)
    baseline, target = _one_line(kpi.get("baseline")), _one_line(kpi.get("target"))
    if baseline and target:
        value = f": {baseline} → {target}"
    elif target:
        value = f": {label('target', lang)} {target}"
    elif baseline:
        value = f": {label('baseline', lang)} {baseline}"
    else:
        value = ""
    measured = _one_line(kpi.get("measured_by"))
    tail = f" ({label('measured_by', lang)} {measured})" if measured else ""
    return _line((_one_line(kpi["name"]), "b"), (value, ""), (tail, "m"))


def kpi_line(plan: dict, kpi: dict) -> str:
    """One KPI on one line.

    Shapes: '<name>: <baseline> → <target>'; with only a target '<name>: target <target>';
    with only a baseline '<name>: baseline <baseline>'; with neither just '<name>'. When
    measured_by is set, ' (measured by <measured_by>)' follows (de: ' (Quelle: …)').
    """
    return _kpi_line(plan, kpi).text


def _stakeholder_line(plan: dict, person: dict) -> Line:
    lang = language_of(plan)
    side = person.get("side", "customer")
    org = _one_line(seller_label(plan) if side == "seller" else customer_label(plan))
    title = _one_line(person.get("title"))
    middle = f", {title} ({org})" if title else f" ({org})"
    role = person.get("role")
    tail = f" – {label('role_' + role, lang)}" if role in ROLES_WITH_LABEL else ""
    return _line((_one_line(person["name"]), "b"), (middle, ""), (tail, "m"))


def stakeholder_line(plan: dict, person: dict) -> str:
    """'<name>, <title> (<organization>) – <role>'; parts without a value are left out."""
    return _stakeholder_line(plan, person).text


def _bridge_line(plan: dict, milestone: dict) -> Line | None:
    means, result = _one_line(milestone.get("this_means")), _one_line(milestone.get("as_a_result"))
    if not (means or result):
        return None
    key = "bridge_both" if means and result else ("bridge_means" if means else "bridge_result")
    name = _one_line(milestone["name"])
    text = label(key, language_of(plan), name=name, this_means=means, as_a_result=result)
    if text[-1:].isalnum():
        text += "."  # a bridge reads as a sentence
    if text.startswith(name + ":"):
        return _line((name + ":", "b"), (text[len(name) + 1 :], ""))
    return _line((text, ""))


def bridge_line(plan: dict, milestone: dict) -> str | None:
    """'<name>: this means …, as a result …' (or the half that is set); None without a bridge."""
    line = _bridge_line(plan, milestone)
    return line.text if line else None


def _next_meeting_line(plan: dict) -> Line | None:
    meeting = plan.get("next_meeting") or {}
    if not meeting.get("date"):
        return None
    lang = language_of(plan)
    when = format_date(meeting["date"], lang)
    if meeting.get("time"):
        when += ", " + _format_time(meeting["time"], lang)
    purpose = _one_line(meeting.get("purpose"))
    return _line((when, "d"), (f" – {purpose}" if purpose else "", ""))


def next_meeting_line(plan: dict) -> str | None:
    """'<date>, <time> – <purpose>' for the next meeting (time and purpose optional)."""
    line = _next_meeting_line(plan)
    return line.text if line else None


def _format_value(plan: dict, value, path: str) -> str:
    """A changed value as the reader would recognise it."""
    lang = language_of(plan)
    leaf = path.rsplit("/", 1)[-1]
    if value is None:
        return "—"
    if isinstance(value, str) and leaf == "date":
        try:
            return format_date(value, lang)
        except ValidationError:
            return value
    if isinstance(value, str) and leaf == "owner" and value in OWNERS:
        return owner_label(plan, value)
    if isinstance(value, str) and leaf == "status":
        return label("status_" + value, lang) if f"status_{value}" in _STATUS_KEYS else value
    if isinstance(value, dict):
        return _format_dict(plan, value)
    if isinstance(value, list):
        return "; ".join(_format_value(plan, item, path + "/-") for item in value)
    return _one_line(value)


_STATUS_KEYS = ("status_planned", "status_done", "status_at_risk")


def _format_dict(plan: dict, value: dict) -> str:
    try:
        if {"name", "date", "owner"} <= value.keys():
            return timeline_line(plan, value)
        if "side" in value and "name" in value:
            return stakeholder_line(plan, value)
        if "name" in value and ({"baseline", "target", "measured_by"} & value.keys()):
            return kpi_line(plan, value)
    except ValidationError:
        pass
    if "name" in value:
        return _one_line(value["name"])
    return ", ".join(f"{k}: {_one_line(v)}" for k, v in value.items() if not isinstance(v, dict))


def change_line(plan: dict, change: dict) -> str:
    """'<label>: <old> → <new>'; an addition '<label>: <new> (added)', a removal '… (removed)'."""
    lang = language_of(plan)
    path = str(change.get("path") or "")
    name = _one_line(change.get("label") or path or "?")
    old, new = change.get("old"), change.get("new")
    if old is None and new is not None:
        return f"{name}: {_format_value(plan, new, path)} ({label('added', lang)})"
    if new is None and old is not None:
        return f"{name}: {_format_value(plan, old, path)} ({label('removed', lang)})"
    return f"{name}: {_format_value(plan, old, path)} → {_format_value(plan, new, path)}"


def subject_for(plan: dict) -> str:
    """'Summary & Mutual Plan for <title>' in the plan's language."""
    return label("subject", language_of(plan), title=_one_line(plan_title(plan)))


def plan_ref(plan_id: str, version: int) -> str:
    """'MAP-<plan_id> · v<version>': the same in every language so a quoted plan matches back."""
    return f"MAP-{plan_id} · v{version}"


def footer_line(plan_id: str, version: int) -> str:
    """The footer line a reply quotes: 'Plan ref MAP-<id> · v<n>'."""
    return f"Plan ref {plan_ref(plan_id, version)}"


@functools.lru_cache(maxsize=32)
def _environment(language: str) -> Environment:
    """One Jinja2 environment per language (a pure cache): autoescape for .html, not for .txt."""
    env = Environment(
        loader=FileSystemLoader(str(resource_dir("templates") / "email")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations_for(language), newstyle=True)
    env.globals["label"] = functools.partial(label, language=language)
    return env


def _status_text(status: str, lang: str) -> str:
    return f"{label('status', lang)}: {label('status_' + status, lang)}"


def _milestone_view(plan: dict, milestone: dict) -> dict:
    lang = language_of(plan)
    status = milestone.get("status")
    shown = status if status in ("done", "at_risk") else None
    kpi = _one_line(milestone.get("kpi"))
    return {
        "line": _timeline_line(plan, milestone),
        "kind": milestone.get("kind"),
        "kpi": f"{label('kpi', lang)}: {kpi}" if kpi else "",
        "status": shown,
        "status_text": _status_text(shown, lang) if shown else "",
    }


def _people(plan: dict) -> str:
    seller = plan.get("seller") or {}
    parts = [_one_line(seller.get("name")), _one_line(seller.get("company"))]
    return ", ".join(p for p in parts if p)


def _context(plan: dict, plan_id: str, version: int, changes_since, since_version) -> dict:
    lang = language_of(plan)
    milestones = sorted(plan.get("milestones") or [], key=lambda m: m["date"], reverse=True)
    bridges = [_bridge_line(plan, m) for m in sorted(milestones, key=lambda m: m["date"])]
    impact = plan.get("impact") or {}
    prepared = _people(plan)
    return {
        "lang": str(locale_for(lang)).replace("_", "-"),
        "dir": "rtl" if locale_for(lang).character_order == "right-to-left" else "ltr",
        "subject": subject_for(plan),
        "title": _one_line(plan_title(plan)),
        "parties": f"{owner_label(plan, 'customer')} & {owner_label(plan, 'seller')}",
        "changes": [change_line(plan, c) for c in changes_since or []],
        "since_version": since_version,
        "summary": _paragraphs(plan.get("summary")),
        "desired_outcome": _paragraphs(plan.get("desired_outcome")),
        "challenges": [_one_line(c) for c in plan.get("challenges") or [] if _one_line(c)],
        "why_fit": _paragraphs(plan.get("why_fit")),
        "impact_statement": _paragraphs(impact.get("statement")),
        "kpis": [_kpi_line(plan, k) for k in impact.get("kpis") or []],
        "stakeholders": [_stakeholder_line(plan, s) for s in plan.get("stakeholders") or []],
        "milestones": [_milestone_view(plan, m) for m in milestones],
        "bridges": [b for b in bridges if b],
        "negotiables": [_one_line(n) for n in plan.get("negotiables") or [] if _one_line(n)],
        "assumptions": [_one_line(a) for a in plan.get("assumptions") or [] if _one_line(a)],
        "next_meeting": _next_meeting_line(plan),
        "closing_question": label("closing_question", lang),
        "prepared_by": f"{label('prepared_by', lang)} {prepared}" if prepared else "",
        "footer": footer_line(plan_id, version),
    }


def _tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [ln.rstrip() for ln in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render_email(
    plan: dict,
    *,
    plan_id: str,
    version: int,
    changes_since: list[dict] | None = None,
    since_version: int | None = None,
    validated: bool = False,
) -> dict:
    """The email for a plan: {'subject', 'html', 'text'} in the plan's language.

    With changes_since (items {'label', 'old', 'new', 'path'}) the email opens with
    'What changed since version <since_version>' (default: the previous version), as
    Resend sends it. Raises ValidationError naming the field when the plan is invalid;
    validated=True skips that check for plans that come from storage (validated on write).
    """
    if not validated:
        validate_plan(plan)
    if changes_since and since_version is None:
        since_version = max(int(version) - 1, 1)
    context = _context(plan, str(plan_id), int(version), changes_since, since_version)
    env = _environment(str(locale_for(language_of(plan))))
    html = env.get_template("plan.html").render(context)
    text = env.get_template("plan.txt").render(context)
    return {"subject": context["subject"], "html": html.strip() + "\n", "text": _tidy_text(text)}
