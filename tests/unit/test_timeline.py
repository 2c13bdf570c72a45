"""The reverse timeline: backward from value realized, on business days, with warnings."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from addin_server.errors import ValidationError
from addin_server.plans.model import MILESTONE_KINDS, OWNERS
from addin_server.plans.timeline import (
    LEAD_TIMES,
    TIMELINE_KINDS,
    BusinessCalendar,
    is_business_day,
    next_business_day,
    reverse_timeline,
)

TODAY = dt.date(2026, 12, 4)


def dates_of(result: dict) -> list[dt.date]:
    return [dt.date.fromisoformat(m["date"]) for m in result["milestones"]]


def test_the_full_chain_runs_from_kickoff_prep_to_value_realized_in_date_order():
    result = reverse_timeline(dt.date(2027, 6, 30), TODAY)
    kinds = [m["kind"] for m in result["milestones"]]
    assert kinds == list(TIMELINE_KINDS)
    assert kinds[0] == "kickoff" and kinds[-1] == "value_realized"
    assert dates_of(result) == sorted(dates_of(result))
    assert len(set(dates_of(result))) == len(kinds)
    assert result["milestones"][-1]["date"] == "2027-06-30"
    assert result["warnings"] == []


def test_every_milestone_has_a_name_a_known_kind_and_owner():
    for milestone in reverse_timeline(dt.date(2027, 6, 30), TODAY)["milestones"]:
        assert set(milestone) == {"name", "kind", "date", "owner"}
        assert milestone["kind"] in MILESTONE_KINDS and milestone["owner"] in OWNERS
        assert milestone["name"]


def test_lead_times_are_business_days_between_neighbours():
    calendar = BusinessCalendar(None, 2027)
    dates = dates_of(reverse_timeline(dt.date(2027, 6, 30), TODAY))
    gaps = [calendar.between(a, b) for a, b in zip(dates, dates[1:], strict=False)]
    assert gaps == [row[2] for row in LEAD_TIMES[:-1]]


@pytest.mark.parametrize("country", [None, "US", "DE", "GB", "FR"])
@pytest.mark.parametrize(
    "value_realized", [dt.date(2027, 6, 30), dt.date(2027, 7, 4), dt.date(2027, 12, 31)]
)
def test_no_milestone_lands_on_a_weekend_or_a_public_holiday(country, value_realized):
    result = reverse_timeline(value_realized, TODAY, country)
    public = holidays.country_holidays(country, years=[2026, 2027]) if country else {}
    for day in dates_of(result):
        assert day.weekday() < 5, day
        assert day not in public, (day, public.get(day))


def test_us_dates_skip_the_observed_fourth_of_july_and_christmas():
    # Value realized on Tuesday July 6, 2027: five business days back skips Monday July 5
    # (Independence Day observed) in the US but not in Germany.
    us = reverse_timeline(dt.date(2027, 7, 6), TODAY, "US")
    de = reverse_timeline(dt.date(2027, 7, 6), TODAY, "DE")
    assert dt.date(2027, 7, 5) in holidays.country_holidays("US", years=2027)
    assert us["milestones"][-2]["date"] == "2027-06-28"
    assert de["milestones"][-2]["date"] == "2027-06-29"
    # Five business days before Wednesday Dec 29, 2027 skip Friday Dec 24 (Christmas observed).
    us = reverse_timeline(dt.date(2027, 12, 29), TODAY, "US", kinds=["business_review"])
    plain = reverse_timeline(dt.date(2027, 12, 29), TODAY, kinds=["business_review"])
    assert (us["milestones"][0]["date"], plain["milestones"][0]["date"]) == (
        "2027-12-21", "2027-12-22"
    )  # fmt: skip


def test_german_unity_day_is_never_proposed():
    unity = dt.date(2028, 10, 3)  # a Tuesday
    assert holidays.country_holidays("DE", years=2028).get(unity)
    de = reverse_timeline(dt.date(2028, 10, 4), TODAY, "DE", kinds=["business_review"])
    plain = reverse_timeline(dt.date(2028, 10, 4), TODAY, kinds=["business_review"])
    assert (de["milestones"][0]["date"], plain["milestones"][0]["date"]) == (
        "2028-09-26", "2028-09-27"
    )  # fmt: skip
    full = reverse_timeline(dt.date(2028, 10, 4), TODAY, "DE", lead_days={"business_review": 1})
    assert unity.isoformat() not in [m["date"] for m in full["milestones"]]
    assert full["milestones"][-2]["date"] == "2028-10-02"


def test_value_realized_on_a_holiday_moves_to_the_business_day_before():
    result = reverse_timeline(dt.date(2027, 12, 25), TODAY, "US")
    assert result["milestones"][-1]["date"] == "2027-12-23"  # Dec 24 is observed Christmas
    assert result["warnings"][0]["code"] == "moved"


def test_a_timeline_that_starts_before_today_warns_no_fit():
    result = reverse_timeline(dt.date(2027, 3, 1), TODAY, "US")
    warning = result["warnings"][0]
    assert warning["code"] == "no_fit"
    assert warning["path"] == "/milestones/0/date"
    assert "Kickoff prep" in warning["message"] and "before today" in warning["message"]
    assert dates_of(result)[0] < TODAY


def test_a_timeline_that_starts_today_fits():
    first = dates_of(reverse_timeline(dt.date(2027, 6, 30), TODAY))[0]
    result = reverse_timeline(dt.date(2027, 6, 30), first)
    assert result["warnings"] == []


def test_zero_lead_times_make_milestones_collide():
    result = reverse_timeline(dt.date(2027, 6, 30), TODAY, lead_days={"business_review": 0})
    collisions = [w for w in result["warnings"] if w["code"] == "collision"]
    assert len(collisions) == 1
    assert collisions[0]["path"] == "/milestones/9/date"
    assert "Business review and Value realized" in collisions[0]["message"]


def test_kinds_select_milestones_and_keep_their_dates():
    proposal = reverse_timeline(dt.date(2027, 6, 30), TODAY)
    full = {m["kind"]: m["date"] for m in proposal["milestones"]}
    some = reverse_timeline(
        dt.date(2027, 6, 30), TODAY, kinds=["value_realized", "kickoff", "go_live"]
    )
    assert [(m["kind"], m["date"]) for m in some["milestones"]] == [
        (kind, full[kind]) for kind in ("kickoff", "go_live", "value_realized")
    ]


def test_names_follow_the_language():
    result = reverse_timeline(dt.date(2027, 6, 30), TODAY, "DE", language="de")
    assert result["milestones"][-1]["name"] == "Wert realisiert"


def test_iso_strings_are_accepted_for_dates():
    assert reverse_timeline("2027-06-30", "2026-12-04") == reverse_timeline(
        dt.date(2027, 6, 30), TODAY
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((dt.date(2026, 12, 3), TODAY), {}, "/value_realized"),
        (("June 30", TODAY), {}, "/value_realized"),
        ((None, TODAY), {}, "/value_realized"),
        ((dt.date(2027, 6, 30), "tomorrow"), {}, "/today"),
        ((dt.date(2027, 6, 30), TODAY, "XX"), {}, "/country"),
        ((dt.date(2027, 6, 30), TODAY, "USA"), {}, "/country"),
        ((dt.date(2027, 6, 30), TODAY, 7), {}, "/country"),
        ((dt.date(2027, 6, 30), TODAY), {"kinds": []}, "/kinds"),
        ((dt.date(2027, 6, 30), TODAY), {"kinds": ["go_live", "party"]}, "/kinds/1"),
        ((dt.date(2027, 6, 30), TODAY), {"kinds": ["custom"]}, "/kinds/0"),
        ((dt.date(2027, 6, 30), TODAY), {"lead_days": {"trial": -1}}, "/lead_days/trial"),
        ((dt.date(2027, 6, 30), TODAY), {"lead_days": {"party": 3}}, "/lead_days/party"),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(args, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        reverse_timeline(*args, **kwargs)
    assert caught.value.field == field
    assert caught.value.message.startswith(field)


def test_lower_case_country_codes_work():
    assert reverse_timeline(dt.date(2027, 7, 6), TODAY, "us") == reverse_timeline(
        dt.date(2027, 7, 6), TODAY, "US"
    )


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        (dt.date(2027, 7, 2), None, dt.date(2027, 7, 5)),
        (dt.date(2027, 7, 2), "US", dt.date(2027, 7, 6)),
        (dt.date(2027, 12, 23), "DE", dt.date(2027, 12, 24)),
        (dt.date(2027, 12, 24), "DE", dt.date(2027, 12, 27)),
        (dt.date(2027, 12, 23), "US", dt.date(2027, 12, 27)),
    ],
)
def test_next_business_day_skips_weekends_and_holidays(day, country, expected):
    assert next_business_day(day, country) == expected
    assert is_business_day(expected, country)
