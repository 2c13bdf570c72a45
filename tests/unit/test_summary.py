"""The summary draft: one paragraph from the plan's own fields, adding nothing new."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from addin_server.plans.checks import check_mutual, check_readable
from addin_server.plans.summary import MAX_WORDS, draft_summary

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TODAY = dt.date(2026, 12, 4)


def example(name: str) -> dict:
    path = SHARED / "examples" / f"{name}.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found")
    return json.loads(path.read_text("utf-8"))


@pytest.mark.parametrize("name", ["plan-onboarding", "plan-logistics-de", "plan-weak"])
def test_a_plan_whose_summary_is_the_draft_passes_the_mutual_check(name):
    plan = copy.deepcopy(example(name))
    plan["summary"] = draft_summary(plan)
    result = check_mutual(plan)
    assert result["ok"], result["message"]


@pytest.mark.parametrize("name", ["plan-onboarding", "plan-logistics-de", "plan-weak"])
def test_the_draft_is_one_short_readable_paragraph(name):
    plan = copy.deepcopy(example(name))
    plan["summary"] = draft_summary(plan)
    assert "\n" not in plan["summary"]
    assert len(plan["summary"].split()) <= MAX_WORDS
    assert not [f for f in check_readable(plan)["findings"] if f["path"] == "/summary"]


def test_the_english_draft_thanks_restates_the_outcome_impact_kpi_and_date():
    draft = draft_summary(example("plan-onboarding"))
    assert draft.startswith("Thank you for your time.")
    assert "cut the time from signed contract to first booked patient" in draft
    assert "onboarding time under four weeks" in draft
    assert "from 42 days to under 28 days" in draft
    assert draft.endswith("by June 30, 2027.")


def test_the_german_draft_is_german_with_a_german_date():
    draft = draft_summary(example("plan-logistics-de"))
    assert draft.startswith("Vielen Dank für das Gespräch.")
    assert "Standzeit beim Zoll von 3,5 Tagen auf unter 1 Tag senken" in draft
    assert "„Durchschnittliche Standzeit beim Zoll“, von 3,5 Tage auf < 1 Tag" in draft
    assert draft.endswith("bis zum 30. September 2027 erreichen.")


@pytest.mark.parametrize(("language", "thanks"), [("fr", "Thank you"), ("de-AT", "Vielen Dank")])
def test_other_languages_fall_back_to_english_and_regions_to_their_language(language, thanks):
    plan = copy.deepcopy(example("plan-onboarding"))
    plan["language"] = language
    assert draft_summary(plan).startswith(thanks)


def test_names_at_the_start_of_a_field_keep_their_capital():
    plan = copy.deepcopy(example("plan-onboarding"))
    plan["desired_outcome"] = "Northwind Health onboards a clinic in under four weeks."
    assert "you want: Northwind Health onboards" in draft_summary(plan)


def test_a_long_draft_drops_the_impact_statement_first():
    plan = copy.deepcopy(example("plan-onboarding"))
    plan["impact"]["statement"] = "Clinics get going sooner. " * 12
    draft = draft_summary(plan)
    assert "sooner" not in draft
    assert "from 42 days to under 28 days" in draft
    assert len(draft.split()) <= MAX_WORDS


def test_a_minimal_plan_drafts_just_thanks_and_outcome():
    plan = {"customer": {"organization": "Acme"}, "desired_outcome": "Fewer returns.",
            "milestones": [{"name": "Demo", "kind": "custom", "date": "2027-01-04",
                            "owner": "seller"}]}  # fmt: skip
    assert draft_summary(plan) == (
        "Thank you for your time. You told us the outcome you want: fewer returns."
    )
