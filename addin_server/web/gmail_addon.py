"""The Gmail add-on endpoints: triggers and button callbacks answering card JSON.

Every request is verified before anything runs (production): the bearer token must be a
Google-signed ID token for this endpoint's URL from the deployment's service account, and the
user comes from the event's userIdToken. Dev mode takes the user from X-Dev-User instead.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, g, request

from ..auth import User
from ..auth.google_addon import bearer, make_request, verify_system_token, verify_user_token
from ..errors import AddinError, BadRequest, NotFound, UpstreamError, ValidationError
from ..gmail import cards, form
from ..gmail.cards import Ctx
from ..gmail.events import AddonEvent, parse_event
from ..mailtext.render import render_email
from ..plans import checks as plan_checks
from ..ports import AbstractMailbox
from ..services import guidance
from ..services import plans as plan_services
from .auth import current_user

bp = Blueprint("gmail_addon", __name__, url_prefix="/gmail")

_PLAN_ID_CHARS = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_MAX_EVENT_BYTES = 512 * 1024


# -- plumbing -------------------------------------------------------------------------------------


def _addin():
    return current_app.extensions["addin"]


def _uow(write: bool = False):
    return _addin().uow(write=write)


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _google_request():
    """The caching transport for Google's certificates, one per app."""
    transport = current_app.extensions.get("google_certs_request")
    if transport is None:
        transport = make_request(timeout=float(current_app.config["OUTBOUND_TIMEOUT"]))
        current_app.extensions["google_certs_request"] = transport
    return transport


def _event_and_user() -> tuple[AddonEvent, User]:
    """Verify the request (production) and read the event; nothing else runs before this."""
    if current_app.config["AUTH_MODE"] != "production":
        return parse_event(_json_body()), current_user()
    config, transport = current_app.config, _google_request()
    # Google's own token first: an unsigned request must not even have its body read.
    verify_system_token(bearer(request.headers.get("Authorization")), _base_url() + request.path,
                        service_account=config.get("GOOGLE_SERVICE_ACCOUNT"),
                        certs_url=config["GOOGLE_CERTS_URL"], request=transport)
    event = parse_event(_json_body())
    user = verify_user_token(event.user_id_token, client_id=config.get("GOOGLE_OAUTH_CLIENT_ID"),
                             certs_url=config["GOOGLE_CERTS_URL"], request=transport)
    g.user = user
    return event, user


def _json_body():
    request.max_content_length = _MAX_EVENT_BYTES
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("Send the event object as JSON.", field="")
    return body


def _ctx(key: str | None = None) -> Ctx:
    return Ctx(action_url=_base_url() + "/gmail/action", key=key)


def _draft_key(event: AddonEvent, user: User) -> str:
    """Where the compose work in progress is saved: per thread in a reply, else per user."""
    return f"gmail:{event.thread_id}" if event.thread_id else f"gmail:{user.id}"


def _load_draft(user: User, key: str) -> dict:
    try:
        document = plan_services.get_draft(_uow(), user.id, key)["document"]
    except NotFound:
        return form.new_draft()
    return {**form.new_draft(), **document}


def _save_draft(user: User, key: str, draft: dict) -> None:
    plan_services.save_draft(_uow(write=True), user.id, key, draft)


def _plan_id_param(event: AddonEvent) -> str:
    value = event.param("plan_id") or ""
    if len(value) != 8 or not set(value) <= _PLAN_ID_CHARS:
        raise BadRequest("plan_id is missing or not a plan id.",
                         field="commonEventObject.parameters.plan_id")
    return value


def _int_param(event: AddonEvent, name: str) -> int:
    value = event.param(name) or ""
    if not value.isdigit() or len(value) > 9:
        raise BadRequest(f"{name} must be a whole number.",
                         field=f"commonEventObject.parameters.{name}")
    return int(value)


def _thread_plan(user: User, thread_hex: str | None) -> dict | None:
    if not thread_hex:
        return None
    found = plan_services.list_plans(_uow(), user.id, thread=f"gmail:{thread_hex}")
    return found[0] if found else None


def _mailbox(event: AddonEvent):
    """The seller's Gmail with the event's tokens, or None when the event carries none."""
    if not event.user_oauth_token:
        return None
    # The factory create_app wired (mailboxes.init_app): a GmailMailbox on GMAIL_API_URL.
    return _addin().mailboxes["gmail"](event.user_oauth_token, event.gmail_token)


# -- triggers -------------------------------------------------------------------------------------


@bp.post("/homepage")
def homepage():
    """The homepage trigger: what the add-on does and the seller's plans."""
    _event, user = _event_and_user()
    plans = plan_services.list_plans(_uow(), user.id)
    return cards.push_card(cards.homepage_card(_ctx(), plans))


@bp.post("/compose")
def compose():
    """The compose trigger: qualification first, or where the seller left off."""
    event, user = _event_and_user()
    key = _draft_key(event, user)
    draft = _load_draft(user, key)
    linked = _thread_plan(user, event.thread_id)
    previous = None
    if draft.get("plan_id") and not event.thread_id:
        # A new message: the plan inserted last time is not this one; start afresh.
        previous = _plan_summary(user, draft["plan_id"])
        draft = form.new_draft()
        _save_draft(user, key, draft)
    page = draft.get("page")
    if page and page in form.pages(draft) and not linked:
        return cards.push_card(cards.plan_page_card(_ctx(key), draft, page))
    return cards.push_card(cards.qualification_card(_ctx(key), draft, linked, previous))


def _plan_summary(user: User, plan_id: str) -> dict | None:
    try:
        stored = plan_services.get_plan(_uow(), user.id, plan_id)
    except NotFound:
        return None
    return {"id": plan_id, "title": stored["title"], "version": stored["version"]}


@bp.post("/message")
def message():
    """The contextual trigger (an open message): the plan of its thread, synced."""
    event, user = _event_and_user()
    thread = event.thread_id or event.message_id
    if not thread:
        raise BadRequest("The event names no Gmail thread or message.", field="gmail.threadId")
    return cards.push_card(_tracking_for_thread(event, user))


@bp.post("/action")
def action():
    """A button callback; commonEventObject.parameters.action names what to do."""
    event, user = _event_and_user()
    handler = ACTIONS.get(event.action or "")
    if handler is None:
        raise BadRequest(f"Unknown action {event.action!r}.",
                         field="commonEventObject.parameters.action")
    try:
        return handler(event, user)
    except ValidationError as error:
        where = f" ({error.field})" if error.field else ""
        return cards.notification(f"{error.message}{where}")
    except AddinError as error:
        if error.status in (400, 401):
            raise
        return cards.notification(error.message)


# -- compose actions ------------------------------------------------------------------------------


def _key(event: AddonEvent, user: User) -> str:
    key = event.param("key") or _draft_key(event, user)
    if not key.startswith("gmail:") or len(key) > 200:
        raise BadRequest("key is not a Gmail draft key.", field="commonEventObject.parameters.key")
    return key


def _merged(event: AddonEvent, user: User) -> tuple[str, dict, str]:
    """The key, the draft with the clicked page's inputs merged (and saved), and that page."""
    key = _key(event, user)
    draft = _load_draft(user, key)
    page = event.param("page") or ""
    if page == "qualification":
        draft = form.merge_qualification(draft, event)
    elif page:
        draft = form.merge_page(draft, page, event)
    return key, draft, page or "basics"


def _show_page(user: User, key: str, draft: dict, page: str, toast: str | None = None,
               notes: list[str] | None = None) -> dict:
    draft["page"] = page
    _save_draft(user, key, draft)
    return cards.update_card(cards.plan_page_card(_ctx(key), draft, page, notes), toast)


def do_qualify(event: AddonEvent, user: User) -> dict:
    """Save the four answers; go on to the plan, or show what to do for each "no"."""
    key = _key(event, user)
    draft = form.merge_qualification(_load_draft(user, key), event)
    if event.param("next"):
        return _show_page(user, key, draft, "basics")
    _save_draft(user, key, draft)
    return cards.update_card(cards.qualification_card(_ctx(key), draft), "Answers saved")


def do_page(event: AddonEvent, user: User) -> dict:
    """Keep the page's inputs and go to another page (Back/Next)."""
    key, draft, _page = _merged(event, user)
    target = event.param("to") or "basics"
    if target == "qualification":
        _save_draft(user, key, draft)
        return cards.update_card(cards.qualification_card(_ctx(key), draft))
    if target not in form.pages(draft):
        target = "basics"
    return _show_page(user, key, draft, target)


def do_add_row(event: AddonEvent, user: User) -> dict:
    """Append a blank stakeholder, KPI or milestone and show the page that holds it."""
    key, draft, _page = _merged(event, user)
    name = event.param("collection") or ""
    if name not in form.ROW_FIELDS:
        raise BadRequest("collection must be kpis, stakeholders or milestones.",
                         field="commonEventObject.parameters.collection")
    draft = form.add_row(draft, name)
    last = [p for p in form.pages(draft) if p.startswith(name + ".")][-1]
    return _show_page(user, key, draft, last)


def do_timeline(event: AddonEvent, user: User) -> dict:
    """Propose milestones backward from the value-realized date."""
    key, draft, _page = _merged(event, user)
    day = event.dates.get("value_realized")
    if day is None:
        return cards.notification("Pick the value-realized date first (value_realized).")
    country = form.get_path(draft.get("plan") or {}, "customer.country")
    proposal = guidance.timeline({"value_realized": day.isoformat(),
                                  "today": event.today().isoformat(), "country": country})
    draft["value_realized"] = day.isoformat()
    form.set_collection(draft.setdefault("plan", {}), "milestones", proposal["milestones"])
    notes = [w["message"] for w in proposal["warnings"]]
    toast = f"{len(proposal['milestones'])} milestones proposed: edit them below."
    return _show_page(user, key, draft, "milestones.0", toast, notes)


def _preview(draft: dict, today: dt.date) -> dict:
    """guidance.preview of the draft's plan (ValidationError names the field to fix)."""
    body = {"plan": form.plan_document(draft)}
    if draft.get("plan_id"):
        body.update(plan_id=draft["plan_id"], version=(draft.get("version") or 0) + 1)
    return guidance.preview(body, today)


def _fix_first(key: str, draft: dict, page: str, error: ValidationError) -> dict:
    """The checks card saying which field to fix first (the plan is not valid yet)."""
    qualification = plan_checks.qualification(form.plan_document(draft))
    built = cards.checks_card(_ctx(key), {"qualification": qualification}, page,
                              error={"message": error.message, "field": error.field})
    return cards.update_card(built, "The plan is not complete yet.")


def _saved_preview(event: AddonEvent, user: User, show) -> dict:
    """Save the form, preview the plan, and answer with show(key, draft, page, result);
    an incomplete plan answers with the card naming the field to fix."""
    key, draft, page = _merged(event, user)
    _save_draft(user, key, draft)
    try:
        result = _preview(draft, event.today())
    except ValidationError as error:
        return _fix_first(key, draft, page, error)
    return cards.update_card(show(key, draft, page, result))


def do_check(event: AddonEvent, user: User) -> dict:
    """The qualification and quality checks of the plan as it stands."""
    return _saved_preview(event, user, lambda key, _draft, page, result: cards.checks_card(
        _ctx(key), result["checks"], page))


def do_preview(event: AddonEvent, user: User) -> dict:
    """The email as the customer will read it."""

    def show(key, draft, page, result):
        summary = None if (draft.get("plan") or {}).get("summary") else result["summary_draft"]
        return cards.preview_card(_ctx(key), result["email"], page, summary)

    return _saved_preview(event, user, show)


def do_insert(event: AddonEvent, user: User) -> dict:
    """Store the plan (version 1, or the next version) and put it into the open draft."""
    key, draft, page = _merged(event, user)
    _save_draft(user, key, draft)
    document = form.plan_document(draft)
    try:
        stored = _store(user, draft, document)
    except ValidationError as error:
        return _fix_first(key, draft, page, error)
    draft.update(plan_id=stored["id"], version=stored["version"])
    _save_draft(user, key, draft)
    if event.thread_id:
        plan_services.link_thread(_uow(write=True), user.id, stored["id"], {
            "provider": "gmail", "thread_id": event.thread_id, "version": stored["version"]})
    email = guidance.email(_uow(), user.id, stored["id"])
    # In a reply the subject stays "Re: ...": changing it would split the conversation.
    subject = None if event.thread_id else email["subject"]
    recipients = form.customer_emails(stored["plan"], event.to_recipients)
    return cards.update_draft(subject, email["html"], recipients)


def _store(user: User, draft: dict, document: dict) -> dict:
    if draft.get("plan_id"):
        try:
            return plan_services.revise_plan(_uow(write=True), user.id, draft["plan_id"],
                                             document, int(draft.get("version") or 1))
        except NotFound:
            pass  # the plan was deleted: store the draft as a new plan
    return plan_services.create_plan(_uow(write=True), user.id, document)


def do_insert_update(event: AddonEvent, user: User) -> dict:
    """In a reply on a plan's thread: insert the current plan with what changed since."""
    from ..services import replies as reply_services

    plan_id = _plan_id_param(event)
    email = reply_services.resend(_uow(write=True), user.id, plan_id, {})
    if event.thread_id:
        _ensure_linked(user, plan_id, event.thread_id, email["version"])
    return cards.update_draft(None, email["html"], [])


def _ensure_linked(user: User, plan_id: str, thread_hex: str, version: int) -> None:
    linked = _thread_plan(user, thread_hex)
    if linked is None:
        plan_services.link_thread(_uow(write=True), user.id, plan_id, {
            "provider": "gmail", "thread_id": thread_hex, "version": version})


def do_edit_plan(event: AddonEvent, user: User) -> dict:
    """Load a stored plan into the form to revise it."""
    plan_id = _plan_id_param(event)
    stored = plan_services.get_plan(_uow(), user.id, plan_id)
    key = _key(event, user)
    draft = {**form.new_draft(), "plan": stored["plan"], "plan_id": plan_id,
             "version": stored["version"]}
    return _show_page(user, key, draft, "basics", f"Editing MAP-{plan_id}")


# -- tracking actions -----------------------------------------------------------------------------


def _tracking_card(user: User, plan_id: str, *, new_ids=None, note: str | None = None) -> dict:
    from ..services import replies as reply_services

    plan = plan_services.get_plan(_uow(), user.id, plan_id)
    messages = reply_services.list_messages(_uow(), user.id, plan_id)
    versions = plan_services.list_versions(_uow(), user.id, plan_id)
    return cards.tracking_card(_ctx(), plan, messages, versions, new_ids=new_ids,
                               sync_note=note)


def _find_plan_in_thread(user: User, messages) -> str | None:
    """The plan reference (MAP-<id>) quoted in one of the thread's messages, if it is ours."""
    from ..mailtext.readback import find_plan_ref
    from ..mailtext.sanitize import html_to_text
    from ..replies.mime import parse_message

    for item in reversed(messages):
        if not item.raw:
            continue
        try:
            parsed = parse_message(item.raw)
        except AddinError:
            continue
        ref = find_plan_ref(parsed.text or (html_to_text(parsed.html) if parsed.html else ""))
        if ref:
            try:
                plan_services.get_plan(_uow(), user.id, ref[0])
            except NotFound:
                continue  # someone else's plan: not ours to show
            return ref[0]
    return None


def _tracking_for_thread(event: AddonEvent, user: User) -> dict:
    from ..services.sync import sync_thread

    thread = event.thread_id or event.message_id
    linked = _thread_plan(user, thread)
    mailbox = _mailbox(event)
    plan_id = linked["id"] if linked else None
    if plan_id is None:
        if mailbox is None:
            return _no_plan_card()
        try:
            fetched = mailbox.list_thread(thread)
        except AddinError as error:
            return cards.message_card("Mutual Action Plan", f"Could not read this thread: "
                                      f"{error.message}")
        plan_id = _find_plan_in_thread(user, fetched)
        if plan_id is None:
            return _no_plan_card()
        mailbox = _Fetched(mailbox, thread, fetched)  # the sync below need not download again
    if mailbox is None:
        return _tracking_card(user, plan_id, note="Open the message again to read new replies.")
    try:
        report = sync_thread(_addin().uow, user, plan_id, mailbox, thread,
                             max_bytes=int(current_app.config["MAX_MESSAGE_BYTES"]))
    except AddinError as error:
        return _tracking_card(user, plan_id, note=f"Could not read new replies: {error.message}")
    note = f"{len(report['new'])} new repl{'y' if len(report['new']) == 1 else 'ies'}."
    if report["errors"]:
        note += f" {len(report['errors'])} message(s) could not be read."
    return _tracking_card(user, plan_id, new_ids={r["id"] for r in report["new"]}, note=note)


class _Fetched(AbstractMailbox):
    """A mailbox whose thread was just downloaded: list_thread answers from memory once."""

    provider = "gmail"

    def __init__(self, inner, thread_id: str, messages: list):
        self._inner, self._thread_id, self._messages = inner, thread_id, messages

    def list_thread(self, thread_id: str, skip_ids=frozenset()) -> list:
        if thread_id != self._thread_id:
            return self._inner.list_thread(thread_id, skip_ids=skip_ids)
        return list(self._messages)

    def create_reply_draft(self, *args) -> str:
        return self._inner.create_reply_draft(*args)

    def send_reply(self, *args) -> str:
        return self._inner.send_reply(*args)


def _no_plan_card() -> dict:
    return cards.message_card(
        "Mutual Action Plan",
        "No plan belongs to this conversation. Reply and choose the add-on in the compose "
        "window to build one, or open a thread where you sent a plan.")


def do_show_plan(event: AddonEvent, user: User) -> dict:
    """A plan's tracking card (from the homepage)."""
    return cards.update_card(_tracking_card(user, _plan_id_param(event)))


def do_refresh(event: AddonEvent, user: User) -> dict:
    """Read the thread again (when the event has one) and redraw the tracking card."""
    plan_id = _plan_id_param(event)
    if event.thread_id and event.user_oauth_token:
        linked = _thread_plan(user, event.thread_id)
        if linked and linked["id"] == plan_id:
            return cards.update_card(_tracking_for_thread(event, user))
    return cards.update_card(_tracking_card(user, plan_id))


def do_decide(event: AddonEvent, user: User) -> dict:
    """Accept (a new version) or reject one proposed change."""
    from ..services import replies as reply_services

    plan_id = _plan_id_param(event)
    proposal_id = _int_param(event, "proposal_id")
    accept = event.param("accept") == "1"
    result = reply_services.decide(_uow(write=True), user.id, plan_id, proposal_id, accept=accept)
    toast = f"Accepted: version {result['version']}." if accept else "Rejected."
    return cards.update_card(_tracking_card(user, plan_id), toast)


def do_diff(event: AddonEvent, user: User) -> dict:
    """What one version changed against the one before."""
    plan_id = _plan_id_param(event)
    version = _int_param(event, "version")
    if version < 2:
        raise BadRequest("version must be 2 or more.", field="commonEventObject.parameters.version")
    diff = plan_services.diff_versions(_uow(), user.id, plan_id, version - 1, version)
    return cards.update_card(cards.diff_card(_ctx(), plan_id, diff))


def _updated_email(user: User, plan_id: str, since: int | None = None) -> dict:
    """The current plan with what changed since the customer's version; nothing is marked sent."""
    stored = plan_services.get_plan(_uow(), user.id, plan_id)
    since = since or stored["sent_version"] or 1
    if not 1 <= since <= stored["version"]:
        raise ValidationError(f"/since: there is no version {since}.", field="/since")
    diff = plan_services.diff_versions(_uow(), user.id, plan_id, since, stored["version"])
    rendered = render_email(stored["plan"], plan_id=plan_id, version=stored["version"],
                            changes_since=diff["changes"], since_version=since)
    return {**rendered, "version": stored["version"], "since": since,
            "changes_since": diff["changes"]}


def do_resend(event: AddonEvent, user: User) -> dict:
    """The updated plan to send again, with a way to put it into a reply draft."""
    plan_id = _plan_id_param(event)
    email = _updated_email(user, plan_id)
    can_draft = bool(event.thread_id and event.user_oauth_token)
    return cards.update_card(cards.resend_card(_ctx(), plan_id, email, can_draft))


def do_resend_draft(event: AddonEvent, user: User) -> dict:
    """Create the reply draft with the updated plan in this thread and open it."""
    from ..services.sync import send_plan

    plan_id = _plan_id_param(event)
    mailbox = _mailbox(event)
    if mailbox is None or not event.thread_id:
        return cards.notification("Open the plan's conversation to create the reply draft.")
    since = _int_param(event, "since") if event.param("since") else None
    try:
        result = send_plan(_addin().uow, user, plan_id, mailbox, event.thread_id,
                           event.message_id, since=since, mode="draft")
    except UpstreamError as error:
        return cards.notification(error.message)
    return cards.open_created_draft(result["draft_id"], event.thread_id)


ACTIONS = {
    "qualify": do_qualify,
    "page": do_page,
    "add_row": do_add_row,
    "timeline": do_timeline,
    "check": do_check,
    "preview": do_preview,
    "insert": do_insert,
    "insert_update": do_insert_update,
    "edit_plan": do_edit_plan,
    "show_plan": do_show_plan,
    "refresh": do_refresh,
    "decide": do_decide,
    "diff": do_diff,
    "resend": do_resend,
    "resend_draft": do_resend_draft,
}
