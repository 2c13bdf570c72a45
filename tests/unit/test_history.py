"""Diffs between plans: field-level changes with labels a person reads."""

from __future__ import annotations

import copy

from addin_server.plans.history import apply_patch, date_slips, field_changes, make_patch

PLAN = {
    "customer": {"organization": "Northwind"},
    "desired_outcome": "Faster onboarding",
    "milestones": [
        {"id": "a", "name": "Kickoff", "kind": "kickoff", "date": "2027-01-11", "owner": "seller"},
        {"id": "b", "name": "Pilot", "kind": "trial", "date": "2027-01-25", "owner": "joint"},
        {"id": "c", "name": "Go-live", "kind": "go_live", "date": "2027-03-22", "owner": "joint"},
    ],
    "impact": {"kpis": [{"name": "Days to first patient", "target": "28"}]},
}


def test_a_removed_milestone_is_labelled_with_its_own_name():
    new = copy.deepcopy(PLAN)
    del new["milestones"][1]
    [change] = field_changes(PLAN, new)
    assert (change["label"], change["kind"], change["new"]) == ("Pilot", "removed", None)


def test_a_changed_date_is_labelled_milestone_then_field():
    new = copy.deepcopy(PLAN)
    new["milestones"][2]["date"] = "2027-04-12"
    assert [(c["label"], c["old"], c["new"]) for c in field_changes(PLAN, new)] == [
        ("Go-live · date", "2027-03-22", "2027-04-12")]


def test_reordering_milestones_is_not_a_change_of_their_fields():
    new = copy.deepcopy(PLAN)
    new["milestones"].reverse()
    assert field_changes(PLAN, new) == []


def test_kpi_and_top_level_labels():
    new = copy.deepcopy(PLAN)
    new["impact"]["kpis"][0]["target"] = "21"
    new["desired_outcome"] = "Much faster onboarding"
    labels = {c["label"] for c in field_changes(PLAN, new)}
    assert labels == {"KPI Days to first patient · target", "Desired outcome"}


def test_patch_round_trips():
    new = copy.deepcopy(PLAN)
    new["milestones"][0]["status"] = "done"
    assert apply_patch(PLAN, make_patch(PLAN, new)) == new


def test_slips_count_moves_and_days():
    v2 = copy.deepcopy(PLAN)
    v2["milestones"][2]["date"] = "2027-04-12"
    v3 = copy.deepcopy(v2)
    v3["milestones"][2]["date"] = "2027-04-19"
    go_live = next(s for s in date_slips([(1, PLAN), (2, v2), (3, v3)]) if s["id"] == "c")
    assert (go_live["moves"], go_live["days"]) == (2, 28)
