"""The one sanitiser for HTML from outside (pasted rich text, a customer's reply), and HTML→text.

bleach removes tags, attributes and URL schemes outside an allowlist; its CSS
sanitizer keeps only allowed properties but not what is inside their values
(``width: expression(alert(1))`` passes), so a value filter is added here.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

import tinycss2
from bleach.css_sanitizer import CSSSanitizer
from bleach.sanitizer import Cleaner

from ..replies.htmlguard import defuse

ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption code div em h1 h2 h3 h4 h5 h6 hr i img li ol p pre s "
    "small span strong sub sup table tbody td tfoot th thead tr u ul".split()
)
_COMMON_ATTRIBUTES = frozenset({"style", "title", "lang", "dir"})
_TAG_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"cellpadding", "cellspacing", "border", "align", "width", "role"},
    "td": {"colspan", "rowspan", "align", "valign", "width"},
    "th": {"colspan", "rowspan", "align", "valign", "width"},
    "ol": {"start"},
}
# Links may be web or mail links; images only https or an inline part (cid:).
ALLOWED_PROTOCOLS = ("http", "https", "mailto", "cid")
_IMAGE_SCHEMES = ("https:", "cid:")

ALLOWED_CSS_PROPERTIES = frozenset(
    """background-color border border-bottom border-collapse border-color border-left
    border-radius border-right border-spacing border-style border-top border-width color
    direction display font-family font-size font-style font-variant font-weight height
    letter-spacing line-height margin margin-bottom margin-left margin-right margin-top
    max-width min-width padding padding-bottom padding-left padding-right padding-top
    text-align text-decoration text-indent text-transform vertical-align white-space
    width word-break overflow-wrap""".split()
)
# Only colour functions may appear in a value; everything else (expression, url,
# image-set, var, attr...) is a way to load or run something.
ALLOWED_CSS_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla"})
_CSS_FORBIDDEN = (
    "expression(",
    "url(",
    "javascript:",
    "vbscript:",
    "data:",
    "behavior",
    "behaviour",
    "-moz-binding",
    "@import",
    "\\",
)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _css_value_is_safe(value_tokens) -> bool:
    """A declaration value with no function but colours and none of the known tricks."""
    for token in value_tokens:
        if token.type == "function" and token.lower_name not in ALLOWED_CSS_FUNCTIONS:
            return False
        if token.type in ("() block", "[] block", "{} block", "at-keyword", "url"):
            return False
        if token.type == "function" and not _css_value_is_safe(token.arguments):
            return False
    flat = _CSS_COMMENT.sub("", tinycss2.serialize(value_tokens)).lower()
    flat = "".join(flat.split())
    return not any(bad in flat for bad in _CSS_FORBIDDEN)


class FilteringCSSSanitizer(CSSSanitizer):
    """bleach's CSS sanitizer plus a filter on each declaration's value."""

    def sanitize_css(self, style: str) -> str:
        """Keep allowed properties whose values are safe; drop everything else."""
        # Mail repeats the same inline styles on every element: clean each distinct one once.
        return _clean_style(self, style)

    def _sanitize_css_uncached(self, style: str) -> str:
        if "\\" in style:
            return ""  # CSS escapes only serve to disguise a keyword in e-mail styles
        kept = []
        for token in tinycss2.parse_declaration_list(style, skip_comments=True):
            if token.type != "declaration":
                continue
            if token.lower_name not in self.allowed_css_properties:
                continue
            if not _css_value_is_safe(token.value):
                continue
            value = tinycss2.serialize(token.value).strip()
            important = " !important" if token.important else ""
            kept.append(f"{token.lower_name}: {value}{important}")
        return "; ".join(kept)


@functools.lru_cache(maxsize=4096)
def _clean_style(sanitizer: FilteringCSSSanitizer, style: str) -> str:
    return sanitizer._sanitize_css_uncached(style)


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    """Attribute allowlist per tag; image sources must be https: or cid:."""
    if name not in _COMMON_ATTRIBUTES and name not in _TAG_ATTRIBUTES.get(tag, ()):
        return False
    if tag == "img" and name == "src":
        return value.strip().lower().startswith(_IMAGE_SCHEMES)
    if name == "href":
        return not value.strip().lower().startswith("cid:")  # cid: is for images only
    return True


@functools.lru_cache(maxsize=1)
def _cleaner() -> Cleaner:
    """One Cleaner, built on first use (building it parses no input, but is not free)."""
    css = FilteringCSSSanitizer(
        allowed_css_properties=ALLOWED_CSS_PROPERTIES, allowed_svg_properties=frozenset()
    )
    return Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        css_sanitizer=css,
    )


def sanitize_html(html: str) -> str:
    """HTML with only allowlisted tags, attributes, URL schemes and CSS left."""
    if not html:
        return ""
    return _cleaner().clean(str(html))


_BLOCK_TAGS = frozenset(
    "address article aside blockquote caption div dl dt dd fieldset figure footer form h1 h2 "
    "h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextExtractor(HTMLParser):
    """Visible text with one line per block element (how mail clients flatten HTML)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skipping = 0

    def _break(self):
        line = " ".join("".join(self.current).split())
        if line or (self.lines and self.lines[-1]):
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag == "br" or tag in _BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag, attrs):
        if tag == "br" or tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data):
        if not self.skipping:
            self.current.append(data)


def html_to_text(html: str) -> str:
    """The visible text of HTML, one line per block element, blank lines collapsed."""
    parser = _TextExtractor()
    parser.feed(defuse(str(html or "")))
    parser.close()
    parser._break()
    text = "\n".join(parser.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
