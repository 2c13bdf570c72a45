"""The MAP email: sections, editable lines, language, email-client rules."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import lxml.html
import pytest

from addin_server.errors import ValidationError
from addin_server.mailtext import i18n
from addin_server.mailtext.render import (
    format_date,
    kpi_line,
    label,
    owner_label,
    plan_ref,
    render_email,
    stakeholder_line,
    subject_for,
    timeline_line,
)
from addin_server.mailtext.sanitize import html_to_text

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXAMPLES = ("plan-onboarding", "plan-logistics-de", "plan-weak")


def load(name: str) -> dict:
    path = SHARED / "examples" / f"{name}.json"
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found")
    return json.loads(path.read_text("utf-8"))


def render(plan: dict, **kwargs) -> dict:
    return render_email(plan, plan_id="7F3K", version=3, **kwargs)


def text_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def element_texts(html: str) -> list[str]:
    """The visible text of every element, whitespace collapsed."""
    root = lxml.html.fromstring(html)
    return [" ".join(el.text_content().split()) for el in root.iter() if isinstance(el.tag, str)]


def block_texts(html: str) -> list[str]:
    """The text of every <p>, <li> and <td> (the block elements lines live in)."""
    root = lxml.html.fromstring(html)
    return [" ".join(el.text_content().split()) for el in root.iter("p", "li", "td", "h1", "h2")]


def editable_lines(plan: dict) -> list[str]:
    lines = [timeline_line(plan, m) for m in plan["milestones"]]
    lines += [kpi_line(plan, k) for k in (plan.get("impact") or {}).get("kpis", [])]
    lines += [stakeholder_line(plan, s) for s in plan.get("stakeholders", [])]
    return lines


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_renders_subject_html_and_text(name):
    email = render(load(name))
    assert set(email) == {"subject", "html", "text"}
    assert email["subject"] and "\n" not in email["subject"]
    assert email["html"].lstrip().startswith("<div")
    assert "Plan ref MAP-7F3K · v3" in email["text"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_milestone_kpi_and_stakeholder_is_a_whole_line_in_the_text(name):
    plan = load(name)
    lines = text_lines(render(plan)["text"])
    for expected in editable_lines(plan):
        assert expected in lines


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_milestone_kpi_and_stakeholder_is_the_whole_text_of_one_html_block(name):
    plan = load(name)
    html = render(plan)["html"]
    paragraphs = [" ".join(p.text_content().split()) for p in lxml.html.fromstring(html).iter("p")]
    for expected in editable_lines(plan):
        assert paragraphs.count(expected) == 1, expected


@pytest.mark.parametrize("name", EXAMPLES)
def test_html_to_text_conversion_keeps_each_line_intact(name):
    plan = load(name)
    lines = html_to_text(render(plan)["html"]).splitlines()
    for expected in editable_lines(plan):
        assert expected in lines


def test_timeline_is_listed_latest_first_with_value_realized_on_top():
    plan = load("plan-onboarding")
    text = render(plan)["text"]
    positions = [text.index(timeline_line(plan, m) + "\n") for m in plan["milestones"]]
    dates = [m["date"] for m in plan["milestones"]]
    by_position = [d for _, d in sorted(zip(positions, dates, strict=True))]
    assert by_position == sorted(dates, reverse=True)
    assert text_lines(text)[text_lines(text).index("Timeline to value realized") + 1] == (
        "Value realized: Wed, Jun 30, 2027 (Owner: Joint)"
    )


def test_milestone_kpi_and_status_follow_the_milestone_on_their_own_lines():
    plan = load("plan-onboarding")
    plan["milestones"][4]["status"] = "at_risk"
    lines = text_lines(render(plan)["text"])
    at = lines.index("Go-live: Mon, Mar 22, 2027 (Owner: Joint)")
    assert lines[at + 1] == "Status: At risk"
    top = lines.index("Value realized: Wed, Jun 30, 2027 (Owner: Joint)")
    assert lines[top + 1] == "KPI: Under 28 days from signed contract to first booked patient"


def test_sections_follow_the_map_template_order():
    plan = load("plan-onboarding")
    changes = [{"label": "Go-live date", "old": "2027-03-15", "new": "2027-03-22", "path": "/x"}]
    text = render(plan, changes_since=changes, since_version=2)["text"]
    markers = [
        "What changed since version 2",
        plan["summary"],
        "Desired outcome",
        "Challenges to address",
        "Why this approach fits",
        "Impact and how we measure it",
        "Key stakeholders",
        "Timeline to value realized",
        "Why each step matters",
        "What is negotiable",
        "Next meeting",
        "What would you change?",
        "Plan ref MAP-7F3K · v3",
    ]
    positions = [text.index(marker) for marker in markers]
    assert positions == sorted(positions)


def test_every_section_of_the_onboarding_plan_is_present_in_text_and_html():
    plan = load("plan-onboarding")
    email = render(plan)
    html_text = " ".join(element_texts(email["html"]))
    for expected in (
        plan["summary"],
        plan["desired_outcome"],
        *plan["challenges"],
        plan["why_fit"],
        plan["impact"]["statement"],
        *plan["negotiables"],
        "Kickoff prep: this means the pilot starts with Riverside's real clinic data, "
        "as a result the evaluation measures your workflow, not a demo.",
        "Mon, Jan 11, 2027 – Kickoff: pilot scope and data access",
        "If this reflects the plan, I'll keep it updated and resend after each checkpoint. "
        "What would you change?",
    ):
        assert expected in email["text"]
        assert expected in html_text


def test_assumptions_get_their_own_section_when_present():
    plan = load("plan-onboarding")
    plan["assumptions"] = ["Northwind's SSO provider supports SAML."]
    lines = text_lines(render(plan)["text"])
    at = lines.index("Assumptions")
    assert lines[at + 1] == "- Northwind's SSO provider supports SAML."


def test_empty_sections_are_omitted():
    email = render(load("plan-weak"))
    for heading in (
        "Challenges to address",
        "Why this approach fits",
        "Impact and how we measure it",
        "Why each step matters",
        "What is negotiable",
        "Assumptions",
        "Next meeting",
    ):
        assert heading not in email["text"]
        assert heading not in email["html"]


def test_changes_since_open_the_email_before_the_summary():
    plan = load("plan-onboarding")
    changes = [
        {"label": "Go-live date", "old": "2027-03-15", "new": "2027-03-22",
         "path": "/milestones/4/date"},
        {"label": "Go-live owner", "old": "seller", "new": "joint", "path": "/milestones/4/owner"},
        {"label": "Assumption", "old": None, "new": "SSO via SAML", "path": "/assumptions/0"},
    ]
    email = render(plan, changes_since=changes, since_version=2)
    lines = text_lines(email["text"])
    assert lines[:4] == [
        "What changed since version 2",
        "- Go-live date: Mon, Mar 15, 2027 → Mon, Mar 22, 2027",
        "- Go-live owner: BrightPath Software → Joint",
        "- Assumption: SSO via SAML (added)",
    ]
    assert email["text"].index("What changed") < email["text"].index(plan["summary"])
    assert "What changed since version 2" in block_texts(email["html"])


def test_html_has_no_style_block_script_event_attribute_or_comment():
    for name in EXAMPLES:
        html = render(load(name))["html"]
        root = lxml.html.fromstring(html)
        tags = {el.tag for el in root.iter() if isinstance(el.tag, str)}
        assert not tags & {"style", "script", "link", "meta", "iframe", "object", "embed"}
        assert not [el for el in root.iter() if not isinstance(el.tag, str)]  # comments, PIs
        assert "<!--" not in html
        for el in root.iter():
            if isinstance(el.tag, str):
                assert not [a for a in el.attrib if a.lower().startswith("on")]
                assert "class" not in el.attrib  # inline styles only


def test_html_is_one_column_at_most_600px_and_readable_on_a_phone():
    html = render(load("plan-onboarding"))["html"]
    root = lxml.html.fromstring(html)
    assert "max-width:600px" in root.find(".//table").get("style")
    styles = " ".join(el.get("style", "") for el in root.iter() if isinstance(el.tag, str))
    for size in re.findall(r"font-size:(\d+)px", styles):
        if int(size) > 6:  # the 6px spacer row holds no text
            assert int(size) >= 14
    for width in re.findall(r"(?<![-\w])width:(\d+)px", styles):
        assert int(width) <= 375
    assert not root.xpath("//*[@width]")
    assert "@font-face" not in html and "fonts.googleapis" not in html


def test_german_plan_renders_german_labels_dates_and_closing_question():
    plan = load("plan-logistics-de")
    email = render(plan)
    assert email["subject"] == "Zusammenfassung & gemeinsamer Plan: Schnellere Zollabfertigung"
    lines = text_lines(email["text"])
    for heading in ("Gewünschtes Ergebnis", "Herausforderungen", "Warum dieser Ansatz passt",
                    "Beteiligte", "Zeitplan bis zum messbaren Nutzen", "Nächster Termin"):
        assert heading in lines
    assert "Go-live: Do., 1. Juli 2027 (Verantwortlich: Gemeinsam)" in lines
    assert "Kickoff-Vorbereitung: Mo., 1. März 2027 (Verantwortlich: ClearLane)" in lines
    assert (
        "Wenn das den Plan richtig wiedergibt, halte ich ihn aktuell und schicke ihn nach "
        "jedem Meilenstein erneut. Was würden Sie ändern?"
    ) in lines
    assert 'lang="de"' in email["html"]
    for english in ("Owner", "Desired outcome", "What would you change", "Joint"):
        assert english not in email["text"]
    assert "Plan ref MAP-7F3K · v3" in lines


def test_owners_are_named_from_the_readers_side_never_you():
    for name in EXAMPLES:
        plan = load(name)
        email = render(plan)
        assert not re.search(r"\bYou\b\)", email["text"])
        assert "Owner: You" not in email["text"]
        for milestone in plan["milestones"]:
            if milestone["owner"] == "seller":
                assert plan["seller"]["company"] in timeline_line(plan, milestone)


def test_owner_label_names_customer_seller_company_and_joint():
    plan = load("plan-onboarding")
    assert owner_label(plan, "customer") == "Northwind Health"
    assert owner_label(plan, "seller") == "BrightPath Software"
    assert owner_label(plan, "joint") == "Joint"
    german = load("plan-logistics-de")
    assert owner_label(german, "joint") == "Gemeinsam"
    with pytest.raises(ValidationError):
        owner_label(plan, "you")


def test_notes_and_qualification_never_appear_in_the_email():
    for name in EXAMPLES:
        plan = load(name)
        plan["notes"] = "SECRET-NOTE-7731 the buyer is nervous about budget"
        email = render(plan)
        for body in (email["text"], email["html"], email["subject"]):
            assert "SECRET-NOTE-7731" not in body
            for key in ("outcome_fit", "decision_access", "plan_readiness", "qualification"):
                assert key not in body
    onboarding = load("plan-onboarding")
    assert "signs anything over $50k" not in render(onboarding)["text"]


def test_timeline_line_has_the_exact_editable_shape():
    plan = load("plan-onboarding")
    go_live = next(m for m in plan["milestones"] if m["kind"] == "go_live")
    assert timeline_line(plan, go_live) == "Go-live: Mon, Mar 22, 2027 (Owner: Joint)"
    german = load("plan-logistics-de")
    go_live_de = next(m for m in german["milestones"] if m["kind"] == "go_live")
    assert timeline_line(german, go_live_de) == (
        "Go-live: Do., 1. Juli 2027 (Verantwortlich: Gemeinsam)"
    )


def test_kpi_line_shows_baseline_target_and_how_it_is_measured():
    plan = load("plan-onboarding")
    kpi = plan["impact"]["kpis"][0]
    assert kpi_line(plan, kpi) == (
        "Days from signed contract to first booked patient: 42 days → under 28 days "
        "(measured by Northwind operations report, monthly)"
    )
    assert kpi_line(plan, {"name": "NPS", "target": "50"}) == "NPS: target 50"
    assert kpi_line(plan, {"name": "NPS", "baseline": "30"}) == "NPS: baseline 30"
    assert kpi_line(plan, {"name": "NPS"}) == "NPS"
    german = load("plan-logistics-de")
    assert kpi_line(german, german["impact"]["kpis"][0]) == (
        "Durchschnittliche Standzeit beim Zoll: 3,5 Tage → < 1 Tag "
        "(Quelle: Monatsbericht Zollabwicklung)"
    )


def test_stakeholder_line_names_title_organization_and_role():
    plan = load("plan-onboarding")
    lines = [stakeholder_line(plan, s) for s in plan["stakeholders"]]
    assert lines[1] == "Jordan Reyes, CFO (Northwind Health) – Decision maker"
    assert lines[3] == "Dana Whitfield, Account Executive (BrightPath Software)"
    assert stakeholder_line(plan, {"name": "Tom", "side": "customer"}) == "Tom (Northwind Health)"


def test_format_date_in_english_german_other_and_unknown_languages():
    assert format_date("2027-03-22", "en") == "Mon, Mar 22, 2027"
    assert format_date("2027-03-22", "de") == "Mo., 22. März 2027"
    assert format_date("2027-03-22", "de-AT") == "Mo., 22. März 2027"
    assert format_date("2027-03-22", "fr") == "lun. 22 mars 2027"
    assert format_date("2027-03-22", "xx-nonsense") == "Mon, Mar 22, 2027"
    assert format_date("2027-03-22", None) == "Mon, Mar 22, 2027"
    assert format_date("2027-03-22", "ar").startswith("الاثنين")
    with pytest.raises(ValidationError):
        format_date("22/03/2027", "en")


def test_subject_uses_title_else_short_outcome_in_the_plans_language():
    assert subject_for(load("plan-onboarding")) == (
        "Summary & Mutual Plan for Faster customer onboarding"
    )
    assert subject_for(load("plan-weak")) == "Summary & Mutual Plan for Better reporting"


def test_plan_ref_is_the_same_in_every_language():
    assert plan_ref("7F3K", 3) == "MAP-7F3K · v3"
    for name in EXAMPLES:
        email = render(load(name))
        assert text_lines(email["text"])[-1] == "Plan ref MAP-7F3K · v3"
        assert "Plan ref MAP-7F3K · v3" in block_texts(email["html"])


def test_label_translates_known_keys_and_rejects_unknown_ones():
    assert label("owner", "en") == "Owner"
    assert label("owner", "de") == "Verantwortlich"
    assert label("what_changed", "de", version=2) == "Was sich seit Version 2 geändert hat"
    assert label("owner", "ja") == "Owner"  # no catalog: English labels
    with pytest.raises(KeyError):
        label("no_such_key", "en")


def test_german_catalog_translates_every_label():
    german = i18n.translations_for("de")
    same = [k for k, msgid in i18n.LABELS.items() if german.gettext(msgid) == msgid]
    assert same == ["status"]  # "Status" is the German word too


def test_a_language_is_added_by_a_catalog_alone(tmp_path, monkeypatch):
    folder = tmp_path / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Owner"\nmsgstr "Eigenaar"\n\nmsgid "Joint"\nmsgstr "Samen"\n',
        "utf-8",
    )
    monkeypatch.setattr(i18n, "translations_dir", lambda: tmp_path)
    i18n.translations_for.cache_clear()
    try:
        plan = load("plan-onboarding")
        plan["language"] = "nl"
        lines = text_lines(render(plan)["text"])
        assert "Go-live: ma 22 mrt 2027 (Eigenaar: Samen)" in lines
    finally:
        i18n.translations_for.cache_clear()


def test_right_to_left_languages_set_the_direction():
    plan = load("plan-onboarding")
    plan["language"] = "ar"
    assert 'dir="rtl"' in render(plan)["html"]
    assert 'dir="ltr"' in render(load("plan-onboarding"))["html"]


def test_seller_text_is_escaped_in_html_and_kept_verbatim_in_text():
    plan = load("plan-onboarding")
    plan["title"] = "<b>Bold</b> & co"
    plan["milestones"][0]["name"] = "Kickoff <i>prep</i>"
    email = render(plan)
    assert "<b>Bold</b>" not in email["html"]
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in email["html"]
    assert "Kickoff <i>prep</i>: Mon, Jan 11, 2027 (Owner: BrightPath Software)" in email["text"]
    assert "Kickoff <i>prep</i>: Mon, Jan 11, 2027 (Owner: BrightPath Software)" in (
        block_texts(email["html"])
    )


def test_multiline_names_are_kept_on_one_editable_line():
    plan = load("plan-onboarding")
    plan["milestones"][4]["name"] = "Go-live\nfor all clinics"
    lines = text_lines(render(plan)["text"])
    assert "Go-live for all clinics: Mon, Mar 22, 2027 (Owner: Joint)" in lines


def test_invalid_plan_is_refused_naming_the_field():
    plan = copy.deepcopy(load("plan-onboarding"))
    plan["milestones"][2]["date"] = "2027-02-30"
    with pytest.raises(ValidationError) as caught:
        render(plan)
    assert caught.value.field == "/milestones/2/date"


def test_plan_without_seller_company_names_the_seller_not_you():
    plan = load("plan-weak")
    plan["seller"] = {"name": "Lee Park"}
    assert "Demo: Mon, Nov 2, 2026 (Owner: Lee Park)" in text_lines(render(plan)["text"])
