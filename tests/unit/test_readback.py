"""Reading the plan back out of a customer's message: plan reference and edits as proposals."""

from __future__ import annotations

import pytest

from addin_server.mailtext.readback import find_plan_ref, html_to_text, read_edits
from addin_server.mailtext.render import render_email
from tests.support import example_plan

PLAN_ID = "7F3KQ2W9"
EXAMPLES = ("plan-onboarding.json", "plan-logistics-de.json", "plan-weak.json")


def _email(plan, version=3):
    return render_email(plan, plan_id=PLAN_ID, version=version)


def _quote(text: str, depth: int = 1) -> str:
    prefix = "> " * depth
    return "\n".join((prefix + line).rstrip() for line in text.splitlines())


def _index(plan, name):
    return next(i for i, m in enumerate(plan["milestones"]) if m["name"] == name)


def _edited(plan, old, new):
    text = _email(plan)["text"]
    assert old in text, old
    return _quote(text.replace(old, new))


# ---- plan reference ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Plan ref MAP-7F3KQ2W9 · v3",
        "> > Plan ref MAP-7F3KQ2W9 · v3",
        "Plan ref MAP-7F3KQ2W9 ? v3",
        "Plan ref MAP-7F3KQ2W9 - v3",
        "Plan ref MAP-7F3KQ2W9 | v3",
        "Plan ref MAP-7F3KQ2W9 Â· v3",
        "> Plan ref MAP-7F3KQ2W9 ·\n> v3",
        "Thanks\n\n> -- \n> Plan ref\n> MAP-7F3KQ2W9 · v3\n",
    ],
)
def test_plan_reference_is_found_through_quoting_charsets_and_wraps(text):
    assert find_plan_ref(text) == (PLAN_ID, 3)


def test_the_first_plan_reference_is_the_version_replied_to():
    text = "> Plan ref MAP-AAAA1111 · v4\n> > Plan ref MAP-AAAA1111 · v3"
    assert find_plan_ref(text) == ("AAAA1111", 4)


@pytest.mark.parametrize("text", ["", "Looks good", "MAP of the area v3", "Plan ref MAP-abc · v"])
def test_no_plan_reference(text):
    assert find_plan_ref(text) is None


def test_plan_reference_is_found_in_the_rendered_html(onboarding):
    assert find_plan_ref(html_to_text(_email(onboarding, 7)["html"])) == (PLAN_ID, 7)


# ---- unchanged plan: zero proposals ----------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("form", ["text", "html", "quoted", "quoted_twice", "html_quoted"])
def test_unchanged_plan_read_back_gives_no_proposals(name, form):
    plan = example_plan(name)
    email = _email(plan)
    body = {
        "text": email["text"],
        "html": html_to_text(email["html"]),
        "quoted": "Looks good!\n\nOn Mon wrote:\n" + _quote(email["text"]),
        "quoted_twice": _quote(email["text"], 2),
        "html_quoted": html_to_text(f"<div>ok</div><blockquote>{email['html']}</blockquote>"),
    }[form]
    assert read_edits(body, plan) == []


# ---- edits in the quoted plan ---------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "April 12",
        "Apr 12, 2027",
        "Mon, Apr 12, 2027",
        "12.04.2027",
        "2027-04-12",
        "12 April",
        "12th of April",
        "4/12/2027",
    ],
)
def test_customer_date_edit_in_any_format_becomes_a_proposal(onboarding, written):
    body = _edited(onboarding, "Go-live: Mon, Mar 22, 2027", f"Go-live: {written}")
    index = _index(onboarding, "Go-live")
    assert read_edits(body, onboarding) == [
        {
            "path": f"/milestones/{index}/date",
            "old": "2027-03-22",
            "new": "2027-04-12",
            "label": "Go-live · date",
            "evidence": f"Go-live: {written} (Owner: Joint)",
            "item_id": onboarding["milestones"][index]["id"],
        }
    ]


@pytest.mark.parametrize(
    "written, owner",
    [
        ("Northwind Health", "customer"),
        ("Northwind", "customer"),
        ("Maria", "customer"),
        ("Joint", "joint"),
        ("Northwind & BrightPath", "joint"),
    ],
)
def test_owner_written_as_company_name_becomes_a_proposal(onboarding, written, owner):
    old = "Team enablement: Mon, Apr 5, 2027 (Owner: BrightPath Software)"
    body = _edited(onboarding, old, f"Team enablement: Mon, Apr 5, 2027 (Owner: {written})")
    [proposal] = read_edits(body, onboarding)
    assert proposal["path"] == f"/milestones/{_index(onboarding, 'Team enablement')}/owner"
    assert (proposal["old"], proposal["new"]) == ("seller", owner)


def test_date_and_owner_edited_on_one_line_give_two_proposals(onboarding):
    body = _edited(
        onboarding,
        "Go-live: Mon, Mar 22, 2027 (Owner: Joint)",
        "Go-live: April 12 (Owner: Northwind)",
    )
    changes = {
        (p["path"].rsplit("/", 1)[1], p["old"], p["new"]) for p in read_edits(body, onboarding)
    }
    assert changes == {("date", "2027-03-22", "2027-04-12"), ("owner", "joint", "customer")}


def test_kpi_target_edit_becomes_a_proposal(onboarding):
    body = _edited(onboarding, "42 days → under 28 days", "42 days → under 21 days")
    [proposal] = read_edits(body, onboarding)
    assert proposal["path"] == "/impact/kpis/0/target"
    assert (proposal["old"], proposal["new"]) == ("under 28 days", "under 21 days")
    assert proposal["label"].endswith("· target")


def test_kpi_baseline_edit_typed_with_ascii_arrow(onboarding):
    body = _edited(onboarding, "42 days → under 28 days", "45 days -> under 28 days")
    [proposal] = read_edits(body, onboarding)
    assert (proposal["path"], proposal["new"]) == ("/impact/kpis/0/baseline", "45 days")


def test_stakeholder_title_and_name_edits(onboarding):
    body = _edited(onboarding, "Jordan Reyes, CFO", "Jordan Reyes, Chief Financial Officer")
    body = body.replace("Priya Natarajan, Director", "Priya Natarajan-Shah, Director")
    found = {(p["path"], p["new"]) for p in read_edits(body, onboarding)}
    assert found == {
        ("/stakeholders/1/title", "Chief Financial Officer"),
        ("/stakeholders/2/name", "Priya Natarajan-Shah"),
    }


def test_milestone_rename_becomes_a_name_proposal(onboarding):
    body = _edited(onboarding, "Team enablement: Mon", "Admin training: Mon")
    [proposal] = read_edits(body, onboarding)
    assert proposal["path"] == f"/milestones/{_index(onboarding, 'Team enablement')}/name"
    assert (proposal["old"], proposal["new"]) == ("Team enablement", "Admin training")


def test_deleted_timeline_line_becomes_a_remove_proposal(onboarding):
    body = _edited(onboarding, "Riverside pilot: Mon, Jan 25, 2027 (Owner: Joint)\n", "")
    index = _index(onboarding, "Riverside pilot")
    [proposal] = read_edits(body, onboarding)
    assert proposal["path"] == f"/milestones/{index}"
    assert proposal["old"] == onboarding["milestones"][index]
    assert proposal["new"] is None
    assert proposal["label"] == "Riverside pilot"
    assert "Evaluation complete" in proposal["evidence"]


def test_a_quote_cut_off_by_the_client_is_not_a_deletion(onboarding):
    text = _email(onboarding)["text"]
    clipped = text[: text.index("Riverside pilot:")] + "[Message clipped]  View entire message"
    assert read_edits(_quote(clipped), onboarding) == []


def test_added_timeline_line_becomes_an_add_proposal(onboarding):
    line = "Security sign-off: Jun 1, 2027 (Owner: Northwind Health)"
    body = _edited(
        onboarding,
        "Business review: Wed, Jun 23, 2027 (Owner: Joint)",
        "Business review: Wed, Jun 23, 2027 (Owner: Joint)\n" + line,
    )
    assert read_edits(body, onboarding) == [
        {
            "path": "/milestones/-",
            "old": None,
            "new": {
                "name": "Security sign-off",
                "kind": "custom",
                "date": "2027-06-01",
                "owner": "customer",
            },
            "label": "Security sign-off",
            "evidence": line,
            "item_id": None,
        }
    ]


def test_added_line_without_owner_is_not_proposed(onboarding):
    body = _edited(
        onboarding,
        "Business review: Wed, Jun 23, 2027 (Owner: Joint)",
        "Business review: Wed, Jun 23, 2027 (Owner: Joint)\nSecurity sign-off: Jun 1",
    )
    assert read_edits(body, onboarding) == []


def test_edit_typed_in_the_new_text_above_the_quote(onboarding):
    body = "Go-live: April 12 (Owner: Joint)\n\nOn Mon wrote:\n" + _quote(
        _email(onboarding)["text"]
    )
    [proposal] = read_edits(body, onboarding)
    assert (proposal["new"], proposal["evidence"]) == (
        "2027-04-12",
        "Go-live: April 12 (Owner: Joint)",
    )


def test_older_plan_versions_quoted_further_down_are_ignored(onboarding):
    older = _email(onboarding, 2)["text"].replace("Mon, Mar 22, 2027", "Mon, Mar 8, 2027")
    body = _quote(_email(onboarding, 3)["text"]) + "\n" + _quote(older, 2)
    assert read_edits(body, onboarding) == []


def test_owner_line_wrapped_by_the_client_is_joined(onboarding):
    body = _edited(
        onboarding,
        "Go-live: Mon, Mar 22, 2027 (Owner: Joint)",
        "Go-live: Mon, Mar 22, 2027 (Owner:\nNorthwind Health)",
    )
    [proposal] = read_edits(body, onboarding)
    assert (proposal["path"].rsplit("/", 1)[1], proposal["new"]) == ("owner", "customer")


def test_edits_inside_html_are_read(onboarding):
    html = _email(onboarding)["html"].replace("Mon, Mar 22, 2027", "12. April 2027")
    [proposal] = read_edits(html_to_text(f"<blockquote>{html}</blockquote>"), onboarding)
    assert proposal["new"] == "2027-04-12"


# ---- German plan ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["Mi., 14. Juli 2027", "14. Juli 2027", "14.07.2027", "14. Juli", "July 14, 2027"]
)
def test_german_date_edit(german, written):
    body = _edited(german, "Go-live: Do., 1. Juli 2027", f"Go-live: {written}")
    [proposal] = read_edits(body, german)
    assert proposal["path"] == f"/milestones/{_index(german, 'Go-live')}/date"
    assert (proposal["old"], proposal["new"]) == ("2027-07-01", "2027-07-14")


@pytest.mark.parametrize(
    "written, owner",
    [
        ("Müller & Söhne", "customer"),
        ("ClearLane", "seller"),
        ("Gemeinsam", "joint"),
        ("Müller & Söhne Logistik GmbH", "customer"),
    ],
)
def test_german_owner_edit(german, written, owner):
    line = "Kickoff-Vorbereitung: Mo., 1. März 2027 (Verantwortlich: ClearLane)"
    new = line.replace("ClearLane)", f"{written})")
    body = _edited(german, line, new)
    proposals = read_edits(body, german)
    if owner == "seller":
        assert proposals == []
    else:
        [proposal] = proposals
        assert (proposal["old"], proposal["new"]) == ("seller", owner)


def test_german_kpi_target_edit(german):
    body = _edited(german, "3,5 Tage → < 1 Tag", "3,5 Tage → < 0,5 Tage")
    [proposal] = read_edits(body, german)
    assert (proposal["path"], proposal["new"]) == ("/impact/kpis/0/target", "< 0,5 Tage")


def test_a_resend_with_what_changed_reads_back_unchanged(onboarding):
    import copy

    from addin_server.plans.history import field_changes

    newer = copy.deepcopy(onboarding)
    newer["milestones"][_index(newer, "Go-live")]["date"] = "2027-04-12"
    newer["milestones"][_index(newer, "Team enablement")]["owner"] = "joint"
    del newer["milestones"][_index(newer, "Riverside pilot")]
    email = render_email(
        newer, plan_id=PLAN_ID, version=4, changes_since=field_changes(onboarding, newer)
    )
    assert "What changed since version 3" in email["text"]
    assert read_edits(_quote(email["text"]), newer) == []
    assert read_edits(html_to_text(email["html"]), newer) == []
