"""Nothing executable survives: the XSS corpora through the email and through sanitize_html."""

from __future__ import annotations

import pytest

from addin_server.mailtext.render import render_email
from addin_server.mailtext.sanitize import html_to_text, sanitize_html
from tests.support.xss import (
    SHORT,
    assert_nothing_executable,
    groups,
    payload_plan,
    payloads,
)


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
