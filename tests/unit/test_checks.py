"""The qualification questions and the six quality checks."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from addin_server.errors import ValidationError
from addin_server.plans.checks import check_mutual, run_checks

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TODAY = dt.date(2026, 12, 4)
CHECKS = ["mutual", "customer_centric", "specific", "readable", "outcome_linked", "accountable"]


def example(name: str) -> dict:
    path = SHARED / "examples" / f"{name}.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found")
    return json.loads(path.read_text("utf-8"))


def quality(plan: dict, today: dt.date = TODAY) -> dict[str, dict]:
    return {item["check"]: item for item in run_checks(plan, today)["quality"]}


def with_summary(name: str, summary: str) -> dict:
    plan = copy.deepcopy(example(name))
    plan["summary"] = summary
    return plan


# -- shape and the examples ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["plan-onboarding", "plan-logistics-de", "plan-weak"])
def test_every_plan_gets_four_questions_and_six_checks_in_order(name):
    result = run_checks(example(name), TODAY)
    assert [q["key"] for q in result["qualification"]] == [
        "outcome_fit", "impact", "decision_access", "plan_readiness"
    ]  # fmt: skip
    assert [c["check"] for c in result["quality"]] == CHECKS
    for item in result["quality"]:
        assert set(item) == {"check", "ok", "message", "path", "level", "findings"}
        assert item["level"] in {"ok", "warn", "fail"}
        assert item["ok"] is (item["level"] == "ok")
        assert item["message"].endswith((".", ".)"))
        if item["ok"]:
            assert item["path"] is None and item["findings"] == []
        else:
            assert item["path"] == item["findings"][0]["path"]
            assert item["path"].startswith("/")


def test_the_onboarding_plan_passes_all_six_checks():
    results = quality(example("plan-onboarding"))
    assert {name: r["level"] for name, r in results.items()} == dict.fromkeys(CHECKS, "ok")


def test_the_weak_plan_fails_mutual_customer_centric_specific_and_accountable():
    results = quality(example("plan-weak"))
    for name in ("mutual", "customer_centric", "specific", "accountable"):
        assert results[name]["level"] == "fail", name


def test_the_weak_plans_discount_and_product_are_flagged_in_the_summary():
    findings = quality(example("plan-weak"))["mutual"]["findings"]
    messages = " ".join(f["message"] for f in findings)
    assert '"20% discount"' in messages
    assert '"AI forecasting module"' in messages
    assert {f["path"] for f in findings} == {"/summary"}


def test_the_german_plan_is_mutual_specific_and_customer_centric():
    results = quality(example("plan-logistics-de"))
    for name in ("mutual", "customer_centric", "specific", "readable", "accountable"):
        assert results[name]["ok"], (name, results[name]["message"])


# -- mutual ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "flagged"),
    [
        ("Clinics wait six weeks; we will cut that by 30%.", "30%"),
        ("We will loop in Sarah from finance.", "Sarah"),
        ("The pilot costs $40k per year.", "$40k"),
        ("The pilot starts on March 3, 2027.", "March 3, 2027"),
        ("It works with our Salesforce connector.", "Salesforce connector"),
        ("You will save 12 hours a week.", "12 hours"),
        ("By 2028 every clinic is live.", "2028"),
        ("Onboarding should take three weeks.", "three weeks"),
        ("Riverside is one of 40 clinics.", "40 clinics"),
        ("Let's talk on Tuesday at 3 pm.", "3 pm"),
        ("We'll send the SOW on Monday.", "SOW"),
    ],
)
def test_mutual_flags_numbers_dates_and_names_the_notes_do_not_contain(summary, flagged):
    result = check_mutual(with_summary("plan-onboarding", summary))
    assert result["level"] == "fail"
    assert result["path"] == "/summary"
    assert f'"{flagged}"' in result["message"]


@pytest.mark.parametrize(
    "summary",
    [
        "New clinics currently need about 42 days before the first patient is booked.",
        "You want that below 28 days by the end of June.",
        "Thank you for Tuesday's call with Maria and Jordan.",
        "We agreed on a two-week pilot at Riverside.",
        "Priya approves single sign-on (SSO) first.",
        "Deals over $50,000 need Jordan's signature.",
        "BrightPath keeps every clinic record in one place.",
        "See you on January 11 for the kickoff; value by June 30, 2027.",
        "Northwind Health re-keys records into three systems today.",
        "I'll see you and Priya on January 11.",
        "Thanks, Maria! We'd like Ops and IT on the kickoff call.",
    ],
)
def test_mutual_accepts_paraphrase_of_the_notes(summary):
    result = check_mutual(with_summary("plan-onboarding", summary))
    assert result["ok"], result["message"]


@pytest.mark.parametrize(
    ("summary", "flagged"),
    [
        ("Wir senken die Kosten um 20 %.", "20 %"),
        ("Unser KI-Modul prüft alles.", "KI-Modul"),
        ("Herr Schneider gibt das Budget frei.", "Schneider"),
        ("Die Standzeit sinkt auf 2 Tage.", "2 Tage"),
        ("Start am 15.03.2027.", "15.03.2027"),
    ],
)
def test_mutual_flags_new_facts_in_german(summary, flagged):
    result = check_mutual(with_summary("plan-logistics-de", summary))
    assert result["level"] == "fail"
    assert f'"{flagged}' in result["message"]


@pytest.mark.parametrize(
    "summary",
    [
        "Ihre Sendungen stehen 3,5 Tage beim Zoll; Ziel ist unter einem Tag bis Ende Q3 2027.",
        "Frau Öztürk entscheidet, Jürgen Weiß begleitet den Testlauf.",
        "Die Zolldokumente kommen per E-Mail und werden von Hand geprüft.",
        "ClearLane prüft die Dokumente, bevor die Sendung die Grenze erreicht.",
        "Wert realisiert bis zum 30. September 2027.",
    ],
)
def test_mutual_accepts_german_paraphrase(summary):
    result = check_mutual(with_summary("plan-logistics-de", summary))
    assert result["ok"], result["message"]


def test_the_next_meeting_time_backs_a_time_in_the_summary():
    plan = with_summary("plan-onboarding", "I'll see you on January 11 at 10:00.")
    assert check_mutual(plan)["ok"] is False
    plan["next_meeting"]["time"] = "10:00"
    assert check_mutual(plan)["ok"] is True


def test_mutual_reads_every_field_the_seller_writes():
    plan = copy.deepcopy(example("plan-onboarding"))
    plan["negotiables"][1] = "Northwind gets 3 free months of support."
    plan["milestones"][4]["as_a_result"] = "no record is re-keyed, saving 90 minutes per clinic"
    findings = check_mutual(plan)["findings"]
    assert [f["path"] for f in findings] == ["/negotiables/1", "/milestones/4/as_a_result"]


def test_mutual_flags_everything_when_there_are_no_notes():
    plan = with_summary("plan-onboarding", "Clinics wait 42 days.")
    del plan["notes"]
    assert '"42 days"' in check_mutual(plan)["message"]


# -- customer_centric -----------------------------------------------------------------------------


def test_a_timeline_that_ends_at_a_signature_is_not_customer_centric():
    result = quality(example("plan-weak"))["customer_centric"]
    assert result["path"] == "/milestones/1"
    assert '"Contract signed"' in result["message"] and "value-realized" in result["message"]


def test_value_realized_needs_a_kpi():
    plan = copy.deepcopy(example("plan-onboarding"))
    del plan["milestones"][8]["kpi"]
    result = quality(plan)["customer_centric"]
    assert (result["level"], result["path"]) == ("fail", "/milestones/8/kpi")


def test_a_contract_after_value_realized_breaks_the_customer_centric_end():
    plan = copy.deepcopy(example("plan-onboarding"))
    plan["milestones"].append(
        {"name": "Renewal contract", "kind": "custom", "date": "2027-07-15", "owner": "customer"}
    )
    result = quality(plan)["customer_centric"]
    assert (result["level"], result["path"]) == ("fail", "/milestones/9")


# -- specific -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda p: p["impact"]["kpis"][0].pop("target"), "/impact/kpis/0/target"),
        (lambda p: p["impact"].pop("kpis"), "/impact/kpis"),
        (lambda p: p["stakeholders"].pop(1), "/stakeholders"),
        (lambda p: p["stakeholders"][1].update(side="seller"), "/stakeholders"),
        (lambda p: p["milestones"][2].pop("owner"), "/milestones/2/owner"),
    ],
)
def test_specific_names_what_is_missing(edit, path):
    plan = copy.deepcopy(example("plan-onboarding"))
    edit(plan)
    result = quality(plan)["specific"]
    assert (result["level"], result["path"]) == ("fail", path)


# -- readable -------------------------------------------------------------------------------------


def test_a_summary_in_two_paragraphs_or_too_long_is_a_warning():
    two = quality(with_summary("plan-onboarding", "Thank you.\n\nClinics wait six weeks."))
    assert (two["readable"]["level"], two["readable"]["path"]) == ("warn", "/summary")
    long = quality(with_summary("plan-onboarding", "Clinics wait six weeks. " * 25))
    assert "100 words" in long["readable"]["message"]


def test_more_than_fifteen_milestones_is_a_warning():
    plan = copy.deepcopy(example("plan-onboarding"))
    extra = {"name": "Check-in", "kind": "custom", "date": "2027-04-20", "owner": "joint",
             "this_means": "we look at progress", "as_a_result": "nothing slips"}  # fmt: skip
    plan["milestones"] += [dict(extra) for _ in range(7)]
    result = quality(plan)["readable"]
    assert (result["level"], result["path"]) == ("warn", "/milestones")
    assert "16 milestones" in result["message"]


def test_a_bridge_too_long_for_a_phone_is_a_warning():
    plan = copy.deepcopy(example("plan-onboarding"))
    plan["milestones"][1]["this_means"] = "your team onboards one clinic end to end " * 4
    result = quality(plan)["readable"]
    assert (result["level"], result["path"]) == ("warn", "/milestones/1/this_means")


# -- outcome_linked -------------------------------------------------------------------------------


def test_a_key_milestone_without_a_bridge_is_named():
    plan = copy.deepcopy(example("plan-onboarding"))
    del plan["milestones"][4]["this_means"]
    result = quality(plan)["outcome_linked"]
    assert (result["level"], result["path"]) == ("warn", "/milestones/4/this_means")
    assert '"Go-live"' in result["message"]


def test_a_plan_without_any_bridge_fails_outcome_linked():
    result = quality(example("plan-weak"))["outcome_linked"]
    assert result["level"] == "fail"
    assert [f["path"] for f in result["findings"]] == [
        "/milestones/0/this_means", "/milestones/1/this_means"
    ]  # fmt: skip


# -- accountable ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meeting", "level", "path"),
    [
        ({"date": "2027-01-11"}, "ok", None),
        ({"date": "2026-12-04"}, "ok", None),
        ({"date": "2026-12-03"}, "fail", "/next_meeting/date"),
        (None, "fail", "/next_meeting"),
    ],
)
def test_accountable_wants_a_next_meeting_today_or_later(meeting, level, path):
    plan = copy.deepcopy(example("plan-onboarding"))
    plan.pop("next_meeting")
    if meeting:
        plan["next_meeting"] = meeting
    result = quality(plan)["accountable"]
    assert (result["level"], result["path"]) == (level, path)


# -- qualification --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "ok", "advice_starts"),
    [(True, True, None), (False, False, "Ask"), (None, False, "Not answered yet")],
)
def test_each_no_or_unknown_answer_says_what_to_do(answer, ok, advice_starts):
    plan = copy.deepcopy(example("plan-onboarding"))
    plan["qualification"]["decision_access"] = answer
    item = run_checks(plan, TODAY)["qualification"][2]
    assert (item["key"], item["answer"], item["ok"]) == ("decision_access", answer, ok)
    if advice_starts is None:
        assert item["advice"] is None
    else:
        assert item["advice"].startswith(advice_starts)


# -- robustness -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plan",
    [
        {},
        {"customer": "x", "impact": "y", "seller": 3, "milestones": "z", "qualification": [1],
         "next_meeting": "m", "negotiables": "n", "desired_outcome": ["a"]},
        {"customer": {}, "milestones": [None, 3, {"date": "bad"}, {"date": 5}],
         "impact": {"kpis": ["x", None]}, "stakeholders": [None, "x"], "summary": 5,
         "notes": None, "next_meeting": {"date": "2027-13-01"}, "language": 5},
    ],
)  # fmt: skip
def test_a_half_typed_plan_gets_findings_not_a_crash(plan):
    result = run_checks(plan, TODAY)
    assert [c["check"] for c in result["quality"]] == CHECKS
    assert not quality(plan)["customer_centric"]["ok"]


@pytest.mark.parametrize(
    ("plan", "today", "field"), [([], TODAY, ""), ({}, "2026-12-04", "/today")]
)
def test_run_checks_rejects_what_is_not_a_plan_or_a_date(plan, today, field):
    with pytest.raises(ValidationError) as caught:
        run_checks(plan, today)
    assert caught.value.field == field
