"""The customer's own part of an HTML reply: everything before the client's quote container."""

from __future__ import annotations

from html.parser import HTMLParser

from .extract_html import _is_cited, _is_quote_container
from .htmlguard import defuse

# Sanitising is the slow step of ingestion; the new part of a real reply is a few KB.
MAX_NEW_PART = 64 * 1024


class _Stop(Exception):
    pass


class _QuoteFinder(HTMLParser):
    """Stops at the first element a known client wraps the quoted history in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.position: tuple[int, int] | None = None

    def handle_starttag(self, tag, attrs):
        if _is_quote_container(tag, attrs) or _is_cited(tag, attrs):
            self.position = self.getpos()
            raise _Stop


def _offset(html: str, position: tuple[int, int]) -> int:
    line, column = position
    start = 0
    for _ in range(line - 1):
        start = html.index("\n", start) + 1
    return start + column


def new_part(html: str) -> str | None:
    """The HTML before the quoted history, or None when it is too large to keep."""
    finder = _QuoteFinder()
    try:
        finder.feed(defuse(html))
        finder.close()
    except _Stop:
        pass
    except (AssertionError, ValueError, IndexError, TypeError):
        return None
    head = html if finder.position is None else html[: _offset(html, finder.position)]
    return head if len(head) <= MAX_NEW_PART else None
