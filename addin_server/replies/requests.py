"""Plain requests in prose: "Can we push go-live to April 12?", "Please make enablement joint".

A sentence becomes a proposal only when both the milestone and the new value
are clear; otherwise it is kept as a question for the seller, with the reason,
and proposes nothing. Guessing a change the customer did not ask for would be
worse than asking.
"""

from __future__ import annotations

import datetime as dt
import re

from ..mailtext.dates import find_dates
from ..plans.history import label_for
from ..plans.model import customer_label, seller_label
from .intent import _asks_change, _is_question

# Words people use for each kind of milestone (normalised: lower case, hyphens as spaces).
KIND_SYNONYMS = {
    "go_live": (
        "go live",
        "golive",
        "launch",
        "rollout",
        "roll out",
        "cutover",
        "livegang",
        "produktivstart",
        "inbetriebnahme",
        "mise en production",
        "lancement",
        "puesta en marcha",
        "lanzamiento",
        "salida en vivo",
    ),
    "trial": (
        "pilot",
        "trial",
        "test run",
        "poc",
        "proof of concept",
        "testlauf",
        "pilotphase",
        "pilote",
        "essai",
        "piloto",
        "prueba",
    ),
    "commercial_review": (
        "commercial review",
        "commercial",
        "contract",
        "pricing",
        "procurement",
        "negotiation",
        "vertrag",
        "vertragsprüfung",
        "kaufmännische prüfung",
        "contrat",
        "revue commerciale",
        "contrato",
        "revisión comercial",
    ),
    "enablement": (
        "enablement",
        "training",
        "trainings",
        "schulung",
        "schulungen",
        "formation",
        "capacitación",
        "formación",
    ),
    "kickoff": (
        "kickoff",
        "kick off",
        "auftakt",
        "lancement du projet",
        "arranque",
        "reunión de inicio",
    ),
    "evaluation": ("evaluation", "assessment", "bewertung", "évaluation", "evaluación"),
    "implementation": (
        "implementation",
        "integration",
        "implementierung",
        "umsetzung",
        "mise en œuvre",
        "implementación",
    ),
    "measurement": ("measurement", "messung", "mesure", "medición"),
    "business_review": ("business review", "qbr", "geschäftsreview", "revue d'activité"),
    "value_realized": (
        "value realized",
        "value realised",
        "wert realisiert",
        "valeur réalisée",
        "valor realizado",
    ),
}
_NAME_STOP = {
    "the",
    "and",
    "of",
    "for",
    "with",
    "mit",
    "und",
    "der",
    "die",
    "das",
    "den",
    "de",
    "la",
    "le",
    "el",
    "des",
    "du",
    "prep",
    "complete",
    "completed",
    "abgeschlossen",
    "first",
    "team",
    "phase",
    "milestone",
    "vorbereitung",
}
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "couple": 2,
    "ein": 1,
    "eine": 1,
    "einen": 1,
    "einer": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "fünf": 5,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "una": 1,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
}
_UNITS = {
    "day": 1,
    "days": 1,
    "tag": 1,
    "tage": 1,
    "tagen": 1,
    "jour": 1,
    "jours": 1,
    "día": 1,
    "días": 1,
    "dia": 1,
    "dias": 1,
    "week": 7,
    "weeks": 7,
    "woche": 7,
    "wochen": 7,
    "semaine": 7,
    "semaines": 7,
    "semana": 7,
    "semanas": 7,
    "month": 30,
    "months": 30,
    "monat": 30,
    "monate": 30,
    "monaten": 30,
    "mois": 30,
    "mes": 30,
    "meses": 30,
}
_RELATIVE = re.compile(
    r"(?:\b(?P<num>\d{1,3}|" + "|".join(_NUMBERS) + r")\s+(?:of\s+)?)?"
    r"\b(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_EARLIER = re.compile(
    r"\b(?:earlier|forward|sooner|ahead|pull(?:ed)? in|früher|vorziehen|vorverlegen|eher|"
    r"avancer|plus tôt|antes|adelantar)\b",
    re.IGNORECASE,
)
_MOVE = re.compile(
    r"\b(?:move|push|shift|delay|postpone|slip|reschedule|later|back|out|verschieb\w*|später|"
    r"nach hinten|décaler|reporter|plus tard|retrasar|aplazar|posponer|mover|después|más tarde|"
    r"earlier|forward|sooner|früher|vorziehen|avancer|adelantar)\b",
    re.IGNORECASE,
)
_OWNER_WORDS = re.compile(
    r"\b(?:own|owns|owned|owner|ownership|joint|jointly|together|ours|yours|take care|handle|"
    r"lead|responsible|gemeinsam|verantwortlich|verantwortung|übernehmen|übernimmt|"
    r"conjointement|ensemble|responsable|conjunto|conjuntamente|juntos)\b",
    re.IGNORECASE,
)
# Sentence ends, except after a number ("den 12. April" is one sentence in German).
_SENTENCE = re.compile(r"(?<=[!?;])\s+|(?<=[^\d\s]\.)\s+|\n+")


_PUNCT = re.compile(r"[^\w']+")


def _norm(text: str) -> str:
    text = text.casefold().replace("’", "'")
    return " ".join(re.sub(r"[-‐–—_/]", " ", text).split())


def _has(phrase: str, text: str) -> bool:
    """Whole-word phrase test on normalised text."""
    return f" {phrase} " in f" {_PUNCT.sub(' ', text)} "


def find_requests(text: str, plan: dict, *, today: dt.date | None = None):
    """(proposals, questions) read from the prose of a reply."""
    proposals: list[dict] = []
    questions: list[dict] = []
    previous: dict | None = None
    for sentence in sentences(text):
        found = _read_sentence(sentence, plan, previous, today)
        if found is None:
            continue
        kind, value, milestone = found
        if milestone is not None:
            previous = milestone
        if kind == "proposal":
            proposals.append(value)
        elif kind == "question":
            questions.append(value)
    return proposals, questions


def sentences(text: str) -> list[str]:
    """The sentences of a reply's new text, quoted lines left out."""
    lines = [ln for ln in (text or "").splitlines() if not ln.lstrip().startswith(">")]
    parts = _SENTENCE.split("\n".join(lines)[:8000])
    return [" ".join(p.split()) for p in parts if p and p.strip()]


def _read_sentence(sentence: str, plan: dict, previous: dict | None, today):
    asks = _asks_change(sentence)
    owner_talk = bool(_OWNER_WORDS.search(sentence))
    question = _is_question(sentence)
    if not (asks or owner_talk or question):
        return None
    matches = match_milestones(sentence, plan)
    if not matches and previous is not None and (asks or owner_talk) and _refers_back(sentence):
        matches = [previous]
    if len(matches) != 1:
        if not (asks or owner_talk or question):
            return None
        reason = _reason_without_milestone(matches)
        return "question", _question(sentence, reason), None
    milestone = matches[0]
    change = _owner_change(sentence, plan, milestone) if owner_talk else None
    if change is None and (asks or question):
        change = _date_change(sentence, plan, milestone, today)
    if change is None:
        if asks:
            return "question", _question(sentence, "no new date or owner could be read"), milestone
        return "question", _question(sentence, "a question for the seller"), milestone
    field, new = change
    if new == milestone.get(field):
        return None, None, milestone
    return "proposal", _proposal(plan, milestone, field, new, sentence), milestone


def _refers_back(sentence: str) -> bool:
    return bool(re.search(r"\b(?:it|that|this|one|es|ihn|das|le|la|lo)\b", sentence, re.I))


def _reason_without_milestone(matches: list[dict]) -> str:
    if matches:
        names = " or ".join(m["name"] for m in matches[:3])
        return f"it is not clear which milestone is meant ({names})"
    return "no milestone of the plan is named"


def _question(sentence: str, reason: str) -> dict:
    return {"text": sentence, "reason": reason}


def _proposal(plan: dict, milestone: dict, field: str, new, sentence: str) -> dict:
    index = plan["milestones"].index(milestone)
    path = f"/milestones/{index}/{field}"
    return {
        "path": path,
        "old": milestone.get(field),
        "new": new,
        "label": label_for(path, plan),
        "evidence": sentence,
        "item_id": milestone.get("id"),
    }


def match_milestones(sentence: str, plan: dict) -> list[dict]:
    """The milestones a sentence names, best first; more than one means it is ambiguous."""
    text = _norm(sentence)
    scored = []
    for milestone in plan.get("milestones") or []:
        score = _score(text, milestone)
        if score:
            scored.append((score, milestone))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    return [m for score, m in scored if score == best]


def _score(text: str, milestone: dict) -> int:
    words = f" {_PUNCT.sub(' ', text)} "
    name = _PUNCT.sub(" ", _norm(milestone.get("name") or "")).strip()
    if name and f" {name} " in words:
        return 10 + len(name)
    score = sum(2 for w in _name_words(name) if f" {w} " in words)
    synonyms = KIND_SYNONYMS.get(milestone.get("kind"), ())
    if any(f" {s} " in words for s in synonyms):
        score += 3
    return score


def _name_words(name: str) -> list[str]:
    return [w for w in re.findall(r"[^\W\d_]{3,}", name) if w not in _NAME_STOP]


def _owner_change(sentence: str, plan: dict, milestone: dict):
    """('owner', new owner) when the sentence gives one."""
    text = _norm(sentence)
    owner = None
    if re.search(
        r"\b(?:joint|jointly|together|gemeinsam|conjointement|ensemble|conjunt\w*|"
        r"juntos)\b",
        text,
    ):
        owner = "joint"
    elif re.search(
        r"\b(?:we(?:'ll| will| can| could| should)?|let us|let's|our team|"
        r"wir|nous|nosotros)\b.{0,30}\b(?:own|take|handle|lead|übernehm\w*|"
        r"prendr\w*|nos encargamos)\b|\bmake \S+(?: \S+)? ours\b|\bübernehmen wir\b",
        text,
    ):
        owner = "customer"
    elif re.search(
        r"\b(?:you|your team|ihr|sie|vous|ustedes)\b.{0,30}\b(?:own|take|handle|"
        r"lead|übernehm\w*|prendr\w*)\b|\bmake \S+(?: \S+)? yours\b",
        text,
    ):
        owner = "seller"
    owner = _owner_by_company(text, plan) or owner
    return ("owner", owner) if owner else None


def _owner_by_company(text: str, plan: dict) -> str | None:
    """'owned by Northwind' -> customer, 'BrightPath owns it' -> seller."""
    if not re.search(r"\b(?:own\w*|by|verantwortlich|responsable|übernimmt|lead\w*)\b", text):
        return None
    for owner, org in (("customer", customer_label(plan)), ("seller", seller_label(plan))):
        words = [w for w in re.findall(r"[^\W\d_]{4,}", _norm(org or ""))][:1]
        if words and _has(words[0], text):
            return owner
    return None


def _date_change(sentence: str, plan: dict, milestone: dict, today):
    """('date', ISO date) from an absolute date or a relative move."""
    current = dt.date.fromisoformat(milestone["date"])
    dates = [d for _, _, d in find_dates(sentence, language=plan.get("language"), near=current)]
    dates = [d for d in dates if d != current]
    if dates:
        return "date", dates[-1].isoformat()
    days = _relative_days(sentence)
    if days:
        return "date", _shift(current, days).isoformat()
    return None


def _relative_days(sentence: str) -> int | None:
    """Signed days of a relative move ("a week later", "by two weeks", "3 Tage früher")."""
    if not _MOVE.search(sentence):
        return None
    for m in _RELATIVE.finditer(sentence):
        raw = (m.group("num") or "").lower()
        count = int(raw) if raw.isdigit() else _NUMBERS.get(raw, 1 if not raw else 0)
        if not count:
            continue
        days = count * _UNITS[m.group("unit").lower()]
        return -days if _EARLIER.search(sentence) else days
    return None


def _shift(day: dt.date, days: int) -> dt.date:
    """Move by days; whole months move by calendar month (Mar 22 + 1 month = Apr 22)."""
    if days % 30 == 0 and abs(days) >= 30:
        months = days // 30
        month_index = day.month - 1 + months
        year, month = day.year + month_index // 12, month_index % 12 + 1
        for d in (day.day, 30, 29, 28):
            try:
                return dt.date(year, month, d)
            except ValueError:
                continue
    return day + dt.timedelta(days=days)
