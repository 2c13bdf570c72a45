"""A linear pre-pass that keeps hostile HTML from making Python's html.parser quadratic.

html.parser (CPython 3.11) rescans an unterminated start tag on every step, so a
small body such as ``'<a "' * 10000`` takes tens of seconds. A tag that never
closes before the next ``<`` is not markup a mail client would render as a tag
either, so its ``<`` is written as text before parsing. Comments are kept whole
(Outlook wraps styles and conditional markup in them).
"""

from __future__ import annotations

_OPENERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/!?")


class _Next:
    """The next position of a substring at or after a point, each search done once."""

    def __init__(self, text: str, needle: str):
        self.text, self.needle, self.at = text, needle, -2

    def after(self, start: int) -> int:
        if self.at == -1 or (self.at >= start):
            return self.at
        self.at = self.text.find(self.needle, start)
        return self.at


def defuse(html: str) -> str:
    """html with every unterminated tag opener written as text (&lt;)."""
    if "<" not in html:
        return html
    out, i = [], 0
    next_gt, next_lt, next_end = _Next(html, ">"), _Next(html, "<"), _Next(html, "-->")
    while True:
        j = html.find("<", i)
        if j < 0:
            out.append(html[i:])
            return "".join(out)
        out.append(html[i:j])
        if html.startswith("<!--", j):
            end = next_end.after(j + 4)
            if end >= 0:
                out.append(html[j:end + 3])
                i = end + 3
                continue
        elif j + 1 < len(html) and html[j + 1] in _OPENERS:
            gt, lt = next_gt.after(j + 1), next_lt.after(j + 1)
            if gt >= 0 and (lt < 0 or gt < lt):
                out.append("<")
                i = j + 1
                continue
        else:
            out.append("<")
            i = j + 1
            continue
        out.append("&lt;")
        i = j + 1
