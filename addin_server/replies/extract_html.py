"""HTML reply bodies to annotated plain-text lines, with quote containers marked."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .htmlguard import defuse
from .quote_patterns import HEADER_LABEL

# Line kinds shared with the text algorithm.
TEXT = "t"  # ordinary line
QUOTED = "q"  # inside a <blockquote>: structurally quoted
CUT = "h"  # a client's quote container starts here: everything after is history
CITE = "c"  # a cited block starts here (Apple, Thunderbird): text may resume after it
RULE = "r"  # a horizontal rule (<hr> or an Outlook border-top div)

_BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p "
    "pre section summary table tbody td tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset("script style title template noscript xml".split())
_VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)

# Quote containers of known clients, recognised by class or id (lowercase substrings).
_QUOTE_CLASSES = (
    "gmail_quote",  # Gmail
    "yahoo_quoted",  # Yahoo Mail (class is prefixed, e.g. "ydp1234yahoo_quoted")
    "protonmail_quote",  # Proton Mail
    "zmail_extra",  # Zoho
    "outlookmessageheader",  # older Outlook
    "mail-editor-reference-message-container",  # Outlook for Mac
)
_QUOTE_IDS = (
    "divrplyfwdmsg",  # Outlook on the web / desktop ("x_divRplyFwdMsg" when re-quoted)
    "appendonsend",  # new Outlook
    "olk_src_body_section",  # Outlook for Mac
    "zwchr",  # Zimbra's rule above the quoted part
    "aolmsgpart",  # AOL
)
_WS = re.compile(r"[ \t\r\n\f\v]+")
_BORDER_TOP = re.compile(r"border-top\s*:\s*solid|border-top-style\s*:\s*solid", re.I)


# Parsing cost follows the number of tags, not bytes (inline images are long attributes):
# the new text sits at the top, so reading stops after this many tags.
MAX_TAGS = 6000


class _Done(Exception):
    """Raised inside the parser once a quote container is reached: the rest is history."""


class _LineParser(HTMLParser):
    """Streams visible text into lines; marks blockquote depth and client quote containers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[str, str]] = []
        self._parts: list[str] = []
        self._skip = 0
        self._pre = 0
        self._quote_depth = 0
        self._cite_divs = 0  # open divs inside Thunderbird's attribution div
        self._after_rule = False  # a rule was just drawn: is a "Label:" header next?
        self._line_quoted = False
        self._tags = 0

    def updatepos(self, i: int, j: int) -> int:
        """Skip html.parser's line/column bookkeeping: positions are never reported here."""
        return j

    def _flush(self, force: bool = False) -> None:
        text = "".join(self._parts).strip()
        self._parts = []
        if text or force:
            self.lines.append((text, QUOTED if self._line_quoted else TEXT))
        self._line_quoted = self._quote_depth > 0

    def _mark(self, kind: str) -> None:
        self._flush()
        self.lines.append(("", kind))
        self._after_rule = kind == RULE

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._tags += 1
        if self._tags > MAX_TAGS:
            raise _Done
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if tag == "br":
            self._flush(force=True)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "pre":
            self._pre += 1
        if tag == "div" and self._cite_divs:
            self._cite_divs += 1
        if self._skip or self._quote_depth:
            if tag == "blockquote":
                self._quote_depth += 1
            return
        if _is_cited(tag, attrs):
            # Apple Mail and Thunderbird cite without a closing container, and their users
            # sometimes write below the quote: mark the start, quote the block, read on.
            self._mark(CITE)
            self._quote_depth += 1
            self._line_quoted = True
            if tag == "div":
                self._cite_divs = 1
            return
        if _is_quote_container(tag, attrs):
            self._mark(CUT)
            raise _Done
        if tag == "hr" or (tag == "div" and _has_top_border(attrs)):
            self._mark(RULE)
        if tag == "blockquote":
            self._quote_depth += 1
            self._line_quoted = True

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        # "<div/>" or "<blockquote/>" opens nothing: start and end at once.
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        closes_cite = False
        if tag == "div" and self._cite_divs:
            self._cite_divs -= 1
            closes_cite = not self._cite_divs
        if (tag == "blockquote" or closes_cite) and self._quote_depth:
            self._quote_depth -= 1
            self._line_quoted = self._quote_depth > 0

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._quote_depth:
            self._line_quoted = True
        if self._after_rule and data.strip():
            self._after_rule = False
            head = data.strip().replace("\xa0", " ")
            if HEADER_LABEL.match(head):
                # Outlook's rule above "From: ...": the rest is history.
                self._mark(CUT)
                raise _Done
        if self._pre:
            # Preformatted text keeps its own line breaks.
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._parts.append(first)
            for piece in rest:
                self._flush(force=True)
                self._parts.append(piece)
            return
        self._parts.append(_WS.sub(" ", data))

    def close(self) -> None:
        super().close()
        self._flush()


def _is_quote_container(tag: str, attrs: list) -> bool:
    """True for the wrapper a known client puts around all of the quoted history."""
    for name, value in attrs:
        if not value:
            continue
        low = value.lower()
        if name == "class" and any(marker in low for marker in _QUOTE_CLASSES):
            return True
        if name == "id" and any(marker in low for marker in _QUOTE_IDS):
            return True
    return False


def _is_cited(tag: str, attrs: list) -> bool:
    """A <blockquote type="cite"> or Thunderbird's attribution div ("moz-cite-prefix")."""
    for name, value in attrs:
        low = (value or "").lower()
        if tag == "blockquote" and name == "type" and low == "cite":
            return True
        if tag == "div" and name == "class" and "moz-cite-prefix" in low:
            return True
    return False


def _has_top_border(attrs: list) -> bool:
    """Outlook separates the quoted header with a div whose only visible part is a top border."""
    for name, value in attrs:
        if name == "style" and value and _BORDER_TOP.search(value):
            return True
    return False


_TAG = re.compile(r"<[^>]{0,2000}>")


def _parse(html: str) -> _LineParser | None:
    """Feed the whole document; None when html.parser rejects it."""
    parser = _LineParser()
    try:
        parser.feed(defuse(html))
        parser.close()
    except _Done:
        pass
    except (AssertionError, ValueError, IndexError, TypeError):
        return None
    return parser


def html_to_lines(html: str) -> list[tuple[str, str]]:
    """Visible lines of an HTML body as (text, kind); parsing stops at a client quote container."""
    parser = _parse(html)
    if parser is None:
        # html.parser gives up on some malformed "<!" declarations: read them as text instead.
        parser = _parse(html.replace("<!", "&lt;!").replace("&lt;!--", "<!--"))
    if parser is None:
        parser = _parse(_TAG.sub(" ", html)) or _LineParser()
    return [(text.replace("\xa0", " "), kind) for text, kind in parser.lines]
