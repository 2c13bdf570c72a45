"""JSON that is already text: a stored plan is sent as it was stored, never parsed and re-encoded.

A plan document is kept as compact JSON. Reading a plan only to parse it and encode it again
for the response took a third of a plan read; RawJSON carries the stored text through the
response encoder instead.
"""

from __future__ import annotations

import json
import secrets

# A stand-in the encoder writes where raw text goes. It starts with NUL (always escaped as
# \u0000) and holds a random per-process token, so a string in a plan cannot look like it by
# chance; if one does anyway, the value is encoded the slow way (see dumps).
_MARK = "\x00raw-json-" + secrets.token_hex(8) + "-"


class RawJSON:
    """Text that is already valid JSON, written into an encoded document as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:40]!r}...)"

    def parsed(self):
        """The value the text encodes."""
        return json.loads(self.text)


def dumps(value, *, default=None, **options) -> str:
    """json.dumps that writes RawJSON values as their text; other options as json.dumps."""
    if isinstance(value, RawJSON):
        return value.text
    raws: list[str] = []

    def stand_in(item):
        if isinstance(item, RawJSON):
            raws.append(item.text)
            return f"{_MARK}{len(raws) - 1}"
        return _other(item, default)

    text = json.dumps(value, default=stand_in, **options)
    marks = [json.dumps(f"{_MARK}{index}") for index in range(len(raws))]
    if any(text.count(mark) != 1 for mark in marks):
        # A string in the value reads like a stand-in: encode the parsed text instead.
        return json.dumps(value, default=lambda item: _parsed(item, default), **options)
    for mark, raw in zip(marks, raws, strict=True):
        text = text.replace(mark, raw, 1)
    return text


def _parsed(item, default):
    return item.parsed() if isinstance(item, RawJSON) else _other(item, default)


def _other(item, default):
    if default is None:
        raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")
    return default(item)
