"""XSS test data and the one check that output holds nothing executable."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
XSS_DIR = SHARED / "corpora" / "xss"
SHORT = 500  # the schema's limit for one-line fields

FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "form",
    "base", "meta", "link", "style", "input", "button", "textarea", "select", "video", "audio",
    "source", "template", "noscript", "xml", "import",
}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "background", "poster", "xlink:href", "data",
    "codebase", "lowsrc", "dynsrc", "srcset", "cite", "longdesc", "usemap", "ping",
}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")


def payloads() -> list[str]:
    if not XSS_DIR.is_dir():
        pytest.skip(f"../shared is absent: {XSS_DIR} not found")
    lines = []
    for name in ("payloadbox_xss-payload-list.txt", "h5sc_vectors.txt"):
        text = (XSS_DIR / name).read_text("utf-8", errors="replace")
        lines += [line for line in text.splitlines() if line.strip()]
    assert len(lines) > 6800
    return lines


def groups(items: list[str], budget: int = SHORT) -> list[list[str]]:
    """Pack payloads into groups whose newline-joined length fits a one-line field."""
    out, current, size = [], [], 0
    for item in items:
        if current and size + len(item) + 1 > budget:
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += len(item) + 1
    if current:
        out.append(current)
    return out


_FORBIDDEN_XPATH = " | ".join(f"//*[local-name()='{tag}']" for tag in sorted(FORBIDDEN_TAGS))
_URL_XPATH = " | ".join(f"//@*[name()='{name}']" for name in sorted(URL_ATTRIBUTES))
_CSS_BAD = ("expression(", "url(", "javascript:", "behavior", "-moz-binding", "@import", "\\")


def _flat(value: str) -> str:
    return re.sub(r"[\s\x00-\x1f]+", "", value).lower()


def assert_nothing_executable(html: str) -> None:
    """Parse like a client would and find no script, no handler, no dangerous URL or CSS."""
    if not html.strip():
        return
    root = lxml.html.fromstring(f"<div>{html}</div>")
    assert not root.xpath("//comment() | //processing-instruction()"), "comment survived"
    found = root.xpath(_FORBIDDEN_XPATH)
    assert not found, f"<{found[0].tag}> survived"
    handlers = root.xpath("//@*[starts-with(translate(name(), 'ON', 'on'), 'on')]")
    assert not handlers, f"{handlers[0].attrname} survived"
    for value in root.xpath(_URL_XPATH):
        assert not _flat(value).startswith(BAD_SCHEMES), f"{value.attrname}={value!r}"
    for value in root.xpath("//@style"):
        flat = _flat(value)
        assert not any(bad in flat for bad in _CSS_BAD), f"style={value!r}"


def payload_plan(group: list[str]) -> dict:
    """A valid plan with the group's payloads in every field the seller can type."""
    joined = "\n".join(group)
    short = joined[:SHORT]
    owners = ("customer", "seller", "joint")
    return {
        "title": short,
        "language": "en",
        "customer": {"organization": short or "x"},
        "seller": {"name": short, "company": short, "email": "s@example.com"},
        "notes": joined,
        "summary": joined,
        "desired_outcome": joined or "x",
        "challenges": group,
        "why_fit": joined,
        "impact": {
            "statement": joined,
            "kpis": [
                {"name": p[:SHORT], "baseline": p[:SHORT], "target": p[:SHORT],
                 "measured_by": p[:SHORT]}
                for p in group
            ],
        },
        "stakeholders": [
            {"name": p[:SHORT], "title": p[:SHORT], "side": ("customer", "seller")[i % 2],
             "role": "decision_maker"}
            for i, p in enumerate(group)
        ],
        "milestones": [
            {"name": p[:SHORT], "kind": "custom", "date": f"2027-01-{i % 28 + 1:02d}",
             "owner": owners[i % 3], "kpi": p[:SHORT], "this_means": p, "as_a_result": p,
             "status": "at_risk"}
            for i, p in enumerate(group)
        ],
        "negotiables": group,
        "assumptions": group,
        "next_meeting": {"date": "2027-01-11", "time": "10:00", "purpose": short},
    }
