"""Card builders for the Gmail add-on: plain dicts in the google.apps.card.v1 JSON shape.

Widget helpers first, then the response wrappers Gmail expects, then the cards of each
flow. Text that came from outside (a customer's reply, the seller's input) is escaped:
textParagraph and decoratedText interpret a small subset of HTML.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from ..plans.checks import QUALIFICATION
from . import form
from .events import date_to_ms

MAX_WIDGETS = 100  # per section (platform limit)
MAX_SECTIONS = 100  # per card (platform limit)
SNIPPET = 1500  # characters of a reply or an email shown in a card
INTENT_LABELS = {
    "confirm": "Confirmation",
    "change_request": "Change request",
    "question": "Question",
    "auto_reply": "Auto-reply",
    "other": "Other",
}
LEVEL_MARKS = {"ok": "✅", "warn": "⚠️", "fail": "❌"}


@dataclass(frozen=True)
class Ctx:
    """What every card needs: the callback URL and the key of the seller's saved draft."""

    action_url: str
    key: str | None = None


# -- widgets --------------------------------------------------------------------------------------


def esc(text, limit: int | None = None) -> str:
    """Outside text made safe for card text (and shortened)."""
    text = "" if text is None else str(text)
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return html.escape(text, quote=False).replace("\n", "<br>")


def paragraph(text: str) -> dict:
    """A textParagraph; text is card markup (escape outside text first)."""
    return {"textParagraph": {"text": text}}


def decorated(text: str, top: str | None = None, bottom: str | None = None,
              button: dict | None = None) -> dict:
    """A decoratedText line with optional labels and a button at the end."""
    widget = {"text": text, "wrapText": True}
    if top:
        widget["topLabel"] = top
    if bottom:
        widget["bottomLabel"] = bottom
    if button:
        widget["button"] = button
    return {"decoratedText": widget}


def text_input(name: str, label: str, value=None, multiline: bool = False,
               hint: str | None = None) -> dict:
    """A textInput, prefilled."""
    widget = {"name": name, "label": label, "type": "MULTIPLE_LINE" if multiline else "SINGLE_LINE"}
    if value:
        widget["value"] = value
    if hint:
        widget["hintText"] = hint
    return {"textInput": widget}


def dropdown(name: str, label: str, choices, selected=None, kind: str = "DROPDOWN") -> dict:
    """A selectionInput with one item selected."""
    items = [{"text": text, "value": value, "selected": value == selected}
             for value, text in choices]
    return {"selectionInput": {"name": name, "label": label, "type": kind, "items": items}}


def date_picker(name: str, label: str, value: str | None = None) -> dict:
    """A dateTimePicker for a date only (value an ISO date)."""
    widget = {"name": name, "label": label, "type": "DATE_ONLY"}
    if value:
        widget["valueMsEpoch"] = str(date_to_ms(dt.date.fromisoformat(value)))
    return {"dateTimePicker": widget}


def action(ctx: Ctx, name: str, **params) -> dict:
    """An action calling back /gmail/action with the action name and small parameters."""
    values = {"action": name, **({"key": ctx.key} if ctx.key else {}), **params}
    parameters = [{"key": k, "value": str(v)} for k, v in values.items() if v is not None]
    return {"function": ctx.action_url, "parameters": parameters}


def button(ctx: Ctx, text: str, name: str, filled: bool = False, **params) -> dict:
    """A button whose click calls an action."""
    widget = {"text": text, "onClick": {"action": action(ctx, name, **params)}}
    if filled:
        widget["type"] = "FILLED"
    return widget


def buttons(*items: dict) -> dict:
    """A buttonList widget."""
    return {"buttonList": {"buttons": [b for b in items if b]}}


def section(widgets: list, header: str | None = None, collapsible: bool = False) -> dict:
    """A card section (at most MAX_WIDGETS widgets)."""
    if len(widgets) > MAX_WIDGETS:
        raise ValueError(f"a section holds at most {MAX_WIDGETS} widgets, not {len(widgets)}")
    result = {"widgets": widgets}
    if header:
        result["header"] = header
    if collapsible:
        result["collapsible"] = True
        result["uncollapsibleWidgetsCount"] = 1
    return result


def card(title: str, sections: list, subtitle: str | None = None, footer: dict | None = None,
         name: str | None = None) -> dict:
    """A card (at most MAX_SECTIONS sections)."""
    sections = [s for s in sections if s and s["widgets"]]
    if len(sections) > MAX_SECTIONS:
        raise ValueError(f"a card holds at most {MAX_SECTIONS} sections, not {len(sections)}")
    result = {"header": {"title": title}, "sections": sections}
    if subtitle:
        result["header"]["subtitle"] = subtitle
    if footer:
        result["fixedFooter"] = footer
    if name:
        result["name"] = name
    return result


def footer(primary: dict, secondary: dict | None = None) -> dict:
    """A fixed footer with one or two buttons."""
    result = {"primaryButton": primary}
    if secondary:
        result["secondaryButton"] = secondary
    return result


# -- response wrappers ----------------------------------------------------------------------------


def push_card(built: dict) -> dict:
    """The answer to a trigger (homepage, compose, open message)."""
    return {"action": {"navigations": [{"pushCard": built}]}}


def update_card(built: dict, toast: str | None = None) -> dict:
    """The answer to a click that replaces the card (with an optional toast)."""
    result = {"navigations": [{"updateCard": built}]}
    if toast:
        result["notification"] = {"text": toast}
    return {"renderActions": {"action": result}}


def notification(text: str) -> dict:
    """A toast only, the card stays as it is."""
    return {"renderActions": {"action": {"notification": {"text": text}}}}


def update_draft(subject: str | None, body_html: str, recipients: list[str]) -> dict:
    """Insert the plan into the open draft: body at the cursor, subject and To recipients."""
    markup = {
        "updateBody": {
            "insertContents": [{"content": body_html, "contentType": "MUTABLE_HTML"}],
            "type": "IN_PLACE_INSERT",
        }
    }
    if subject:
        markup["updateSubject"] = {"subject": subject}
    if recipients:
        markup["updateToRecipients"] = {"toRecipients": [{"email": e} for e in recipients]}
    gmail_action = {"updateDraftActionMarkup": markup}
    return {"renderActions": {"hostAppAction": {"gmailAction": gmail_action}}}


def open_created_draft(draft_id: str, thread_id: str | None) -> dict:
    """Open a reply draft the add-on created through the Gmail API."""
    markup = {"draftId": draft_id}
    if thread_id:
        markup["draftThreadId"] = thread_id
    return {"renderActions": {"hostAppAction": {"gmailAction": {
        "openCreatedDraftActionMarkup": markup}}}}


def cards_in(response: dict) -> list[dict]:
    """Every card a response carries (for checks and tests)."""
    navigations = (response.get("action") or {}).get("navigations") or (
        ((response.get("renderActions") or {}).get("action") or {}).get("navigations") or [])
    found = []
    for step in navigations:
        found += [step[k] for k in ("pushCard", "updateCard") if k in step]
    return found


# -- simple cards ---------------------------------------------------------------------------------


def message_card(title: str, text: str, ctx: Ctx | None = None, back: str | None = None) -> dict:
    """A card that says one thing (an error, an empty state), with an optional way back."""
    widgets = [paragraph(esc(text))]
    if ctx and back:
        widgets.append(buttons(button(ctx, "Back", back)))
    return card(title, [section(widgets)])


def homepage_card(ctx: Ctx, plans: list[dict]) -> dict:
    """The homepage: what the add-on does, and the seller's recent plans."""
    intro = paragraph(
        "Compose a message to build a Mutual Action Plan and insert it into the draft. "
        "Open a message of a plan's thread to see the customer's replies and changes."
    )
    rows = [
        decorated(esc(p["title"] or p["id"]), top=f"MAP-{p['id']} · v{p['version']}",
                  bottom=esc(p["status"]),
                  button=button(ctx, "Open", "show_plan", plan_id=p["id"]))
        for p in plans[:20]
    ]
    if not rows:
        rows = [paragraph("No plans yet.")]
    return card("Mutual Action Plans", [section([intro]), section(rows, "Your plans")])


# -- compose: qualification -----------------------------------------------------------------------


def qualification_card(ctx: Ctx, draft: dict, linked: dict | None = None,
                       previous: dict | None = None) -> dict:
    """The four "before you start" questions, with what to do for each "no"."""
    answers = ((draft.get("plan") or {}).get("qualification")) or {}
    widgets = []
    for key, question, advice in QUALIFICATION:
        answer = {True: "yes", False: "no"}.get(answers.get(key), "unknown")
        widgets.append(dropdown(f"q.{key}", question, (("yes", "Yes"), ("no", "No"),
                                                        ("unknown", "Not sure yet")), answer))
        if answer == "no":
            widgets.append(decorated(esc(advice), top="If not: what to do"))
    sections = []
    if linked:
        sections.append(_linked_section(ctx, linked))
    if previous:
        sections.append(section([
            paragraph(f"You last inserted {esc(previous['title'] or previous['id'])} "
                      f"(MAP-{previous['id']}). This is a new plan."),
            buttons(button(ctx, "Edit that plan instead", "edit_plan", plan_id=previous["id"])),
        ]))
    sections.append(section(widgets, "Before you start"))
    sections.append(section([buttons(button(ctx, "Save answers", "qualify"))]))
    primary = button(ctx, "Continue to the plan", "qualify", filled=True, next="basics")
    return card("Mutual Action Plan", sections, subtitle="Qualify the opportunity",
                footer=footer(primary))


def _linked_section(ctx: Ctx, linked: dict) -> dict:
    """In a reply on a plan's thread: offer the updated plan with what changed."""
    text = (f"This thread belongs to {esc(linked['title'] or linked['id'])} "
            f"(MAP-{linked['id']}, version {linked['version']}).")
    return section([
        paragraph(text),
        buttons(button(ctx, "Insert the updated plan", "insert_update", filled=True,
                       plan_id=linked["id"]),
                button(ctx, "Edit this plan", "edit_plan", plan_id=linked["id"])),
    ], "Plan of this thread")


# -- compose: the plan form -----------------------------------------------------------------------


def _field_widget(spec: form.Field, name: str, value) -> dict:
    if spec.kind == "date":
        return date_picker(name, spec.label, value)
    if spec.kind == "choice":
        return dropdown(name, spec.label, spec.choices, value or spec.choices[0][0])
    if spec.kind == "lines":
        return text_input(name, spec.label, "\n".join(value or []), multiline=True)
    return text_input(name, spec.label, value, multiline=spec.kind == "multi", hint=spec.hint)


def _simple_page(specs, plan: dict) -> list[dict]:
    widgets = [_field_widget(s, form.widget_name(s), form.get_path(plan, s.path)) for s in specs]
    return [section(widgets)]


def _row_sections(draft: dict, page: str) -> list[dict]:
    name, first, end = form.page_rows(draft, page)
    rows = form.collection(draft.get("plan") or {}, name)
    sections = []
    for index in range(first, end):
        row = rows[index] if index < len(rows) else dict(form.ROW_DEFAULTS[name])
        widgets = [_field_widget(spec, form.widget_name(spec, name, index), row.get(spec.path))
                   for spec in form.ROW_FIELDS[name]]
        sections.append(section(widgets, f"{form.ROW_TITLES[name]} {index + 1}",
                                collapsible=name == "milestones"))
    return sections


def _timeline_tools(ctx: Ctx, draft: dict, page: str) -> dict:
    widgets = [
        paragraph("Pick the date the customer realizes the value; milestones are proposed "
                  "backward in business days (they replace the timeline below)."),
        date_picker("value_realized", "Value realized", draft.get("value_realized")),
        buttons(button(ctx, "Propose the timeline", "timeline", page=page)),
    ]
    return section(widgets, "Reverse timeline")


def plan_page_card(ctx: Ctx, draft: dict, page: str, notes: list[str] | None = None) -> dict:
    """One page of the plan form, with Back/Next and the checks, preview and insert buttons."""
    plan = draft.get("plan") or {}
    order = form.pages(draft)
    page = page if page in order else "basics"
    at = order.index(page)
    sections = [section([paragraph(esc(n)) for n in notes])] if notes else []
    if page == "basics":
        sections += _simple_page(form.BASICS, plan)
    elif page == "closing":
        sections += _simple_page(form.CLOSING, plan)
    else:
        name, _, _ = form.page_rows(draft, page)
        if name == "milestones" and page == "milestones.0":
            sections.append(_timeline_tools(ctx, draft, page))
        sections += _row_sections(draft, page)
        if page == [p for p in order if p.startswith(name + ".")][-1]:
            add = button(ctx, f"Add a row to {form.ROW_TITLES[name]}", "add_row", page=page,
                         collection=name)
            sections.append(section([
                paragraph("Clear a row's name to remove it."), buttons(add)]))
    nav = [button(ctx, "Back", "page", page=page, to=order[at - 1])] if at > 0 else [
        button(ctx, "Back", "page", page=page, to="qualification")]
    if at + 1 < len(order):
        nav.append(button(ctx, "Next", "page", page=page, to=order[at + 1]))
    sections.append(section([buttons(*nav), buttons(
        button(ctx, "Check quality", "check", page=page),
        button(ctx, "Preview", "preview", page=page))]))
    title = _page_title(page)
    primary = button(ctx, "Insert into the email", "insert", filled=True, page=page)
    return card("Mutual Action Plan", sections, subtitle=f"{title} · page {at + 1} of {len(order)}",
                footer=footer(primary))


def _page_title(page: str) -> str:
    if page in ("basics", "closing"):
        return {"basics": "Outcome and impact", "closing": "Next steps"}[page]
    name, _, start = page.partition(".")
    return f"{form.ROW_TITLES[name]} from {int(start) + 1}"


# -- compose: checks, preview ---------------------------------------------------------------------


def checks_card(ctx: Ctx, checks: dict, page: str, error: dict | None = None) -> dict:
    """The qualification answers and the six-point quality check, each naming the fix."""
    sections = []
    if error:
        sections.append(section([decorated(esc(error["message"]), top="Fix this first",
                                           bottom=esc(error.get("field") or ""))]))
    if checks:
        rows = []
        for item in checks.get("qualification") or []:
            mark = "✅" if item["ok"] else "⚠️"
            rows.append(decorated(f"{mark} {esc(item['question'])}",
                                  bottom=esc(item.get("advice") or "")))
        sections.append(section(rows, "Qualification"))
        rows = []
        for item in checks.get("quality") or []:
            mark = LEVEL_MARKS.get(item.get("level"), "✅" if item.get("ok") else "❌")
            rows.append(decorated(f"{mark} {esc(item['message'])}",
                                  top=esc(item["check"].replace("_", " "))))
        sections.append(section(rows, "Quality check"))
    sections.append(section([buttons(button(ctx, "Back to the form", "page", to=page),
                                     button(ctx, "Preview", "preview", page=page))]))
    return card("Quality check", sections, footer=footer(
        button(ctx, "Insert into the email", "insert", filled=True, page=page)))


def preview_card(ctx: Ctx, email: dict, page: str, summary_draft: str | None = None) -> dict:
    """The email as the customer will read it (plain text, shortened)."""
    widgets = [decorated(esc(email["subject"]), top="Subject"),
               paragraph(esc(email["text"], 6000))]
    sections = [section(widgets, "Preview")]
    if summary_draft:
        sections.append(section([paragraph(esc(summary_draft))], "Suggested summary",
                                collapsible=True))
    sections.append(section([buttons(button(ctx, "Back to the form", "page", to=page),
                                     button(ctx, "Check quality", "check", page=page))]))
    return card("Preview", sections, footer=footer(
        button(ctx, "Insert into the email", "insert", filled=True, page=page)))


# -- open message: tracking -----------------------------------------------------------------------


def _when(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


def _value(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)[:300]
    return str(value)


def proposal_widgets(ctx: Ctx, plan_id: str, proposal: dict) -> list[dict]:
    """One proposed change: old → new, the customer's words, Accept and Reject while open."""
    text = f"{esc(_value(proposal['old']), 300)} → <b>{esc(_value(proposal['new']), 300)}</b>"
    widgets = [decorated(text, top=esc(proposal["label"] or proposal["path"]),
                         bottom=esc(f"“{proposal['evidence']}”", 300)
                         if proposal.get("evidence") else None)]
    if proposal["status"] == "open":
        widgets.append(buttons(
            button(ctx, "Accept", "decide", filled=True, plan_id=plan_id,
                   proposal_id=proposal["id"], accept="1"),
            button(ctx, "Reject", "decide", plan_id=plan_id, proposal_id=proposal["id"],
                   accept="0")))
    else:
        done = proposal["status"]
        if proposal.get("result_version"):
            done += f" (version {proposal['result_version']})"
        widgets.append(paragraph(f"<i>{esc(done.capitalize())}</i>"))
    return widgets


def _message_section(ctx: Ctx, plan_id: str, message: dict, new: bool) -> dict:
    reply = message["reply"]
    who = reply["from_name"] or reply["from"]
    top = f"{'NEW · ' if new else ''}{INTENT_LABELS.get(reply['intent'], reply['intent'])}"
    widgets = [decorated(esc(who), top=top, bottom=esc(_when(reply["sent_at"]))),
               paragraph(esc(reply["text"] or "(no new text)", SNIPPET))]
    for question in (reply.get("questions") or [])[:5]:
        widgets.append(decorated(esc(question, 300), top="Question"))
    for proposal in message["proposals"][:20]:
        widgets += proposal_widgets(ctx, plan_id, proposal)
    return section(widgets[:MAX_WIDGETS], esc(reply["subject"] or "Reply", 80))


def tracking_card(ctx: Ctx, plan: dict, messages: list[dict], versions: list[dict], *,
                  new_ids: set | None = None, sync_note: str | None = None) -> dict:
    """The plan of this thread: replies, intents, proposals, confirmation, history, Resend."""
    plan_id = plan["id"]
    status = f"MAP-{plan_id} · version {plan['version']} · {plan['status']}"
    head = [decorated(esc(plan["title"] or plan_id), top="Plan", bottom=esc(status))]
    if sync_note:
        head.append(paragraph(f"<i>{esc(sync_note)}</i>"))
    if plan.get("open_proposals"):
        head.append(paragraph(f"<b>{plan['open_proposals']} change(s) wait for your decision."
                              "</b>"))
    sections = [section(head)]
    for confirmation in (plan.get("confirmations") or [])[-5:]:
        who = confirmation["name"] or confirmation["who"]
        sections.append(section([decorated(
            f"✅ {esc(who)} confirmed version {confirmation['version']}",
            top="Written confirmation", bottom=esc(_when(confirmation["confirmed_at"])))]))
    customer = [m for m in messages if m["reply"]["from_customer"]]
    shown = sorted(customer, key=lambda m: m["reply"]["sent_at"] or "", reverse=True)[:12]
    for message in shown:
        sections.append(_message_section(ctx, plan_id, message, message["id"] in (new_ids or ())))
    if not shown:
        sections.append(section([paragraph("No customer reply in this plan yet.")], "Replies"))
    sections.append(_history_section(ctx, plan_id, versions))
    sections.append(section([buttons(
        button(ctx, "Resend the updated plan", "resend", filled=True, plan_id=plan_id),
        button(ctx, "Refresh", "refresh", plan_id=plan_id))]))
    return card("Mutual Action Plan", sections[:MAX_SECTIONS], subtitle=esc(plan["title"] or ""))


def _history_section(ctx: Ctx, plan_id: str, versions: list[dict]) -> dict:
    widgets = []
    for version in sorted(versions, key=lambda v: v["version"], reverse=True)[:20]:
        source = version["source"].replace("_", " ")
        sent = f" · sent {_when(version['sent_at'])}" if version.get("sent_at") else ""
        diff = None
        if version["version"] > 1:
            diff = button(ctx, "Changes", "diff", plan_id=plan_id, version=version["version"])
        widgets.append(decorated(f"Version {version['version']}: {esc(source)}",
                                 top=esc(_when(version["created_at"])),
                                 bottom=esc(f"{version['author']}{sent}"), button=diff))
    return section(widgets, "Version history", collapsible=True)


def diff_card(ctx: Ctx, plan_id: str, diff: dict) -> dict:
    """The field-level changes from one version to the next."""
    widgets = [decorated(f"{esc(_value(c['old']), 300)} → <b>{esc(_value(c['new']), 300)}</b>",
                         top=esc(c.get("label") or c["path"])) for c in diff["changes"][:90]]
    if not widgets:
        widgets = [paragraph("No field changed.")]
    widgets.append(buttons(button(ctx, "Back", "refresh", plan_id=plan_id)))
    header = f"Changes since version {diff['from']}"
    return card(f"Version {diff['to']}", [section(widgets, header)])


def resend_card(ctx: Ctx, plan_id: str, email: dict, can_draft: bool) -> dict:
    """The updated plan with what changed since the customer's version, and a way to send it."""
    changes = [decorated(f"{esc(_value(c['old']), 200)} → <b>{esc(_value(c['new']), 200)}</b>",
                         top=esc(c.get("label") or c["path"]))
               for c in email.get("changes_since") or []][:40]
    sections = [section([decorated(esc(email["subject"]), top="Subject"),
                         paragraph(esc(email["text"], 4000))], "Updated plan")]
    if changes:
        sections.append(section(changes, f"What changed since version {email['since']}"))
    actions = [button(ctx, "Back", "refresh", plan_id=plan_id)]
    if can_draft:
        actions.insert(0, button(ctx, "Put it in a reply draft", "resend_draft", filled=True,
                                 plan_id=plan_id, since=email["since"]))
    else:
        sections.append(section([paragraph(
            "Open a reply in this thread and choose the add-on there to insert it.")]))
    sections.append(section([buttons(*actions)]))
    return card("Resend", sections, subtitle=f"Version {email['version']}")
