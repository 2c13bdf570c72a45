"""The reverse timeline: milestones proposed backward from the day the customer sees the value.

Dates land on business days only (Monday to Friday, not a public holiday of the customer's
country). The proposal keeps its natural lead times even when the first step falls before
today, and says so in a ``no_fit`` warning, so the seller sees how much is missing.
"""

from __future__ import annotations

import datetime as dt

import holidays

from ..errors import ValidationError
from .model import pointer

# The method's default chain, in chronological order. ``lead`` is the number of business
# days between this milestone and the next one (value realized is the anchor, lead 0).
# Roughly 23 working weeks from kickoff prep to value realized.
LEAD_TIMES = (
    # kind,              owner,      lead, English name,           German name
    ("kickoff",           "seller",     5, "Kickoff prep",         "Kickoff-Vorbereitung"),
    ("trial",             "joint",     10, "Trial",                "Testphase"),
    ("evaluation",        "customer",  10, "Evaluation complete",  "Bewertung abgeschlossen"),
    ("commercial_review", "joint",     10, "Commercial review",    "Kaufmännische Prüfung"),
    ("implementation",    "joint",     20, "Implementation start", "Start der Implementierung"),
    ("go_live",           "joint",     10, "Go-live",              "Go-live"),
    ("enablement",        "seller",    30, "Team enablement",      "Schulung des Teams"),
    ("measurement",       "customer",  15, "First measurement",    "Erste Messung"),
    ("business_review",   "joint",      5, "Business review",      "Business Review"),
    ("value_realized",    "joint",      0, "Value realized",       "Wert realisiert"),
)  # fmt: skip
TIMELINE_KINDS = tuple(row[0] for row in LEAD_TIMES)
_NAME_COLUMN = {"en": 3, "de": 4}


class BusinessCalendar:
    """Weekdays that are not public holidays of one country (or of none)."""

    def __init__(self, country: str | None = None, year: int | None = None):
        self.holidays = _country_holidays(country, year or dt.date.today().year)

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def on_or_before(self, day: dt.date) -> dt.date:
        """The day itself if it is a business day, else the business day before it."""
        while not self.is_business_day(day):
            day -= dt.timedelta(days=1)
        return day

    def after(self, day: dt.date) -> dt.date:
        """The first business day after the day."""
        day += dt.timedelta(days=1)
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def minus(self, day: dt.date, count: int) -> dt.date:
        """The business day ``count`` business days before ``day`` (itself when count is 0)."""
        for _ in range(count):
            day -= dt.timedelta(days=1)
            day = self.on_or_before(day)
        return day

    def between(self, start: dt.date, end: dt.date) -> int:
        """Business days after start up to and including end (negative when end is earlier)."""
        if end < start:
            return -self.between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_business_day(day)
        return count


def _country_holidays(country: str | None, year: int):
    """The holidays package's calendar for an ISO 3166 alpha-2 code; None means no holidays."""
    if country is None or country == "":
        return {}
    if not isinstance(country, str) or len(country) != 2 or not country.isalpha():
        raise ValidationError("/country must be a two-letter country code (ISO 3166).", "/country")
    try:
        return holidays.country_holidays(country.upper(), years=year)
    except NotImplementedError:
        raise ValidationError(
            f"/country: no public holiday calendar is known for {country!r}.", "/country"
        ) from None


def next_business_day(day: dt.date, country: str | None = None) -> dt.date:
    """The first business day after ``day`` in the country."""
    return BusinessCalendar(country, day.year).after(day)


def is_business_day(day: dt.date, country: str | None = None) -> bool:
    """Whether ``day`` is a weekday that is not a public holiday in the country."""
    return BusinessCalendar(country, day.year).is_business_day(day)


# -- input ----------------------------------------------------------------------------------------


def _as_date(value, field: str) -> dt.date:
    """A date from a date or an ISO string, else a ValidationError naming the field."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(f"{field} must be a date written YYYY-MM-DD.", field)


def _selected(kinds) -> tuple[str, ...]:
    if kinds is None:
        return TIMELINE_KINDS
    if not isinstance(kinds, list | tuple) or not kinds:
        raise ValidationError("/kinds must be a non-empty list of milestone kinds.", "/kinds")
    for i, kind in enumerate(kinds):
        if kind not in TIMELINE_KINDS:
            allowed = ", ".join(TIMELINE_KINDS)
            raise ValidationError(f"/kinds/{i} must be one of: {allowed}.", f"/kinds/{i}")
    return tuple(k for k in TIMELINE_KINDS if k in kinds)


def _leads(lead_days) -> dict[str, int]:
    leads = {row[0]: row[2] for row in LEAD_TIMES}
    for kind, days in (lead_days or {}).items():
        field = pointer(("lead_days", kind))
        if kind not in leads:
            raise ValidationError(f"{field} is not a milestone kind of the timeline.", field)
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 500:
            raise ValidationError(f"{field} must be a whole number of business days.", field)
        leads[kind] = days
    return leads


# -- the proposal ---------------------------------------------------------------------------------


def _backward_dates(anchor: dt.date, leads: dict, calendar: BusinessCalendar) -> dict:
    """Each kind's date, walking back from value realized by the lead times."""
    dates, day = {}, anchor
    for kind in reversed(TIMELINE_KINDS):
        day = calendar.minus(day, leads[kind])
        dates[kind] = day
    return dates


def _milestones(dates: dict, kinds: tuple, language: str) -> list[dict]:
    column = _NAME_COLUMN.get((language or "en")[:2].lower(), 3)
    rows = [row for row in LEAD_TIMES if row[0] in kinds]
    return [
        {"name": row[column], "kind": row[0], "date": dates[row[0]].isoformat(), "owner": row[1]}
        for row in rows
    ]


def _warn(code: str, message: str, path: str) -> dict:
    return {"code": code, "message": message, "path": path}


def _fit_warnings(milestones: list, today: dt.date, calendar: BusinessCalendar) -> list:
    first = milestones[0]
    start = dt.date.fromisoformat(first["date"])
    if start >= today:
        return []
    short = calendar.between(start, calendar.on_or_before(today))
    return [_warn(
        "no_fit",
        f"{first['name']} would have to happen on {first['date']}, before today: the plan "
        f"needs about {max(short, 1)} more business days than are left before value realized. "
        "Move value realized later, shorten lead times or drop steps.",
        "/milestones/0/date",
    )]  # fmt: skip


def _collision_warnings(milestones: list) -> list:
    warnings, seen = [], {}
    for i, milestone in enumerate(milestones):
        other = seen.setdefault(milestone["date"], milestone)
        if other is not milestone:
            warnings.append(_warn(
                "collision",
                f"{other['name']} and {milestone['name']} both fall on {milestone['date']}: "
                "spread them out or merge them.",
                f"/milestones/{i}/date",
            ))  # fmt: skip
    return warnings


def _anchor_warnings(value_realized: dt.date, anchor: dt.date, milestones: list) -> list:
    if anchor == value_realized or milestones[-1]["kind"] != "value_realized":
        return []
    return [_warn(
        "moved",
        f"{value_realized.isoformat()} is not a business day: value realized is proposed for "
        f"{anchor.isoformat()}, the business day before.",
        f"/milestones/{len(milestones) - 1}/date",
    )]  # fmt: skip


def reverse_timeline(
    value_realized: dt.date,
    today: dt.date,
    country: str | None = None,
    *,
    kinds: list[str] | None = None,
    lead_days: dict[str, int] | None = None,
    language: str = "en",
) -> dict:
    """Milestones proposed backward from value realized, in date order, with warnings."""
    value_realized = _as_date(value_realized, "/value_realized")
    today = _as_date(today, "/today")
    if value_realized < today:
        raise ValidationError("/value_realized is in the past: pick a future date.",
                              "/value_realized")  # fmt: skip
    selected, leads = _selected(kinds), _leads(lead_days)
    calendar = BusinessCalendar(country, value_realized.year)
    anchor = calendar.on_or_before(value_realized)
    milestones = _milestones(_backward_dates(anchor, leads, calendar), selected, language)
    warnings = (
        _anchor_warnings(value_realized, anchor, milestones)
        + _fit_warnings(milestones, today, calendar)
        + _collision_warnings(milestones)
    )
    return {"milestones": milestones, "warnings": warnings}
