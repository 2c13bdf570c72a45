"""The new text of a reply email: quoted history, client footers and signatures removed.

The body becomes a list of lines, each with a kind (text, quoted, client quote container, rule).
The first quote signal at top level (an attribution line such as "On <date>, <name> wrote:",
a "From:/Sent:/To:" header block, an "Original Message" separator, a client quote container)
ends the reply; when the quoted history under it is ">"-quoted and text resumes after it
(bottom posting, a closing line), that text is part of the reply too.

Signatures: only what the person did not type is removed, a block under an RFC 3676 "-- "
delimiter and a client footer such as "Sent from my iPhone"; sign-offs ("Thanks, Ana") stay.
"""

from __future__ import annotations

import re

from . import quote_patterns as P
from .extract_html import CITE, CUT, QUOTED, RULE, TEXT, html_to_lines

MAX_HTML_CHARS = 1024 * 1024  # the reply sits at the top; extract_html also caps the tag count
MAX_TEXT_CHARS = 64 * 1024
MAX_HEADER_LINE = 1000  # attribution and header lines are short: skip pattern work on long lines
LOOKAHEAD = 5  # an attribution line may be wrapped over this many lines
MAX_SIG_LINES = 12  # a "-- " signature is short; a longer tail is probably content
_EMPTY = "e"
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u202a-\u202e\u2060\ufeff\x00]")
_NEWLINES = re.compile(r"\r\n?")
_TRAILING_DASHES = re.compile(r"[\s-]+$")
_SENTENCE_END = re.compile(r"[.!?;。！？]$")
# Every quote signal has a colon, a date digit, a leading rule or a closing bracket or dash;
# prose lines without any of these skip the pattern work.
_MAYBE_HEADER = re.compile(r"[:：\d]|^[-_]|[>-]$")


def extract_reply(body: str, content_type: str = "text/plain") -> str:
    """The new text of a reply, as plain text, with quoted history and signature removed."""
    if body is None:
        return ""
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", errors="replace")
    if not isinstance(body, str):
        raise TypeError(f"body must be str, not {type(body).__name__}")
    is_html = "html" in (content_type or "").lower()
    if is_html:
        lines = html_to_lines(body[:MAX_HTML_CHARS])
    else:
        text = _NEWLINES.sub("\n", body[:MAX_TEXT_CHARS])
        lines = [(line.rstrip(), TEXT) for line in text.split("\n")]
    return _Reply(lines, is_html).text()


class _Reply:
    """One body's lines, their classification and the walk that keeps the new text."""

    def __init__(self, lines: list[tuple[str, str]], is_html: bool = False) -> None:
        """Classify every line once: empty, text, quoted, or a marker from the HTML reader."""
        self.is_html = is_html
        self.texts = [text for text, _ in lines]
        # One pass over the joined text is cheaper than one per line; no newline is removed.
        plain = _INVISIBLE.sub("", "\n".join(self.texts)).split("\n")
        if len(plain) != len(self.texts):
            plain = [_INVISIBLE.sub("", text) for text in self.texts]
        self.plain = [line.strip() for line in plain]
        self.kinds = [self._kind(text, plain, kind) for text, plain, kind in zip(
            self.texts, self.plain, [k for _, k in lines], strict=True)]
        self.strong = [kind == QUOTED for _, kind in lines]

    @staticmethod
    def _kind(text: str, plain: str, kind: str) -> str:
        """A line's kind: HTML markers pass through; ">" or <blockquote> lines are quoted."""
        if kind in (CUT, RULE, CITE):
            return kind
        if not plain:
            return _EMPTY
        if kind == QUOTED or P.QUOTE_PREFIX.match(text):
            return QUOTED
        return TEXT

    # ----------------------------------------------------------------- the walk

    def text(self) -> str:
        """Walk from the top, keeping text until quoted history; resume after >-quoted history."""
        kept: list[tuple[int, str]] = []  # (line index, text) in output order
        explicit = False
        i, n = 0, len(self.texts)
        while i < n:
            found = self._next_splitter(i)
            if found is None:
                kept.extend((k, self.texts[k]) for k in range(i, n))
                break
            start, end, hard, prefix = found
            kept.extend((k, self.texts[k]) for k in range(i, start))
            if prefix:
                kept.append((start, prefix))
            explicit = True
            if hard:
                break
            i = self._skip_quoted_history(end + 1)
            if i is None:
                break
        lines = self._drop_unheaded_quotes(kept, explicit)
        result = _tidy([text for _, text in lines])
        if not result and not explicit:
            # Only a guess removed everything (an unattributed blockquote): keep the whole body.
            pairs = zip(self.texts, self.kinds, strict=True)
            return _tidy([text for text, kind in pairs if kind not in (CUT, CITE)])
        return result

    def _skip_quoted_history(self, i: int) -> int | None:
        """After a quote header: the index where text resumes, or None if history runs on."""
        n = len(self.texts)
        while i < n and self.kinds[i] == _EMPTY:
            i += 1
        if i >= n or self.kinds[i] not in (QUOTED, CITE):
            return None
        while i < n:
            kind = self.kinds[i]
            if kind in (QUOTED, CITE, _EMPTY):
                i += 1
            elif kind == TEXT and self._wrapped_link(i):
                i += 1
            else:
                break
        return i

    def _wrapped_link(self, i: int) -> bool:
        """A hard-wrapped URL between two quoted lines still belongs to the quote."""
        plain = self.plain[i]
        if not (P.LINK_ONLY.match(plain) or P.URL_FRAGMENT.match(plain)):
            return False
        after = self._next_nonempty(i + 1)
        return after is not None and self.kinds[after] == QUOTED

    def _drop_unheaded_quotes(
        self, kept: list[tuple[int, str]], explicit: bool
    ) -> list[tuple[int, str]]:
        """Remove quoted runs that came without an attribution line."""
        kept = [(k, t) for k, t in kept if self.kinds[k] not in (CUT, RULE, CITE)]
        quoted = [pos for pos, (k, _) in enumerate(kept) if self.kinds[k] == QUOTED]
        if not quoted:
            return kept
        weak = [pos for pos in quoted if not self.strong[kept[pos][0]]]
        drop: set[int] = set()
        if weak:
            # ">" lines: a single one mid-text may be an arrow or emphasis, not a quote.
            last_text = max(
                (pos for pos, (k, _) in enumerate(kept) if self.kinds[k] == TEXT), default=-1
            )
            # In HTML a lone "&gt;" line is text (clients quote with <blockquote>).
            if len(weak) >= 2 or (weak[-1] > last_text and not self.is_html):
                drop.update(weak)
        strong = [pos for pos in quoted if self.strong[kept[pos][0]]]
        if strong and not explicit:
            # An unattributed <blockquote> may be the writer's own indentation (Gmail's indent
            # button); only the last one, where clients put history, is taken as quoted.
            run_end = strong[-1]
            run = [run_end]
            for pos in range(run_end - 1, -1, -1):
                kind = self.kinds[kept[pos][0]]
                if kind == _EMPTY or (kind == QUOTED and self.strong[kept[pos][0]]):
                    run.append(pos)
                    continue
                break
            drop.update(run)
        return [item for pos, item in enumerate(kept) if pos not in drop]

    # ----------------------------------------------------------- quote headers

    def _next_splitter(self, i: int) -> tuple[int, int, bool, str] | None:
        """The first quote signal at or after line i: (start, end, hard, text kept before it)."""
        n = len(self.texts)
        while i < n:
            kind = self.kinds[i]
            if kind == CUT:
                return i, i, True, ""
            if kind == CITE:
                return i, i, False, ""
            if kind == RULE:
                if self._label_follows(i):
                    return i, i, True, ""
            elif (
                kind == TEXT
                and len(self.plain[i]) <= MAX_HEADER_LINE
                and _MAYBE_HEADER.search(self.plain[i])
            ):
                found = self._splitter_at(i)
                if found is not None:
                    return found
            i += 1
        return None

    def _splitter_at(self, i: int) -> tuple[int, int, bool, str] | None:
        """Separator, header block or attribution starting on text line i, if any."""
        plain = self.plain[i]
        if P.UNDERSCORE_RULE.match(plain) or P.FORWARD_INTRO.match(plain):
            return i, i, True, ""
        if P.ORIGINAL_MESSAGE.match(plain):
            return i, i, False, ""
        end = self._header_block(i)
        if end is not None:
            return i, end, False, ""
        if P.INLINE_HEADER.search(plain):
            return i, i, False, ""
        return self._attribution(i)

    def _label_follows(self, i: int) -> bool:
        """A rule followed by a header ("From:", or two "Label:" lines in any language)."""
        first = self._next_nonempty(i + 1, limit=3)
        if first is None or self.kinds[first] != TEXT:
            return False
        if P.header_label(self.plain[first]):
            return True
        second = self._next_nonempty(first + 1, limit=3)
        return (
            second is not None
            and bool(P.ANY_LABEL.match(self.plain[first]))
            and bool(P.ANY_LABEL.match(self.plain[second]))
        )

    def _header_block(self, i: int) -> int | None:
        """A "From:/Sent:/To:/Subject:" block (any listed language) starting at line i."""
        match = P.header_label(self.plain[i])
        if not match or match.lastgroup not in ("from", "sent", "subject"):
            return None
        groups = {match.lastgroup}
        last, gap = i, 0
        for k in range(i + 1, min(len(self.texts), i + 12)):
            match = P.header_label(self.plain[k]) if self.kinds[k] != _EMPTY else None
            if match:
                groups.add(match.lastgroup)
                last, gap = k, 0
                continue
            gap += 1
            if gap > 2:
                break
        if len(groups) >= 2 and groups & {"from", "sent"}:
            return last
        return None

    def _attribution(self, i: int) -> tuple[int, int, bool, str] | None:
        """An attribution line ("On <date>, <name> wrote:") starting on line i."""
        plain = self.plain[i]
        opener = P.OPENER_AT_START.match(plain)
        prefix = ""
        if not opener:
            mid = P.OPENER_MID.search(plain) if P.DIGIT.search(plain) else None
            if mid and mid.start() > 0:
                prefix = _TRAILING_DASHES.sub("", plain[: mid.start()])
                plain = plain[mid.start():]
                opener = mid
        window, end = plain, i
        if opener:
            for k in self._window(i):
                if k > i:
                    window = f"{window} {self.plain[k]}"
                    end = k
                if self._opener_window_ends(window):
                    return i, end, False, prefix
            return None
        # No opener word: the line itself must carry a date or an address.
        dated = P.has_date(plain) or P.has_email(plain)
        if not (dated or P.DASHED_LINE.match(plain)):
            if P.wrote_end(plain) and self._quote_follows(i):
                return i, i, False, ""
            return None
        for k in self._window(i):
            if k > i:
                if self._is_opener(k):
                    return None
                window = f"{window} {self.plain[k]}"
                end = k
            if P.wrote_end(window) and (
                P.DIGIT.search(window) or P.has_email(window) or P.DASHED_LINE.match(window)
            ):
                return i, end, False, ""
            # "<date> <name> <address>:" (Gmail in some locales, Yandex, Mail.ru).
            if P.has_bracketed_email(window) and P.has_date(window):
                if P.ENDS_WITH_COLON.search(window):
                    return i, end, False, ""
                if P.ENDS_WITH_ADDRESS.search(window) and self._quote_follows(end):
                    return i, end, False, ""
        return None

    @staticmethod
    def _opener_window_ends(window: str) -> bool:
        """An opener window is complete when it ends like an attribution and names a date."""
        if not P.DIGIT.search(window):
            return False
        if P.wrote_end(window) or P.sent_end(window):
            return True
        if not P.ENDS_WITH_COLON.search(window[-3:]):
            return False
        return bool(P.has_email(window) or P.WROTE_ANY.search(window))

    def _window(self, i: int):
        """Line i and the next few lines an attribution may be wrapped over."""
        n, chars, taken = len(self.texts), 0, 0
        k = last = i
        while k < n and taken <= LOOKAHEAD:
            if self.kinds[k] == _EMPTY:
                if k > i and self.kinds[k - 1] == _EMPTY:
                    return
                k += 1
                continue
            if self.kinds[k] not in (TEXT, QUOTED):
                return
            if k > i and self.kinds[k] == QUOTED and not self._bare_verb(k):
                return
            if k > i and _SENTENCE_END.search(self.plain[last]):
                # A wrapped attribution does not end a sentence mid-way.
                return
            last = k
            chars += len(self.plain[k])
            if chars > 600:
                return
            yield k
            taken += 1
            k += 1

    def _is_opener(self, k: int) -> bool:
        """Line k opens an attribution ("On ...", "Am ...", "Le ...")."""
        return bool(P.OPENER_AT_START.match(self.plain[k]))

    def _bare_verb(self, k: int) -> bool:
        """A line holding only the end of an attribution, e.g. "> wrote:"."""
        return P.bare_verb(self.plain[k])

    def _quote_follows(self, i: int) -> bool:
        """The next non-empty line after i is quoted."""
        nxt = self._next_nonempty(i + 1, limit=3)
        return nxt is not None and self.kinds[nxt] == QUOTED

    def _next_nonempty(self, i: int, limit: int = 50) -> int | None:
        """Index of the first non-empty line from i, looking at most limit lines ahead."""
        for k in range(i, min(len(self.texts), i + limit)):
            if self.kinds[k] != _EMPTY:
                return k
        return None


# --------------------------------------------------------------------- tidying


def _tidy(lines: list[str]) -> str:
    """Trim blank and rule lines, then a trailing signature or client footer."""
    lines = _trim(lines)
    for _ in range(3):
        before = len(lines)
        lines = _trim(_strip_footer(_strip_signature(lines)))
        if len(lines) == before:
            break
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _trim(lines: list[str]) -> list[str]:
    """Drop leading blank lines and trailing blank or rule-only lines."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and P.DECORATION.match(lines[end - 1]) and not P.SIG_DELIMITER.match(
        lines[end - 1]
    ):
        end -= 1
    return lines[start:end]


def _strip_signature(lines: list[str]) -> list[str]:
    """Cut at the last "-- " delimiter (RFC 3676) when what follows is signature-sized."""
    for k in range(len(lines) - 1, -1, -1):
        if P.SIG_DELIMITER.match(lines[k]):
            if len(lines) - k - 1 <= MAX_SIG_LINES:
                return lines[:k]
            break
    return lines


def _strip_footer(lines: list[str]) -> list[str]:
    """Drop a closing "Sent from my iPhone"-style line that the client added."""
    if not lines:
        return lines
    last = lines[-1].strip()
    if (
        P.MOBILE_FOOTER.match(last)
        and len(last.split()) <= P.MAX_FOOTER_WORDS
        and P.FOOTER_NAMES_DEVICE.search(last)
    ):
        return lines[:-1]
    return lines
