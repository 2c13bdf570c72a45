"""The customer's words: facts read from notes and the phrases offered to the seller."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from addin_server.plans.notes import acronym_in, extract_facts, name_terms, parse_number, suggest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def example_notes(name: str) -> str:
    path = SHARED / "examples" / f"{name}.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found")
    return json.loads(path.read_text("utf-8"))["notes"]


def kinds_of(notes: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in suggest(notes):
        found.setdefault(item["kind"], []).append(item["text"])
    return found


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("42", 42),
        ("3,5", 3.5),
        ("3.5", 3.5),
        ("50,000", 50000),
        ("50.000", 50000),
        ("1,250,000", 1250000),
        ("1.250.000,50", 1250000.5),
        ("1,250,000.50", 1250000.5),
        ("0,125", 0.125),
    ],
)
def test_numbers_read_the_same_in_english_and_german_format(raw, value):
    assert parse_number(raw) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("six weeks", 42, "day"),
        ("42 days", 42, "day"),
        ("a two-week pilot", 14, "day"),
        ("3,5 Tage", 3.5, "day"),
        ("unter einen Tag", 1, "day"),
        ("zwei Wochen", 14, "day"),
        ("2 hours", 120, "minute"),
        ("20%", 20, "%"),
        ("20 percent", 20, "%"),
        ("15 Prozent", 15, "%"),
        ("$50k", 50000, "money"),
        ("€1.200", 1200, "money"),
        ("1,5 Mio. €", 1500000, "money"),
        ("USD 2 million", 2000000, "money"),
        ("300 clinics", 300, None),
        ("50k users", 50000, None),
        ("1,5 Mio. Sendungen", 1500000, None),
    ],
)
def test_quantities_are_normalised_with_their_unit(text, value, unit):
    facts = [f for f in extract_facts(text) if f.kind == "number"]
    assert [(f.value, f.unit) for f in facts] == [(pytest.approx(value), unit)]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("by June 30, 2027", (2027, 6, 30)),
        ("bis zum 30. Juni 2027", (2027, 6, 30)),
        ("on 2027-06-30", (2027, 6, 30)),
        ("am 30.06.2027", (2027, 6, 30)),
        ("by February 8.", (None, 2, 8)),
        ("on the 8th of Feb", (None, 2, 8)),
        ("ab 3. März", (None, 3, 3)),
    ],
)
def test_dates_are_read_in_english_and_german(text, date):
    facts = extract_facts(text)
    assert [(f.kind, f.value) for f in facts] == [("date", date)]


@pytest.mark.parametrize(
    ("text", "time"),
    [("at 10:00", "10:00"), ("um 9.30 Uhr", "09:30"), ("at 3 pm", "15:00"), ("3:30pm", "15:30")],
)
def test_clock_times_are_read_as_hours_and_minutes(text, time):
    assert [(f.kind, f.value) for f in extract_facts(text)] == [("time", time)]


def test_a_quarter_and_a_year_are_their_own_facts():
    facts = extract_facts("bis Ende Q3 2027")
    assert [(f.kind, f.value) for f in facts] == [("code", "q3"), ("year", 2027)]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Our new AI forecasting module helps.", ["AI"]),
        ("We met Sarah from finance.", ["Sarah"]),
        ("Thank you for Tuesday. Go ahead.", ["Tuesday"]),
        ("BrightPath syncs records.", ["BrightPath"]),
        ("Wir binden Frau Öztürk und die IT ein.", ["Öztürk", "IT"]),
        ("Die Standzeit beim Zoll sinkt.", []),
        ("Maria's team and Riverside’s clinic.", ["Riverside"]),
    ],
)
def test_names_are_capitalised_words_inside_a_sentence_acronyms_or_camel_case(text, terms):
    language = "de" if "Zoll" in text or "Frau" in text else "en"
    assert [t.value for t in name_terms(text, language)] == terms


def test_an_acronym_is_found_spelled_out():
    assert acronym_in("SSO", "Priya must approve single sign-on.")
    assert not acronym_in("AI", "They want better reporting.")


def test_every_suggestion_points_at_its_source_in_the_notes():
    notes = example_notes("plan-onboarding")
    items = suggest(notes)
    assert items
    for item in items:
        assert notes[item["start"] : item["end"]] == item["text"]
        assert item["kind"] in {"outcome", "challenge", "kpi", "stakeholder", "quote", "date"}


def test_onboarding_notes_offer_the_customers_quote_challenges_kpis_and_people():
    found = kinds_of(example_notes("plan-onboarding"))
    assert found["quote"] == [
        "New clinics wait six weeks before their first patient is booked. We need that under "
        "four weeks before the summer intake, so by the end of June."
    ]
    assert "Ops team re-keys every clinic record by hand into three systems." in found["challenge"]
    assert "Onboarding status lives in spreadsheets." in found["challenge"]
    assert any("today 42 days" in text for text in found["kpi"])
    assert any("under four weeks" in text for text in found["outcome"])
    assert {"Jordan (CFO)", "Priya (IT security)", "Maria"} <= set(found["stakeholder"])
    assert "by the end of June" in found["date"]


def test_german_notes_offer_the_quote_the_goal_and_the_decision_maker():
    found = kinds_of(example_notes("plan-logistics-de"))
    assert found["quote"] == ["Unsere Sendungen stehen im Schnitt 3,5 Tage beim Zoll."]
    assert "Ziel: unter 1 Tag bis Ende Q3." in found["outcome"]
    assert any("von Hand geprüft" in text for text in found["challenge"])
    assert any("Frau Öztürk" in text for text in found["stakeholder"])
    assert "bis Ende Q3" in found["date"]


@pytest.mark.parametrize(
    ("notes", "quoted"),
    [
        ('Ana said "we lose two days a week" yesterday.', "we lose two days a week"),
        ("Ana: “Our reps re-key orders.”", "Our reps re-key orders."),
        ("Ana: ‘Our reps re-key orders.’", "Our reps re-key orders."),
        ("Jürgen: „Wir prüfen alles von Hand.“", "Wir prüfen alles von Hand."),
        ("Anne: « On attend trois jours. »", "On attend trois jours."),
        ("Maria: 'We can't wait that long.'", "We can't wait that long."),
    ],
)
def test_quoted_speech_is_found_in_every_quote_style(notes, quoted):
    assert kinds_of(notes)["quote"] == [quoted.strip()]


def test_apostrophes_are_not_quotes():
    assert "quote" not in kinds_of("They don't track it. The team's sheet isn't shared.")


def test_empty_notes_suggest_nothing():
    assert suggest("") == []
    assert suggest(None) == []
