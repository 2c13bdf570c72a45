"""The method's guard rails: the four qualification questions and the six-point quality check.

Every quality check returns the same shape: ``check``, ``ok``, ``level`` ("ok", "warn" or
"fail"), ``message`` (a sentence naming the fix), ``path`` (the JSON pointer of the first
finding, or None) and ``findings`` (each a message and a path). ``ok`` is true only at level
"ok": a warning still asks the seller to look.
"""

from __future__ import annotations

import datetime as dt
import re

from ..errors import ValidationError
from .model import parse_date, pointer
from .notes import (
    Fact,
    acronym_in,
    calendar_words,
    extract_facts,
    is_acronym,
    is_camel,
    name_terms,
)

QUALIFICATION = (
    (
        "outcome_fit",
        "Does the outcome the customer wants fit what you deliver?",
        "Don't build a plan yet: confirm the outcome in the customer's own words, and walk away "
        "or refer them on if it doesn't fit.",
    ),
    (
        "impact",
        "Is the impact big enough, and measurable, for the customer to act on?",
        "Ask what the problem costs them today and how they would measure success (a KPI with "
        "a baseline and a target) before you propose dates.",
    ),
    (
        "decision_access",
        "Do you have access to the person who decides?",
        "Ask your contact who signs off and how they decide, and put a meeting with that person "
        "in the timeline.",
    ),
    (
        "plan_readiness",
        "Is the customer ready to work to a joint plan with dates?",
        "Propose one small next step with a date and ask whether they would work to a shared "
        "timeline; if not, keep it to a follow-up.",
    ),
)

SUMMARY_MAX_WORDS = 90
MAX_MILESTONES = 15
MAX_LINE = 120
# Bridges matter where the customer gives time or makes a decision; custom milestones are
# included because we cannot tell what they ask of the customer.
BRIDGE_KINDS = ("trial", "evaluation", "implementation", "go_live", "custom")
_SIGNATURE_RE = re.compile(
    r"contract|sign|signature|purchase order|\bPO\b|vertrag|unterschrift|unterzeichn|bestellung",
    re.IGNORECASE,
)
# Capitalised words that are never facts: greetings, pronouns and the method's own vocabulary.
COMMON_TERMS = frozenset(
    """i ok okay hi hello dear thanks thank yes no please mr mrs ms dr prof am pm asap fyi tbd
    eod eow kpi kpis roi map sla ceo cfo coo cto cio cmo vp svp evp it hr ops q&a faq pdf
    utc cet cest gmt est pst sie ihr ihre ihnen gmbh ag kg se inc ltd llc co corp e-mail email
    go-live kickoff""".split()
)


def _obj(value) -> dict:
    """The value if it is an object, else an empty one: checks run on drafts as typed."""
    return value if isinstance(value, dict) else {}


def _items(value) -> list:
    return value if isinstance(value, list) else []


# -- qualification --------------------------------------------------------------------------------


def qualification(plan: dict) -> list[dict]:
    """The four "before you start" answers, each "no" or unknown with what to do about it."""
    answers = _obj(plan.get("qualification"))
    items = []
    for key, question, advice in QUALIFICATION:
        answer = answers.get(key)
        advice_text = None
        if answer is None:
            advice_text = "Not answered yet. " + advice
        elif answer is False:
            advice_text = advice
        items.append(
            {"key": key, "question": question, "answer": answer, "ok": answer is True,
             "advice": advice_text}
        )  # fmt: skip
    return items


# -- result helpers -------------------------------------------------------------------------------


def _finding(message: str, *path) -> dict:
    return {"message": message, "path": pointer(path)}


def _result(check: str, findings: list[dict], ok_message: str, level: str = "fail") -> dict:
    """One check's result; the message is the first finding's, with a count of the rest."""
    if not findings:
        return {"check": check, "ok": True, "level": "ok", "message": ok_message, "path": None,
                "findings": []}  # fmt: skip
    message = findings[0]["message"]
    if len(findings) > 1:
        message += f" ({len(findings) - 1} more finding{'s' if len(findings) > 2 else ''}.)"
    return {"check": check, "ok": False, "level": level, "message": message,
            "path": findings[0]["path"], "findings": findings}  # fmt: skip


def _milestone_label(milestone: dict, index: int) -> str:
    return f'"{milestone.get("name") or f"milestone {index + 1}"}"'


# -- mutual ---------------------------------------------------------------------------------------

_FIELD_LABELS = {
    "summary": "The summary",
    "desired_outcome": "The desired outcome",
    "challenges": "Challenge {n}",
    "why_fit": "Why this fits",
    "statement": "The impact statement",
    "kpis": "KPI {n}",
    "negotiables": "Negotiable {n}",
    "assumptions": "Assumption {n}",
    "milestones": "Milestone {n}",
}


def seller_texts(plan: dict):
    """(path, text) for every free-text field the seller writes for the customer to read."""
    for key in ("summary", "desired_outcome", "why_fit"):
        yield (key,), plan.get(key)
    for key in ("challenges", "negotiables", "assumptions"):
        for i, text in enumerate(_items(plan.get(key))):
            yield (key, i), text
    impact = _obj(plan.get("impact"))
    yield ("impact", "statement"), impact.get("statement")
    for i, kpi in enumerate(_items(impact.get("kpis"))):
        for field in ("name", "baseline", "target", "measured_by"):
            yield ("impact", "kpis", i, field), _obj(kpi).get(field)
    # Milestone names and dates are the timeline itself; their bridges and KPI are prose.
    for i, milestone in enumerate(_items(plan.get("milestones"))):
        for field in ("this_means", "as_a_result", "kpi"):
            yield ("milestones", i, field), _obj(milestone).get(field)


def _plan_dates(plan: dict) -> list[dt.date]:
    values = [_obj(m).get("date") for m in _items(plan.get("milestones"))]
    values.append(_obj(plan.get("next_meeting")).get("date"))
    dates = []
    for value in values:
        try:
            dates.append(parse_date(value))
        except (TypeError, ValueError):
            continue
    return [d for d in dates if d]


def _meeting_time(plan: dict) -> str:
    time = _obj(plan.get("next_meeting")).get("time")
    return time if isinstance(time, str) else ""


def _plan_names(plan: dict) -> str:
    """The names the seller entered in structured fields: people, organisations, milestones."""
    parts = [_obj(plan.get("customer")).get("organization")]
    seller = _obj(plan.get("seller"))
    parts += [seller.get("name"), seller.get("company")]
    people = _items(plan.get("stakeholders")) + _items(_obj(plan.get("customer")).get("contacts"))
    for person in people:
        parts += [_obj(person).get("name"), _obj(person).get("title")]
    parts += [_obj(m).get("name") for m in _items(plan.get("milestones"))]
    return "\n".join(p for p in parts if isinstance(p, str))


class Evidence:
    """What the notes and the plan's structured fields establish, to test a fact against."""

    def __init__(self, plan: dict):
        self.notes = plan.get("notes") or ""
        self.names = _plan_names(plan)
        facts = extract_facts(self.notes)
        self.numbers = [(f.value, f.unit) for f in facts if f.kind == "number"]
        self.codes = {f.value for f in facts if f.kind == "code"}
        self.dates = [f.value for f in facts if f.kind == "date"]
        self.dates += [(d.year, d.month, d.day) for d in _plan_dates(plan)]
        self.times = {f.value for f in facts if f.kind == "time"}
        self.times |= {f.value for f in extract_facts(_meeting_time(plan)) if f.kind == "time"}
        self.years = {f.value for f in facts if f.kind == "year"}
        self.years |= {d[0] for d in self.dates if d[0]}

    def backs(self, fact: Fact) -> bool:
        """Whether the notes or the structured fields contain this fact."""
        if fact.kind == "number":
            return any(_same_number(fact, v, u) for v, u in self.numbers)
        if fact.kind == "date":
            return any(_same_date(fact.value, known) for known in self.dates)
        if fact.kind == "time":
            return fact.value in self.times
        if fact.kind == "year":
            return fact.value in self.years
        if fact.kind == "code":
            return fact.value in self.codes or self._mentions(fact.text)
        return self._backs_term(fact.value)

    def _mentions(self, word: str) -> bool:
        pattern = rf"(?<!\w){re.escape(word)}(?!\w)"
        return any(re.search(pattern, t, re.IGNORECASE) for t in (self.notes, self.names))

    def _backs_term(self, word: str) -> bool:
        """A name is backed when it, or each of its telling parts ("KI" in "KI-Modul"), is."""
        if self._backs_word(word):
            return True
        parts = [p for p in word.split("-") if p]
        telling = [p for p in parts if is_acronym(p) or is_camel(p)]
        telling = telling or [p for p in parts if p[0].isupper()]
        return bool(telling) and all(self._backs_word(p) for p in telling)

    def _backs_word(self, word: str) -> bool:
        low = word.lower()
        if low in COMMON_TERMS or low in calendar_words() or self._mentions(word):
            return True
        return len(word) <= 6 and is_acronym(word) and acronym_in(word, self.notes)


def _same_number(fact: Fact, value: float, unit: str | None) -> bool:
    close = abs(fact.value - value) <= 1e-9 * max(1.0, abs(value))
    return close and (fact.unit == unit or fact.unit is None or unit is None)


def _same_date(date: tuple, known: tuple) -> bool:
    return date[1:] == known[1:] and (date[0] is None or known[0] is None or date[0] == known[0])


_STOP = frozenset(
    """a an the and or but to of for in on at by with from as if so that which who will would
    can could should must may is are was were be been has have had said says told per every
    each all our your their its
    und oder auf bei mit von bis für im in zu der die das den dem des ein eine ist sind
    wird""".split()
)


def _phrase(text: str, fact: Fact) -> str:
    """The fact as the reader sees it: a name with up to two following lower-case words, a
    percentage or a bare number with the word it counts ("20% discount", "40 clinics")."""
    if fact.kind == "term":
        words = 2
    elif fact.kind == "number" and fact.unit in (None, "%"):
        words = 1
    else:
        return fact.text
    following = re.match(r"((?:\s+[a-zäöüß][\w-]*)*)", text[fact.end :]).group(1).split()
    kept = []
    for word in following[:words]:
        if word in _STOP:
            break
        kept.append(word)
    return " ".join([fact.text, *kept])


def _label(path: tuple) -> str:
    key = next((p for p in reversed(path) if p in _FIELD_LABELS), path[0])
    index = next((p for p in path if isinstance(p, int)), 0)
    label = _FIELD_LABELS.get(key, str(key)).format(n=index + 1)
    if path[0] == "milestones" or path[-1] in ("baseline", "target", "measured_by", "name"):
        label += f" ({str(path[-1]).replace('_', ' ')})"
    return label


def unsupported_facts(text: str, evidence: Evidence, language: str = "en") -> list[Fact]:
    """Facts in a text that neither the notes nor the plan's structured fields contain."""
    facts = extract_facts(text) + name_terms(text, language)
    return [f for f in facts if not evidence.backs(f)]


def check_mutual(plan: dict) -> dict:
    """Everything the seller wrote must come from the notes: no new numbers, dates or names."""
    evidence = Evidence(plan)
    language = plan.get("language") or "en"
    findings = []
    for path, text in seller_texts(plan):
        if not isinstance(text, str):
            continue
        for fact in unsupported_facts(text, evidence, language):
            shown = _phrase(text, fact)
            findings.append(_finding(
                f'{_label(path)} says "{shown}", which is not in your notes: take it out, or add '
                "to the notes where the customer said it.",
                *path,
            ))  # fmt: skip
    return _result("mutual", findings, "Everything in the plan can be traced to your notes.")


# -- customer_centric -----------------------------------------------------------------------------


def _index(plan: dict, milestone: dict) -> int:
    return next(i for i, m in enumerate(plan["milestones"]) if m is milestone)


def check_customer_centric(plan: dict) -> dict:
    """The timeline ends at value realized with a KPI, not at a contract or signature."""
    dated = [m for m in _items(plan.get("milestones")) if _obj(m).get("date")]
    ok = "The timeline ends when the customer sees the value, measured by a KPI."
    if not dated:
        return _result("customer_centric", [_finding(
            "The timeline has no dated milestones: end it at the date the customer sees the "
            "value.", "milestones")], ok)  # fmt: skip
    # On a tie, value realized counts as the end.
    last = max(dated, key=lambda m: (str(m["date"]), m.get("kind") == "value_realized"))
    i = _index(plan, last)
    name = _milestone_label(last, i)
    if last.get("kind") != "value_realized":
        what = "a signature" if _is_signature(last) else "a step before the value"
        finding = _finding(
            f"The timeline ends at {name}, {what}: add a value-realized milestone after it, "
            "with the KPI the customer will see improve.",
            "milestones", i,
        )  # fmt: skip
        return _result("customer_centric", [finding], ok)
    if not (last.get("kpi") or "").strip():
        finding = _finding(
            f"The value-realized milestone {name} has no KPI: say which measure shows the value "
            "(e.g. the KPI's target).",
            "milestones", i, "kpi",
        )  # fmt: skip
        return _result("customer_centric", [finding], ok)
    return _result("customer_centric", [], ok)


def _is_signature(milestone: dict) -> bool:
    return milestone.get("kind") == "commercial_review" or bool(
        _SIGNATURE_RE.search(milestone.get("name") or "")
    )


# -- specific -------------------------------------------------------------------------------------


def check_specific(plan: dict) -> dict:
    """Dates and owners on every milestone, a KPI with a target, a named decision maker."""
    findings = []
    for i, milestone in enumerate(_items(plan.get("milestones"))):
        milestone = _obj(milestone)
        for field in ("date", "owner"):
            if not milestone.get(field):
                findings.append(_finding(
                    f"Milestone {_milestone_label(milestone, i)} has no {field}: add one.",
                    "milestones", i, field,
                ))  # fmt: skip
    findings += _kpi_findings(plan)
    if not any(_is_decision_maker(s) for s in _items(plan.get("stakeholders"))):
        findings.append(_finding(
            "No decision maker is named on the customer's side: add the person who signs off "
            "as a stakeholder with the role decision maker.",
            "stakeholders",
        ))  # fmt: skip
    return _result("specific", findings, "Every milestone has a date and an owner, the KPI has "
                   "a target and the decision maker is named.")  # fmt: skip


def _kpi_findings(plan: dict) -> list[dict]:
    kpis = _items(_obj(plan.get("impact")).get("kpis"))
    if not kpis:
        return [_finding(
            "The impact has no KPI: add the measure the customer will judge success by, with "
            "its baseline and target.",
            "impact", "kpis",
        )]  # fmt: skip
    return [
        _finding(f'KPI "{_obj(kpi).get("name") or i + 1}" has no target: add the number the '
                 "customer wants to reach.", "impact", "kpis", i, "target")  # fmt: skip
        for i, kpi in enumerate(kpis)
        if not (isinstance(kpi, dict) and (kpi.get("target") or "").strip())
    ]


def _is_decision_maker(stakeholder) -> bool:
    return (
        isinstance(stakeholder, dict)
        and stakeholder.get("role") == "decision_maker"
        and stakeholder.get("side", "customer") == "customer"
        and bool((stakeholder.get("name") or "").strip())
    )


# -- readable -------------------------------------------------------------------------------------


def check_readable(plan: dict) -> dict:
    """One short summary paragraph, a scannable timeline, lines that fit a phone."""
    findings = _summary_findings(plan.get("summary"))
    milestones = _items(plan.get("milestones"))
    if len(milestones) > MAX_MILESTONES:
        findings.append(_finding(
            f"The timeline has {len(milestones)} milestones: keep it to {MAX_MILESTONES} or "
            "fewer so the customer can scan it; merge the small steps.",
            "milestones",
        ))  # fmt: skip
    for i, milestone in enumerate(milestones):
        for field in ("name", "this_means", "as_a_result"):
            text = _obj(milestone).get(field)
            if isinstance(text, str) and len(text) > MAX_LINE:
                findings.append(_finding(
                    f"Milestone {_milestone_label(milestone, i)} has a {field.replace('_', ' ')} "
                    f"of {len(text)} characters: cut it to {MAX_LINE} so it fits a phone line.",
                    "milestones", i, field,
                ))  # fmt: skip
    return _result("readable", findings, "The summary is one short paragraph and the timeline "
                   "reads well on a phone.", level="warn")  # fmt: skip


def _summary_findings(summary) -> list[dict]:
    if not isinstance(summary, str) or not summary.strip():
        return [_finding("There is no summary yet: write one short paragraph (or draft one) "
                         "that thanks them and restates their outcome.", "summary")]
    findings = []
    if re.search(r"\n\s*\n", summary.strip()):
        findings.append(_finding("The summary has more than one paragraph: join it into one "
                                 "short paragraph.", "summary"))  # fmt: skip
    words = len(summary.split())
    if words > SUMMARY_MAX_WORDS:
        findings.append(_finding(f"The summary has {words} words: cut it to about "
                                 f"{SUMMARY_MAX_WORDS}.", "summary"))  # fmt: skip
    return findings


# -- outcome_linked -------------------------------------------------------------------------------


def check_outcome_linked(plan: dict) -> dict:
    """Key milestones say what they mean and what follows ("this means... as a result...")."""
    milestones = [_obj(m) for m in _items(plan.get("milestones"))]
    findings = []
    for i, milestone in enumerate(milestones):
        if milestone.get("kind") not in BRIDGE_KINDS:
            continue
        missing = [f.replace("_", " ") for f in ("this_means", "as_a_result")
                   if not (milestone.get(f) or "").strip()]  # fmt: skip
        if missing:
            field = "this_means" if "this means" in missing else "as_a_result"
            findings.append(_finding(
                f"Milestone {_milestone_label(milestone, i)} has no \"{' / '.join(missing)}\": "
                "say what it means for the customer and what it leads to.",
                "milestones", i, field,
            ))  # fmt: skip
    bridged = any((m.get("this_means") or m.get("as_a_result")) for m in milestones)
    level = "warn" if bridged else "fail"
    return _result("outcome_linked", findings, "The key milestones are linked to the outcome.",
                   level=level)  # fmt: skip


# -- accountable ----------------------------------------------------------------------------------


def check_accountable(plan: dict, today: dt.date) -> dict:
    """A next meeting is set, today or later."""
    meeting = _obj(plan.get("next_meeting"))
    ok = "The next meeting is set."
    try:
        date = parse_date(meeting.get("date"))
    except (TypeError, ValueError):
        date = None
    if date is None:
        finding = _finding("No next meeting is set: agree a date for the next meeting and add it.",
                           "next_meeting")  # fmt: skip
        return _result("accountable", [finding], ok)
    if date < today:
        finding = _finding(
            f"The next meeting ({date.isoformat()}) is in the past: set the date of the next one.",
            "next_meeting", "date",
        )  # fmt: skip
        return _result("accountable", [finding], ok)
    return _result("accountable", [], ok)


# -- all together ---------------------------------------------------------------------------------


def quality(plan: dict, today: dt.date) -> list[dict]:
    """The six quality checks, in the method's order."""
    return [
        check_mutual(plan),
        check_customer_centric(plan),
        check_specific(plan),
        check_readable(plan),
        check_outcome_linked(plan),
        check_accountable(plan, today),
    ]


def run_checks(plan: dict, today: dt.date) -> dict:
    """The qualification answers and the six quality checks for a plan, as of today."""
    if not isinstance(plan, dict):
        raise ValidationError("The plan must be a JSON object.", field="")
    if not isinstance(today, dt.date):
        raise ValidationError("/today must be a date.", field="/today")
    today = today.date() if isinstance(today, dt.datetime) else today
    return {"qualification": qualification(plan), "quality": quality(plan, today)}
