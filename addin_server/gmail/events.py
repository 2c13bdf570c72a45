"""Reading a Workspace add-on event object: parameters, form inputs, dates and Gmail ids.

Gmail posts one JSON event per trigger or click (commonEventObject, authorizationEventObject,
gmail). Everything here is plain Python so it can be tested without Flask.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..errors import BadRequest

_HEX_ID = re.compile(r"^[0-9a-fA-F]{1,32}$")
_DECIMAL_ID = re.compile(r"^(?:msg-f|thread-f|msg-a|thread-a):(\d{1,40})$")
_MAX_TEXT = 20_000


def hex_id(value: str | None, where: str) -> str | None:
    """A Gmail API id (hex) from an add-on id, converting 'msg-f:<decimal>' forms."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a string.", field=where)
    match = _DECIMAL_ID.match(value)
    if match:
        # The add-on surface names messages by their decimal id; the Gmail API wants hex.
        return format(int(value.split(":")[1]), "x")
    if _HEX_ID.match(value):
        return value.lower()
    raise BadRequest(f"{where} is not a Gmail id.", field=where)


def date_to_ms(day: dt.date) -> int:
    """Milliseconds since the epoch at midnight UTC of day: what a DATE_ONLY picker holds."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def ms_to_date(value, where: str) -> dt.date:
    """The UTC calendar date of a msSinceEpoch value (number or numeric string)."""
    try:
        ms = int(value)
        return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date()
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadRequest(f"{where} must be a date (msSinceEpoch).", field=where) from None


@dataclass
class AddonEvent:
    """The parts of an event object the add-on uses."""

    parameters: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)  # widget name -> list of strings
    dates: dict = field(default_factory=dict)  # widget name -> date
    message_id: str | None = None  # hex
    thread_id: str | None = None  # hex
    gmail_token: str | None = None
    user_oauth_token: str | None = None
    user_id_token: str | None = None
    to_recipients: list = field(default_factory=list)
    locale: str | None = None
    timezone_offset_ms: int = 0

    @property
    def action(self) -> str | None:
        """The callback's action name (commonEventObject.parameters.action)."""
        return self.parameters.get("action")

    def param(self, name: str) -> str | None:
        """One action parameter, or None."""
        return self.parameters.get(name)

    def text(self, name: str) -> str:
        """A text or single-choice input, stripped ('' when absent)."""
        values = self.texts.get(name) or []
        return values[0].strip() if values else ""

    def today(self) -> dt.date:
        """Today in the user's time zone (Gmail sends the offset)."""
        now = dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=self.timezone_offset_ms)
        return now.date()


def _object(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be an object.", field=where)
    return value


def _parameters(common: dict) -> dict:
    params = _object(common.get("parameters"), "commonEventObject.parameters")
    for key, value in params.items():
        if not isinstance(value, str) or len(value) > 1000:
            where = f"commonEventObject.parameters.{key}"
            raise BadRequest(f"{where} must be a short string.", field=where)
    return dict(params)


def _form_inputs(common: dict) -> tuple[dict, dict]:
    """Text values and dates from commonEventObject.formInputs."""
    inputs = _object(common.get("formInputs"), "commonEventObject.formInputs")
    texts, dates = {}, {}
    for name, value in inputs.items():
        where = f"commonEventObject.formInputs.{name}"
        value = _object(value, where)
        if "stringInputs" in value:
            strings = _object(value["stringInputs"], where + ".stringInputs").get("value") or []
            if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
                raise BadRequest(f"{where}.stringInputs.value must be a list of strings.",
                                 field=where)
            texts[name] = [s[:_MAX_TEXT] for s in strings[:200]]
        for kind in ("dateInput", "dateTimeInput"):
            if kind in value:
                ms = _object(value[kind], f"{where}.{kind}").get("msSinceEpoch")
                dates[name] = ms_to_date(ms, f"{where}.{kind}.msSinceEpoch")
    return texts, dates


def _timezone_offset(common: dict) -> int:
    zone = _object(common.get("timeZone"), "commonEventObject.timeZone")
    offset = zone.get("offset", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or abs(offset) > 86_400_000:
        return 0
    return offset


def _recipients(gmail: dict) -> list[str]:
    values = gmail.get("toRecipients") or []
    if not isinstance(values, list):
        raise BadRequest("gmail.toRecipients must be a list.", field="gmail.toRecipients")
    return [v.strip() for v in values if isinstance(v, str) and "@" in v][:100]


def _token(container: dict, key: str, where: str) -> str | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 8192:
        raise BadRequest(f"{where} must be a token string.", field=where)
    return value


def parse_event(body) -> AddonEvent:
    """The event object as an AddonEvent, or BadRequest naming the field that is wrong."""
    if not isinstance(body, dict):
        raise BadRequest("The event must be a JSON object.", field="")
    common = _object(body.get("commonEventObject"), "commonEventObject")
    authorization = _object(body.get("authorizationEventObject"), "authorizationEventObject")
    gmail = _object(body.get("gmail"), "gmail")
    texts, dates = _form_inputs(common)
    locale = common.get("userLocale")
    return AddonEvent(
        parameters=_parameters(common),
        texts=texts,
        dates=dates,
        message_id=hex_id(gmail.get("messageId"), "gmail.messageId"),
        thread_id=hex_id(gmail.get("threadId"), "gmail.threadId"),
        gmail_token=_token(gmail, "accessToken", "gmail.accessToken"),
        user_oauth_token=_token(authorization, "userOAuthToken",
                                "authorizationEventObject.userOAuthToken"),
        user_id_token=_token(authorization, "userIdToken", "authorizationEventObject.userIdToken"),
        to_recipients=_recipients(gmail),
        locale=locale if isinstance(locale, str) else None,
        timezone_offset_ms=_timezone_offset(common),
    )
