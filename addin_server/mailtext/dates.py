"""Lenient date reading: the dates people type into emails, in English, German and more.

Month names come from Babel's CLDR data, so any language Babel knows works;
English is always understood as well because people mix it in.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_NUMERIC = re.compile(
    r"(?<![\d.,/-])(\d{1,2})([./-])(\d{1,2})(?:\2(\d{4}|\d{2})(?!\d)|\.|(?![\d.,/]))"
)
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_ORDINAL = {"st", "nd", "rd", "th", "er", "e", "o", "º", "ª"}
_LINKERS = {"of", "de", "del", "du", "di", "van", "the", "le", "el"}
# Languages that write month/day/year with slashes.
_MONTH_FIRST = {"en", None}


def parse_date(text: str, *, language: str | None = None, near: dt.date | None = None):
    """The first date written in text, or None; a date without year lands nearest to ``near``."""
    found = find_dates(text, language=language, near=near)
    return found[0][2] if found else None


def find_dates(text: str, *, language: str | None = None, near: dt.date | None = None):
    """Every date written in text, in order: [(start, end, date)]."""
    if not text:
        return []
    near = near or dt.date.today()
    found = _iso(text) + _numeric(text, language, near) + _named(text, language, near)
    found.sort(key=lambda hit: hit[0])
    out, end = [], -1
    for hit in found:  # overlapping readings: the earliest, longest one wins
        if hit[0] >= end:
            out.append(hit)
            end = hit[1]
    return out


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _nearest(month: int, day: int, near: dt.date) -> dt.date | None:
    """The occurrence of month/day closest to near (a year is rarely written in replies)."""
    options = [_make(near.year + k, month, day) for k in (-1, 0, 1)]
    options = [d for d in options if d]
    return min(options, key=lambda d: abs((d - near).days)) if options else None


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    year = int(raw)
    return year + 2000 if year < 100 else year


def _iso(text: str):
    out = []
    for m in _ISO.finditer(text):
        date = _make(int(m[1]), int(m[2]), int(m[3]))
        if date:
            out.append((m.start(), m.end(), date))
    return out


def _numeric(text: str, language: str | None, near: dt.date):
    out = []
    lang = _base(language)
    for m in _NUMERIC.finditer(text):
        a, sep, b, year = int(m[1]), m[2], int(m[3]), _year(m[4])
        if sep == "-" and not year:
            continue  # "3-5" is a range, not a date
        if sep == "." and not year and not m.group().endswith(".") and len(m[3]) < 2:
            continue  # "1.5 weeks" is a number, "12.4." and "12.04" are dates
        if sep == "/" and lang in _MONTH_FIRST and a <= 12:
            month, day = a, b
        else:
            day, month = a, b
        if not 1 <= month <= 12:
            continue
        date = _make(year, month, day) if year else _nearest(month, day, near)
        if date:
            out.append((m.start(), m.end(), date))
    return out


def _named(text: str, language: str | None, near: dt.date):
    months = month_names(_base(language))
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    out = []
    for i, (start, end, word) in enumerate(tokens):
        month = months.get(word.casefold())
        if not month:
            continue
        hit = _day_around(tokens, i, text)
        if not hit:
            continue
        day, first, last = hit
        year, last = _year_after(tokens, max(i, last), last, text)
        date = _make(year, month, day) if year else _nearest(month, day, near)
        if date:
            out.append((min(first, start), max(last, end), date))
    return out


def _is_day(word: str) -> bool:
    return word.isdigit() and len(word) <= 2 and 1 <= int(word) <= 31


def _gap_ok(text: str, left: int, right: int) -> bool:
    """Only spaces and light punctuation between two tokens that belong together."""
    return right - left <= 4 and not re.search(r"[^\s.,'’]", text[left:right])


def _day_around(tokens, i: int, text: str):
    """The day number written before ("12. April", "12th of April") or after ("April 12th")."""
    j = i - 1
    if j >= 0 and tokens[j][2].casefold() in _LINKERS:
        j -= 1
    if j >= 0 and tokens[j][2].casefold() in _ORDINAL and j - 1 >= 0:
        j -= 1
    if (
        j >= 0
        and _is_day(tokens[j][2])
        and _gap_ok(text, tokens[j][1], tokens[i][0] if (j == i - 1) else tokens[j + 1][0])
    ):
        return int(tokens[j][2]), tokens[j][0], tokens[i][1]
    k = i + 1
    if k < len(tokens) and _is_day(tokens[k][2]) and _gap_ok(text, tokens[i][1], tokens[k][0]):
        last = tokens[k][1]
        if k + 1 < len(tokens) and tokens[k + 1][2].casefold() in _ORDINAL:
            if tokens[k + 1][0] == last:
                last = tokens[k + 1][1]
        return int(tokens[k][2]), tokens[i][0], last
    return None


def _year_after(tokens, after_index: int, last: int, text: str):
    """A four-digit year right after the day/month, e.g. ", 2027"."""
    for start, end, word in tokens:
        if start < last:
            continue
        if word.isdigit() and len(word) == 4 and 1900 <= int(word) <= 2200:
            if _gap_ok(text, last, start):
                return int(word), end
        return None, last
    return None, last


def _base(language: str | None) -> str | None:
    if not language:
        return None
    return re.split(r"[-_]", language.strip())[0].lower() or None


@functools.lru_cache(maxsize=32)
def month_names(language: str | None) -> dict[str, int]:
    """Lower-cased month names and abbreviations -> month number.

    English, German, French and Spanish are always understood (customers mix
    languages; these are the ones intent reads too), plus the given language.
    """
    names: dict[str, int] = {}
    for lang in ("es", "fr", "de", language or "en", "en"):  # later ones win on a clash
        names.update(_babel_months(lang))
    for word in ("sept", "maerz", "marz", "juni", "juli"):
        names.setdefault(word, {"sept": 9, "maerz": 3, "marz": 3, "juni": 6, "juli": 7}[word])
    return names


def _babel_months(language: str) -> dict[str, int]:
    try:
        from babel import Locale

        locale = Locale.parse(language)
        tables = locale.months
    except Exception:  # unknown language: English and German still work
        return {}
    out: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in (tables.get(context, {}).get(width) or {}).items():
                word = name.casefold().strip(". ")
                if len(word) >= 3 and word.isalpha():
                    out[word] = number
                    if width == "wide" and len(word) > 3:
                        out.setdefault(word[:3], number)
    return out
