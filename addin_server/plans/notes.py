"""The customer's words: facts and phrases read from call notes (and from any plan text).

One reader serves two callers: ``suggest`` offers the notes' own phrases to the
seller, and the ``mutual`` check extracts the same kinds of fact from what the
seller wrote to see whether the notes back them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from babel.dates import get_day_names, get_month_names

SUGGESTION_KINDS = ("outcome", "challenge", "kpi", "stakeholder", "quote", "date")
LOCALES = ("en", "de")

_NUM = r"\d+(?:[.,]\d+)*"
# Units are normalised so that "four weeks" and "28 days" are the same fact.
_UNITS = {
    "day": ("day", 1),
    "tag": ("day", 1),
    "werktag": ("day", 1),
    "arbeitstag": ("day", 1),
    "business day": ("day", 1),
    "week": ("day", 7),
    "wk": ("day", 7),
    "woche": ("day", 7),
    "month": ("month", 1),
    "monat": ("month", 1),
    "year": ("month", 12),
    "yr": ("month", 12),
    "jahr": ("month", 12),
    "hour": ("minute", 60),
    "hr": ("minute", 60),
    "h": ("minute", 60),
    "stunde": ("minute", 60),
    "std": ("minute", 60),
    "minute": ("minute", 1),
    "min": ("minute", 1),
}
_UNIT_RE = (
    r"(business\s+days?|werktag(?:e|en)?|arbeitstag(?:e|en)?|days?|tag(?:e|en|es)?|weeks?|wks?"
    r"|wochen?|months?|monat(?:e|en|s)?|years?|yrs?|jahr(?:e|en|es)?|hours?|hrs?|h"
    r"|stunden?|std|minutes?|mins?|minuten)\b"
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eins": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwölf": 12, "fünfzehn": 15, "zwanzig": 20, "dreißig": 30, "vierzig": 40,
    "fünfzig": 50, "sechzig": 60, "neunzig": 90,
}  # fmt: skip
_SCALE = {
    "k": 1e3, "tsd": 1e3, "thousand": 1e3, "tausend": 1e3, "m": 1e6, "mio": 1e6,
    "million": 1e6, "millionen": 1e6, "mn": 1e6, "bn": 1e9, "mrd": 1e9, "billion": 1e9,
}  # fmt: skip
_CURRENCY = r"(?:[$€£¥]|usd|eur|gbp|chf|euros?|dollars?)"
_SCALE_RE = r"(?:k|tsd\.?|thousand|tausend|mio\.?|millionen|million|mn|m|bn|mrd\.?|billion)"
_PERCENT_RE = r"(?:\s?%|\s?percent\b|\s?per\s+cent\b|\s?prozent\b)"
_OPENERS = "\"'“”„‘’‚«»‹›([{"
_ABBREVIATIONS = {
    "dr", "mr", "mrs", "ms", "prof", "st", "e.g", "i.e", "z.b", "ca", "bzw", "nr", "vs",
}  # fmt: skip
_HONORIFIC_RE = r"\b(?:Frau|Herr|Herrn|Mr|Mrs|Ms|Dr|Prof)\.?\s+"
_NAME_TAIL = r"[^\W\d_'’-]*(?:-[^\W\d_]+)?"
_NAME_WORD = r"[^\W\d_]" + _NAME_TAIL
# An upper-case letter (Latin-1 and beyond): a letter that is not one of the lower-case ranges.
_CAP_WORD = r"[^\W\d_a-zß-öø-ÿ]" + _NAME_TAIL
_CHALLENGE_RE = re.compile(
    r"re-?key|by hand|manual|wait|spreadsheet|excel|delay|too slow|late\b|error|lost\b"
    r"|lives in|von hand|per hand|manuell|warte|verzöger|fehler|langsam|tabelle|dauert|stehen",
    re.IGNORECASE,
)
_OUTCOME_RE = re.compile(
    r"\b(?:need|needs|want|wants|goal|target|aim|by the end|ziel|wollen|möchten|brauchen"
    r"|müssen|soll)\b",
    re.IGNORECASE,
)
_KPI_RE = re.compile(r"\b(?:success|measure\w*|kpi|metric|kennzahl|messen|erfolg)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Fact:
    """One checkable fact in a text: a number, a date, a clock time, a year, a code like Q3,
    or a name."""

    kind: str  # "number", "date", "time", "year", "code" or "term"
    value: object
    unit: str | None
    text: str
    start: int
    end: int


# -- vocabularies built on first use (never at import time) ------------------------------------


@functools.lru_cache(maxsize=1)
def month_numbers() -> dict[str, int]:
    """Month names and abbreviations (en, de) in lower case, mapped to 1..12."""
    names: dict[str, int] = {}
    for locale in LOCALES:
        for width in ("wide", "abbreviated"):
            for number, name in get_month_names(width, locale=locale).items():
                names[name.lower().rstrip(".")] = number
    names["sept"] = 9
    return names


@functools.lru_cache(maxsize=1)
def _month_alternation() -> str:
    return "|".join(re.escape(n) for n in sorted(month_numbers(), key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def calendar_words() -> frozenset[str]:
    """Weekday and month names (en, de), lower case: never a fact on their own."""
    words = set(month_numbers())
    for locale in LOCALES:
        for width in ("wide", "abbreviated"):
            days = get_day_names(width, locale=locale).values()
            words.update(n.lower().rstrip(".") for n in days)
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def _date_patterns() -> tuple[re.Pattern, ...]:
    months = _month_alternation()
    flags = re.IGNORECASE
    return (
        re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
        re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2}(?!\d))?"),
        re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4}|\d{2})\b"),
        re.compile(
            rf"\b(?P<mn>{months})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*[%:])"
            rf"(?:,?\s+(?P<y>\d{{4}})\b)?",
            flags,
        ),
        re.compile(
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(?P<mn>{months})\b\.?"
            rf"(?:,?\s+(?P<y>\d{{4}})\b)?",
            flags,
        ),
    )


# -- numbers --------------------------------------------------------------------------------------


def parse_number(raw: str) -> float:
    """A written number as a float: "3,5" and "3.5" are 3.5, "50,000" and "50.000" are 50000."""
    if "." in raw and "," in raw:
        decimal = "." if raw.rfind(".") > raw.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        return float(raw.replace(thousands, "").replace(decimal, "."))
    sep = "." if "." in raw else "," if "," in raw else ""
    if not sep:
        return float(raw)
    head, *groups = raw.split(sep)
    # Groups of exactly three digits after a short head read as thousands, in either convention.
    if all(len(g) == 3 for g in groups) and (len(groups) > 1 or len(head) <= 3) and head != "0":
        return float(raw.replace(sep, ""))
    if len(groups) == 1:
        return float(f"{head}.{groups[0]}")
    return float(raw.replace(sep, ""))


def _unit(word: str) -> tuple[str, float]:
    """The canonical unit and factor for a unit word as written."""
    word = re.sub(r"\s+", " ", word.lower())
    for key in sorted(_UNITS, key=len, reverse=True):
        if word == key or (word.startswith(key) and len(word) - len(key) <= 3):
            return _UNITS[key]
    raise KeyError(word)


def _scale(word: str | None) -> float:
    return _SCALE[word.lower().rstrip(".")] if word else 1.0


# -- fact extraction ------------------------------------------------------------------------------


class _Scanner:
    """Finds facts left to right by priority; a span taken by one kind is not read again."""

    def __init__(self, text: str):
        self.text = text
        self.taken = [False] * len(text)
        self.facts: list[Fact] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def add(self, kind: str, value, unit, start: int, end: int) -> None:
        for i in range(start, end):
            self.taken[i] = True
        self.facts.append(Fact(kind, value, unit, self.text[start:end], start, end))

    def each(self, pattern: re.Pattern):
        for match in pattern.finditer(self.text):
            if self.free(match.start(), match.end()):
                yield match


def _scan_dates(scan: _Scanner) -> None:
    for pattern in _date_patterns():
        for match in scan.each(pattern):
            parts = match.groupdict()
            month = month_numbers()[parts["mn"].lower()] if parts.get("mn") else int(parts["m"])
            day, year = int(parts["d"]), parts.get("y")
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            year = int(year) + (2000 if len(year) == 2 else 0) if year else None
            scan.add("date", (year, month, day), None, match.start(), match.end())


def _scan_money(scan: _Scanner) -> None:
    before = re.compile(rf"{_CURRENCY}\s?({_NUM})(?:\s?({_SCALE_RE})\b)?", re.IGNORECASE)
    after = re.compile(rf"\b({_NUM})\s?(?:({_SCALE_RE})\.?\s?)?{_CURRENCY}(?!\w)", re.IGNORECASE)
    for pattern in (before, after):
        for match in scan.each(pattern):
            value = parse_number(match.group(1)) * _scale(match.group(2))
            scan.add("number", value, "money", match.start(), match.end())


def _scan_quantities(scan: _Scanner) -> None:
    percent = re.compile(rf"\b({_NUM}){_PERCENT_RE}", re.IGNORECASE)
    for match in scan.each(percent):
        scan.add("number", parse_number(match.group(1)), "%", match.start(), match.end())
    scaled = re.compile(
        rf"\b({_NUM})(?:(k|m|bn)|\s?(thousand|million|billion|tausend|millionen|mio|mrd|tsd))"
        r"\b\.?",
        re.IGNORECASE,
    )
    for match in scan.each(scaled):
        value = parse_number(match.group(1)) * _scale(match.group(2) or match.group(3))
        scan.add("number", value, None, match.start(), match.end())
    words = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    measured = re.compile(rf"\b({_NUM}|{words})(?:\s*-\s*|\s+)?{_UNIT_RE}", re.IGNORECASE)
    for match in scan.each(measured):
        raw = match.group(1)
        amount = _NUMBER_WORDS.get(raw.lower()) or parse_number(raw)
        unit, factor = _unit(match.group(2))
        scan.add("number", amount * factor, unit, match.start(), match.end())


def _scan_times(scan: _Scanner) -> None:
    """Clock times as "HH:MM": "10:00", "9.30 Uhr", "3 pm" and "3:30pm"."""
    pattern = re.compile(
        r"\b(\d{1,2})(?:[:.](\d{2}))?\s?(am|pm|a\.m\.|p\.m\.|uhr)(?!\w)|\b(\d{1,2}):(\d{2})\b",
        re.IGNORECASE,
    )
    for match in scan.each(pattern):
        hour = int(match.group(1) or match.group(4))
        minute = int(match.group(2) or match.group(5) or 0)
        suffix = (match.group(3) or "").lower()
        if suffix.startswith("p") and hour < 12:
            hour += 12
        if suffix.startswith("a") and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            scan.add("time", f"{hour:02d}:{minute:02d}", None, match.start(), match.end())


def _scan_plain(scan: _Scanner) -> None:
    for match in scan.each(re.compile(r"\b[A-Za-z]{1,4}\d{1,4}\b")):
        scan.add("code", match.group(0).lower(), None, match.start(), match.end())
    for match in scan.each(re.compile(r"\b(?:19|20)\d{2}\b(?![.,]\d)")):
        scan.add("year", int(match.group(0)), None, match.start(), match.end())
    for match in scan.each(re.compile(rf"(?<![\w.,]){_NUM}(?:st|nd|rd|th)?\b")):
        raw = re.sub(r"(st|nd|rd|th)$", "", match.group(0))
        scan.add("number", parse_number(raw), None, match.start(), match.end())


def extract_facts(text: str) -> list[Fact]:
    """Numbers (with unit and format normalised), money, percentages, dates, years and codes."""
    scan = _Scanner(text or "")
    for step in (_scan_dates, _scan_times, _scan_money, _scan_quantities, _scan_plain):
        step(scan)
    return sorted(scan.facts, key=lambda f: f.start)


# -- names and terms ------------------------------------------------------------------------------


def is_sentence_start(text: str, index: int) -> bool:
    """Whether the word at index opens a sentence, a quote, a bracket or a line."""
    before = text[:index].rstrip(" \t" + _OPENERS)
    if not before:
        return True
    if before.endswith(("-", "*", "•", "–", "—")) and "\n" in before[-3:]:
        return True  # a bullet at the start of a line
    if before[-1] in ".!?:;\n":
        word = re.search(r"([\w.]+)\.$", before)
        return not (word and word.group(1).lower() in _ABBREVIATIONS)
    return False


def is_acronym(word: str) -> bool:
    """Two or more letters, all upper case: AI, SSO, KI."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def is_camel(word: str) -> bool:
    """An upper-case letter right after a lower-case one: BrightPath, iPhone."""
    return any(a.islower() and b.isupper() for a, b in zip(word, word[1:], strict=False))


def name_terms(text: str, language: str = "en") -> list[Fact]:
    """Words that look like names or products: capitalised mid-sentence (not in German,
    where every noun is capitalised), acronyms, CamelCase, and words after Mr/Frau/Dr."""
    german = (language or "en").lower().startswith("de")
    honorific = {m.end() for m in re.finditer(_HONORIFIC_RE, text or "")}
    terms = []
    for match in re.finditer(r"[^\W\d_][\w'’&-]*", text or ""):
        # Possessives and contractions ("Riverside's", "I'll") name the word before them.
        word = re.sub(r"['’](?:s|ll|re|ve|d|m|t)?$", "", match.group(0)).strip("-")
        if not word or word.islower():
            continue  # every kind of name has an upper-case letter
        parts = word.split("-")
        if (
            any(is_acronym(p) or is_camel(p) for p in parts)
            or match.start() in honorific
            or (not german and word[0].isupper() and not is_sentence_start(text, match.start()))
        ):
            end = match.start() + len(word)
            terms.append(Fact("term", word, None, word, match.start(), end))
    return terms


def acronym_in(acronym: str, text: str) -> bool:
    """Whether the text spells the acronym out, e.g. SSO in "single sign-on"."""
    letters = acronym.lower().replace("&", "")
    words = [w for w in re.split(r"[\s\-/]+", text.lower()) if w and w[0].isalnum()]
    initials = "".join(w[0] for w in words)
    return len(letters) >= 2 and letters in initials and _spelled_in(letters, words)


def _spelled_in(letters: str, words: list[str]) -> bool:
    n = len(letters)
    return any("".join(w[0] for w in words[i : i + n]) == letters for i in range(len(words)))


# -- suggestions ----------------------------------------------------------------------------------


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (and clause after ';') spans, trimmed of speaker labels and quote marks."""
    spans, start = [], 0
    for match in re.finditer(r"[.!?;]+(?=[\"'”’“»«]*(?:\s|$))|\n", text):
        if match.group(0) == "." and _ends_abbreviation(text, match.start()):
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return [span for span in (_trim(text, s, e) for s, e in spans) if span[1] > span[0]]


def _ends_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"([\w.]+)$", text[:dot])
    return bool(word) and word.group(1).lower() in _ABBREVIATIONS


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop surrounding space, quote marks and a leading "Name:" speaker label."""
    while start < end and (text[start].isspace() or text[start] in _OPENERS[:12]):
        start += 1
    label = re.match(rf"{_NAME_WORD}:\s*[\"'“„‘‚«»]", text[start:end])
    if label:
        start += label.end()
    while end > start and (text[end - 1].isspace() or text[end - 1] in "\"'”’“»«;"):
        end -= 1
    return start, end


_QUOTE_PAIRS = (('"', '"'), ("“", "”"), ("„", "“"), ("„", "”"), ("‚", "‘"), ("‘", "’"),
                ("«", "»"), ("»", "«"), ("'", "'"))  # fmt: skip


def quotes(text: str) -> list[tuple[int, int]]:
    """Spans of quoted speech (inside the marks), straight, curly, German and guillemets."""
    found: list[tuple[int, int]] = []
    for open_, close in _QUOTE_PAIRS:
        # An opening mark follows a space, a colon or the start; an apostrophe inside a word
        # ("don't") or a closing mark mid-word does not count.
        # French guillemets carry a space inside them.
        pad = r"\s?" if open_ in "«»" else ""
        pattern = re.compile(
            rf"(?:^|(?<=[\s:(\[—–-])){re.escape(open_)}{pad}(?=\S)(.{{3,}}?)(?<=\S){pad}"
            rf"{re.escape(close)}(?=[\s.,;:!?)\]]|$)",
            re.DOTALL,
        )
        for match in pattern.finditer(text):
            span = (match.start(1), match.end(1))
            if not any(s <= span[0] < e for s, e in found):
                found.append(span)
    return sorted(found)


def _stakeholders(text: str) -> list[tuple[int, int]]:
    """People with roles: "Jordan (CFO)", "die Geschäftsführung (Frau Öztürk)", "Frau Öztürk"."""
    with_role = re.compile(rf"\b{_CAP_WORD}(?:\s+{_CAP_WORD})?\s+\([^()\d]{{2,40}}\)")
    spans = [(m.start(), m.end()) for m in with_role.finditer(text)]
    honorific = re.compile(rf"{_HONORIFIC_RE}{_CAP_WORD}(?:\s+{_CAP_WORD})?")
    for match in honorific.finditer(text):
        if not any(s <= match.start() < e for s, e in spans):
            spans.append((match.start(), match.end()))
    speaker = re.compile(rf"(?:^|(?<=[.!?]\s))({_CAP_WORD}):\s*[\"'“„‘‚«»]", re.MULTILINE)
    spans += [(m.start(1), m.end(1)) for m in speaker.finditer(text)]
    return spans


def _relative_dates(text: str) -> list[tuple[int, int]]:
    """Phrases like "by the end of June" or "bis Ende Q3" (month names must be capitalised)."""
    months = "|".join(
        re.escape(n.capitalize()) for n in sorted(month_numbers(), key=len, reverse=True)
    )
    pattern = re.compile(
        r"\b(?:(?:by|before|until|after|from|bis|vor|nach|ab)\s+)?"
        r"(?:(?:the\s+)?(?:end|beginning|start|middle)\s+of\s+|[Ee]nde\s+|[Aa]nfang\s+|[Mm]itte\s+)?"
        rf"(?:{months}|Q[1-4]|H[12])\b(?:\s+\d{{4}})?"
    )
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _classify(sentence: str) -> list[str]:
    kinds = []
    facts = [f for f in extract_facts(sentence) if f.kind in ("number", "date")]
    if _OUTCOME_RE.search(sentence):
        kinds.append("outcome")
    if _CHALLENGE_RE.search(sentence):
        kinds.append("challenge")
    if facts or _KPI_RE.search(sentence):
        kinds.append("kpi")
    return kinds


def suggest(notes: str) -> list[dict]:
    """The customer's own phrases in the notes, each with its span: notes[start:end] is the text."""
    notes = notes or ""
    found: list[tuple[str, int, int]] = []
    found += [("quote", s, e) for s, e in quotes(notes)]
    for start, end in sentences(notes):
        found += [(kind, start, end) for kind in _classify(notes[start:end])]
    found += [("stakeholder", s, e) for s, e in _stakeholders(notes)]
    dates = [(f.start, f.end) for f in extract_facts(notes) if f.kind == "date"]
    for start, end in dates + _relative_dates(notes):
        if not any(k == "date" and s <= start < e for k, s, e in found):
            found.append(("date", start, end))
    unique = sorted(set(found), key=lambda item: (item[1], item[2], item[0]))
    return [{"kind": k, "text": notes[s:e], "start": s, "end": e} for k, s, e in unique]
