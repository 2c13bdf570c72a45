"""Real-shaped Google Workspace add-on event objects, as Gmail posts them to HTTP endpoints."""

from __future__ import annotations

import datetime as dt

from google.apps import card_v1
from google.protobuf import json_format

# A thread and message as the add-on surface names them (decimal, msg-f:/thread-f:).
THREAD_DECIMAL = 1788123456789012345
MESSAGE_DECIMAL = 1788123456789099999
THREAD_HEX = format(THREAD_DECIMAL, "x")
MESSAGE_HEX = format(MESSAGE_DECIMAL, "x")


def ms(day: str | dt.date) -> str:
    """A DATE_ONLY picker's msSinceEpoch (midnight UTC), as Gmail sends it (a string)."""
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return str(int(moment.timestamp() * 1000))


def event(*, parameters: dict | None = None, texts: dict | None = None,
          dates: dict | None = None, gmail: dict | None = None,
          user_id_token: str | None = None, oauth_token: str | None = "ya29.user-oauth-token",
          ) -> dict:
    """An event object: commonEventObject (form inputs, parameters), authorization, gmail."""
    inputs = {name: {"stringInputs": {"value": values if isinstance(values, list) else [values]}}
              for name, values in (texts or {}).items()}
    inputs.update({name: {"dateInput": {"msSinceEpoch": ms(day)}}
                   for name, day in (dates or {}).items()})
    common = {"hostApp": "GMAIL", "platform": "WEB", "userLocale": "en",
              "timeZone": {"id": "Europe/Berlin", "offset": 3600000}}
    if inputs:
        common["formInputs"] = inputs
    if parameters:
        common["parameters"] = {k: str(v) for k, v in parameters.items()}
    authorization = {"systemIdToken": "unused-here"}
    if oauth_token:
        authorization["userOAuthToken"] = oauth_token
    if user_id_token:
        authorization["userIdToken"] = user_id_token
    body = {"commonEventObject": common, "authorizationEventObject": authorization}
    if gmail is not None:
        body["gmail"] = gmail
    return body


def compose_gmail(thread: bool = False, to: list[str] | None = None) -> dict:
    """The gmail part of a compose event (draftAccess METADATA gives the recipients)."""
    part = {"toRecipients": to or [], "ccRecipients": [], "bccRecipients": [],
            "accessToken": "AKs-compose-token"}
    if thread:
        part.update(threadId=f"thread-f:{THREAD_DECIMAL}", messageId=f"msg-f:{MESSAGE_DECIMAL}")
    return part


def message_gmail() -> dict:
    """The gmail part of a contextual (open message) event."""
    return {"messageId": f"msg-f:{MESSAGE_DECIMAL}", "threadId": f"thread-f:{THREAD_DECIMAL}",
            "accessToken": "AKs-message-token"}


def parse_card(card: dict):
    """The card through the google-apps-card protos: raises on unknown keys, bad enums, types."""
    return json_format.ParseDict(card, card_v1.Card.pb()())


def cards_of(response: dict) -> list[dict]:
    """The cards of a trigger or click response (pushCard / updateCard)."""
    navigations = (response.get("action") or {}).get("navigations") or (
        ((response.get("renderActions") or {}).get("action") or {}).get("navigations") or [])
    return [step.get("pushCard") or step.get("updateCard") for step in navigations]


def widgets(card: dict) -> list[dict]:
    """Every widget of a card, in order."""
    return [w for s in card["sections"] for w in s["widgets"]]


def all_text(card: dict) -> str:
    """The visible text of a card, joined (for assertions)."""
    out = [card.get("header", {}).get("title", ""), card.get("header", {}).get("subtitle", "")]
    for w in widgets(card):
        for kind in ("textParagraph", "decoratedText"):
            if kind in w:
                out += [w[kind].get(k, "") for k in ("text", "topLabel", "bottomLabel")]
        for b in (w.get("buttonList") or {}).get("buttons", []):
            out.append(b["text"])
        for kind in ("textInput", "selectionInput", "dateTimePicker"):
            if kind in w:
                out.append(w[kind].get("label", ""))
    for key in ("primaryButton", "secondaryButton"):
        if key in card.get("fixedFooter", {}):
            out.append(card["fixedFooter"][key]["text"])
    return "\n".join(out)


def find_button(card: dict, text: str) -> dict:
    """The button with this text (in lists, decorated texts or the footer)."""
    candidates = []
    for w in widgets(card):
        candidates += (w.get("buttonList") or {}).get("buttons", [])
        if "button" in w.get("decoratedText", {}):
            candidates.append(w["decoratedText"]["button"])
    candidates += list(card.get("fixedFooter", {}).values())
    for candidate in candidates:
        if candidate["text"] == text:
            return candidate
    raise AssertionError(f"no button {text!r} in the card")


def button_parameters(button: dict) -> dict:
    """A button's action parameters as a dict."""
    return {p["key"]: p["value"] for p in button["onClick"]["action"]["parameters"]}


def input_names(card: dict) -> list[str]:
    """The names of the card's form inputs."""
    names = []
    for w in widgets(card):
        for kind in ("textInput", "selectionInput", "dateTimePicker"):
            if kind in w:
                names.append(w[kind]["name"])
    return names


def submitted(card: dict, overrides: dict | None = None) -> tuple[dict, dict]:
    """What Gmail sends for the card's inputs as they stand: (texts, dates), with overrides.

    Text inputs send their value, dropdowns their selected item, DATE_ONLY pickers their
    msSinceEpoch; empty inputs are left out, as Gmail does.
    """
    texts, dates = {}, {}
    for w in widgets(card):
        if "textInput" in w and w["textInput"].get("value"):
            texts[w["textInput"]["name"]] = w["textInput"]["value"]
        if "selectionInput" in w:
            chosen = [i["value"] for i in w["selectionInput"]["items"] if i.get("selected")]
            if chosen:
                texts[w["selectionInput"]["name"]] = chosen
        if "dateTimePicker" in w and w["dateTimePicker"].get("valueMsEpoch"):
            moment = int(w["dateTimePicker"]["valueMsEpoch"]) / 1000
            dates[w["dateTimePicker"]["name"]] = dt.datetime.fromtimestamp(moment, dt.UTC).date()
    for name, value in (overrides or {}).items():
        if isinstance(value, dt.date):
            dates[name] = value
        else:
            texts[name] = value
    return texts, dates
