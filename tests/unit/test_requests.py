"""Requests written in prose become proposals when clear, questions for the seller when not."""

from __future__ import annotations

import pytest

from addin_server.replies.requests import find_requests


def _index(plan, name):
    return next(i for i, m in enumerate(plan["milestones"]) if m["name"] == name)


def _one(text, plan):
    proposals, questions = find_requests(text, plan)
    assert questions == []
    assert len(proposals) == 1, proposals
    return proposals[0]


@pytest.mark.parametrize(
    "text, milestone, field, new",
    [
        ("Can we push go-live to April 12?", "Go-live", "date", "2027-04-12"),
        ("Please make enablement joint", "Team enablement", "owner", "joint"),
        (
            "Jordan can't do the 22nd, move the commercial review a week later",
            "Commercial review",
            "date",
            "2027-03-01",
        ),
        ("move the pilot by two weeks", "Riverside pilot", "date", "2027-02-08"),
        ("Could we push back the kickoff 3 days?", "Kickoff prep", "date", "2027-01-14"),
        ("Could we bring the launch forward by a week?", "Go-live", "date", "2027-03-15"),
        ("We'll own the training.", "Team enablement", "owner", "customer"),
        ("Can you own the business review?", "Business review", "owner", "seller"),
        ("The go-live should be owned by Northwind.", "Go-live", "owner", "customer"),
        ("Let's move the evaluation to 2027-02-15.", "Evaluation complete", "date", "2027-02-15"),
        ("Could we move the trial to 1 Feb?", "Riverside pilot", "date", "2027-02-01"),
    ],
)
def test_clear_request_becomes_a_proposal(onboarding, text, milestone, field, new):
    index = _index(onboarding, milestone)
    proposal = _one(text, onboarding)
    assert proposal["path"] == f"/milestones/{index}/{field}"
    assert proposal["old"] == onboarding["milestones"][index][field]
    assert proposal["new"] == new
    assert proposal["evidence"] == text
    assert proposal["item_id"] == onboarding["milestones"][index]["id"]
    assert proposal["label"] == f"{milestone} · {field}"


def test_german_request_with_ordinal_date_becomes_a_proposal(german):
    proposal = _one("Verschieben wir den Go-live auf den 12. April?", german)
    assert proposal["path"] == f"/milestones/{_index(german, 'Go-live')}/date"
    assert proposal["old"] == "2027-07-01"
    assert proposal["new"] == "2027-04-12"


@pytest.mark.parametrize(
    "text, new",
    [
        ("Den Testlauf bitte eine Woche später.", ("date", "2027-04-19")),
        ("Die Bewertung machen wir gemeinsam.", ("owner", "joint")),
    ],
)
def test_german_relative_and_owner_requests(german, text, new):
    proposal = _one(text, german)
    assert proposal["path"].rsplit("/", 1)[1] == new[0]
    assert proposal["new"] == new[1]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("Can we move the review?", "it is not clear which milestone is meant"),
        ("Can we move the milestone after next week to later?", "no milestone"),
        ("Could we move the pilot?", "no new date or owner"),
        ("Who owns enablement?", "a question for the seller"),
    ],
)
def test_unclear_request_is_a_question_without_proposal(onboarding, text, reason):
    proposals, questions = find_requests(text, onboarding)
    assert proposals == []
    assert questions == [{"text": text, "reason": questions[0]["reason"]}]
    assert reason in questions[0]["reason"]


def test_year_is_inferred_nearest_to_the_milestones_date(onboarding):
    # Kickoff prep is on 2027-01-11; "December 20" is nearer in 2026 than in 2027.
    proposal = _one("Can we move the kickoff to December 20?", onboarding)
    assert proposal["new"] == "2026-12-20"


def test_a_request_for_the_current_value_proposes_nothing(onboarding):
    assert find_requests("Please make go-live joint.", onboarding) == ([], [])


def test_confirmation_and_small_talk_propose_nothing(onboarding):
    assert find_requests("Looks good, thanks! Have a nice weekend.", onboarding) == ([], [])


def test_quoted_lines_are_not_read_as_requests(onboarding):
    text = "Thanks!\n> Can we push go-live to April 12?"
    assert find_requests(text, onboarding) == ([], [])


@pytest.mark.parametrize(
    "text, milestone, field, new",
    [
        ("Pouvez-vous décaler le pilote au 1er février ?", "Riverside pilot", "date", "2027-02-01"),
        ("Pouvez-vous reporter le go-live d'une semaine ?", "Go-live", "date", "2027-03-29"),
        ("¿Podemos mover el go-live al 12 de abril?", "Go-live", "date", "2027-04-12"),
        ("Hay que retrasar el piloto una semana.", "Riverside pilot", "date", "2027-02-01"),
        ("Können wir die Schulung gemeinsam machen?", "Team enablement", "owner", "joint"),
    ],
)
def test_requests_in_french_spanish_and_german(onboarding, text, milestone, field, new):
    proposal = _one(text, onboarding)
    assert proposal["path"] == f"/milestones/{_index(onboarding, milestone)}/{field}"
    assert proposal["new"] == new
