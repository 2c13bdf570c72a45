"""A draft of the one-paragraph summary, written only from the plan's own fields.

The draft thanks the customer, restates the outcome and the impact, names the KPI and the
date the value is realized. It adds no fact of its own, so it passes the ``mutual`` check
whenever the fields it repeats do.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date

from .model import parse_date

MAX_WORDS = 90

# Sentences per language; {fields} are filled from the plan. Other languages use English.
PHRASES = {
    "en": {
        "thanks": "Thank you for your time.",
        "outcome": "You told us the outcome you want: {outcome}.",
        "impact": "The impact you expect: {impact}.",
        "kpi_from_to": "We will measure it as {kpi}, from {baseline} to {target}.",
        "kpi_to": "We will measure it as {kpi}, aiming for {target}.",
        "kpi": "We will measure it as {kpi}.",
        "timing": "Together we plan to realize that value by {date}.",
    },
    "de": {
        "thanks": "Vielen Dank für das Gespräch.",
        "outcome": "Ihr Ziel: {outcome}.",
        "impact": "Die erwartete Wirkung: {impact}.",
        "kpi_from_to": "Wir messen den Erfolg an „{kpi}“, von {baseline} auf {target}.",
        "kpi_to": "Wir messen den Erfolg an „{kpi}“, mit dem Ziel {target}.",
        "kpi": "Wir messen den Erfolg an „{kpi}“.",
        "timing": "Gemeinsam wollen wir diesen Wert bis zum {date} erreichen.",
    },
}


def _obj(value) -> dict:
    return value if isinstance(value, dict) else {}


def _items(value) -> list:
    return value if isinstance(value, list) else []


def language_of(plan: dict) -> str:
    """The plan's language if we have phrases for it, else English."""
    code = str(plan.get("language") or "en").replace("_", "-").split("-")[0].lower()
    return code if code in PHRASES else "en"


def _clean(text) -> str:
    """A field as a sentence fragment: one line, no closing full stop."""
    return " ".join(text.split()).rstrip(" .!") if isinstance(text, str) else ""


def _lower_first(text: str, language: str, names: str) -> str:
    """Lower-case the first word in English unless it is a name, an acronym or German."""
    first = text.split(" ", 1)[0]
    if language != "en" or not first[:1].isupper() or not first[1:2].islower():
        return text
    if first.lower() in names.lower().split():
        return text
    return text[0].lower() + text[1:]


def _names(plan: dict) -> str:
    people = _items(plan.get("stakeholders"))
    words = [p.get("name") or "" for p in people if isinstance(p, dict)]
    words += [_obj(plan.get("customer")).get("organization") or ""]
    words += [_obj(plan.get("seller")).get("company") or ""]
    return " ".join(w for w in words if isinstance(w, str))


def _kpi_sentence(plan: dict, phrases: dict, language: str, names: str) -> str | None:
    kpis = _items(_obj(plan.get("impact")).get("kpis"))
    kpi = _obj(kpis[0]) if kpis else {}
    name = _clean(kpi.get("name"))
    if not name:
        return None
    fields = {
        "kpi": _lower_first(name, language, names),
        "baseline": _clean(kpi.get("baseline")),
        "target": _clean(kpi.get("target")),
    }
    if fields["baseline"] and fields["target"]:
        return phrases["kpi_from_to"].format(**fields)
    if fields["target"]:
        return phrases["kpi_to"].format(**fields)
    return phrases["kpi"].format(**fields)


def value_realized_date(plan: dict) -> dt.date | None:
    """The date of the latest value-realized milestone, if any."""
    dates = []
    for milestone in _items(plan.get("milestones")):
        if isinstance(milestone, dict) and milestone.get("kind") == "value_realized":
            try:
                dates.append(parse_date(milestone.get("date")))
            except (TypeError, ValueError):
                continue
    dates = [d for d in dates if d]
    return max(dates) if dates else None


def _sentences(plan: dict, language: str) -> list[tuple[str, str]]:
    """(name, sentence) pairs in reading order; empty fields are left out."""
    phrases, names = PHRASES[language], _names(plan)
    outcome = _clean(plan.get("desired_outcome"))
    impact = _clean(_obj(plan.get("impact")).get("statement"))
    when = value_realized_date(plan)
    parts = [("thanks", phrases["thanks"])]
    if outcome:
        fields = {"outcome": _lower_first(outcome, language, names)}
        parts.append(("outcome", phrases["outcome"].format(**fields)))
    if impact:
        fields = {"impact": _lower_first(impact, language, names)}
        parts.append(("impact", phrases["impact"].format(**fields)))
    kpi = _kpi_sentence(plan, phrases, language, names)
    if kpi:
        parts.append(("kpi", kpi))
    if when:
        date = format_date(when, format="long", locale=language)
        parts.append(("timing", phrases["timing"].format(date=date)))
    return parts


def draft_summary(plan: dict) -> str:
    """One paragraph from the plan's own fields, in its language, at most about 90 words."""
    parts = _sentences(plan, language_of(plan))
    # Keep it short: the impact statement goes first, then the KPI, if the paragraph runs long.
    for optional in ("impact", "kpi"):
        if len(" ".join(s for _, s in parts).split()) <= MAX_WORDS:
            break
        parts = [p for p in parts if p[0] != optional]
    return " ".join(sentence for _, sentence in parts)
