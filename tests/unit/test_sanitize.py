"""Nothing executable survives: the XSS corpora through the email and through sanitize_html."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

from addin_server.mailtext.render import render_email
from addin_server.mailtext.sanitize import html_to_text, sanitize_html

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


def test_every_xss_payload_in_every_plan_field_renders_nothing_executable():
    every = payloads()
    batches = groups(every)
    placed = 0
    for group in batches:
        changes = [{"label": p[:SHORT], "old": p, "new": p, "path": "/summary"} for p in group]
        email = render_email(
            payload_plan(group), plan_id="XSS", version=2, changes_since=changes, since_version=1
        )
        assert_nothing_executable(email["html"])
        placed += len(group)
    assert placed == len(every)


def test_payloads_reach_the_reader_as_visible_text_not_markup():
    group = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>']
    email = render_email(payload_plan(group), plan_id="XSS", version=1)
    visible = html_to_text(email["html"])
    assert "<script>alert(1)</script>" in visible.splitlines()
    assert "<img src=x onerror=alert(1)>" in email["text"]


def test_every_xss_payload_through_sanitize_html_leaves_nothing_executable():
    for payload in payloads():
        assert_nothing_executable(sanitize_html(payload))


@pytest.mark.parametrize(
    "style",
    [
        "width: expression(alert(1))",
        "width: EXPRESSION (alert(1))",
        "color: red; background-color: url(javascript:alert(1))",
        "width: e\\xpression(alert(1))",
        "font-family: \\6a avascript",
        "color: red; behavior: url(#default#time2)",
        "-moz-binding: url(http://evil/xbl.xml#x)",
        "width: expr/**/ession(alert(1))",
        "font-family: 'javascript:alert(1)'",
        "width: var(--x)",
        "@import 'http://evil/x.css'; color: red",
    ],
)
def test_css_values_that_can_run_or_load_something_are_dropped(style):
    cleaned = sanitize_html(f'<p style="{style}">x</p>')
    assert_nothing_executable(cleaned)
    assert "alert" not in cleaned and "evil" not in cleaned and "javascript" not in cleaned.lower()


def test_safe_inline_styles_survive_sanitizing():
    html = (
        '<p style="color: #1f2933; background-color: rgb(241, 245, 251); '
        "font-family: 'Segoe UI', Arial, sans-serif; font-size: 16px; max-width: 600px\">x</p>"
    )
    cleaned = sanitize_html(html)
    for kept in ("color: #1f2933", "rgb(241, 245, 251)", "Segoe UI", "font-size: 16px",
                 "max-width: 600px"):
        assert kept in cleaned


def test_links_keep_web_and_mail_schemes_and_images_only_https_or_cid():
    cleaned = sanitize_html(
        '<a href="https://ok.example/">a</a><a href="mailto:x@example.com">m</a>'
        '<a href="javascript:alert(1)">j</a><img src="https://ok.example/i.png" alt="i">'
        '<img src="http://plain.example/i.png"><img src="cid:part1"><img src="data:image/png;'
        'base64,AAAA">'
    )
    assert 'href="https://ok.example/"' in cleaned
    assert 'href="mailto:x@example.com"' in cleaned
    assert "javascript" not in cleaned
    assert 'src="https://ok.example/i.png"' in cleaned
    assert 'src="cid:part1"' in cleaned
    assert "plain.example" not in cleaned and "data:" not in cleaned
    assert "cid:" not in sanitize_html('<a href="cid:part1">c</a>')


def test_sanitize_strips_comments_and_unknown_tags_but_keeps_text():
    cleaned = sanitize_html("<!-- hidden --><custom>Hello</custom> <b>world</b><script>x</script>")
    assert "<!--" not in cleaned and "<custom" not in cleaned and "<script" not in cleaned
    assert "Hello" in cleaned and "<b>world</b>" in cleaned


def test_html_to_text_puts_each_block_on_its_own_line():
    text = html_to_text("<div><p>A: <b>b</b> <span>(c)</span></p><p>d<br>e</p>"
                        "<script>alert(1)</script><ul><li>x</li></ul></div>")
    assert text.splitlines() == ["A: b (c)", "", "d", "e", "", "x"]
