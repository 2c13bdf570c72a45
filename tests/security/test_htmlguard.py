"""Hostile HTML cannot make parsing slow: unterminated tags become text first."""

from __future__ import annotations

import time

import pytest

from addin_server.mailtext.sanitize import html_to_text
from addin_server.replies import extract_reply
from addin_server.replies.htmlguard import defuse
from addin_server.replies.reply_html import new_part

HOSTILE = ['<a "', "<a '", "</a \"", "<!", "<?", "<![CDATA[", "<a b=", '<a\n"']


@pytest.mark.parametrize("pattern", HOSTILE)
def test_unterminated_tags_are_written_as_text(pattern):
    assert "<" not in defuse(pattern * 50).replace("&lt;", "")


def test_ordinary_mail_html_is_left_alone():
    html = ('<style><!-- p {margin:0} --></style><!--[if mso]><x:xml>y</x:xml><![endif]-->'
            '<div dir="ltr"><p>Hi <b>Dana</b>,</p><a href="https://x.example">link</a></div>')
    assert defuse(html) == html


def test_a_lone_angle_bracket_in_text_stays_readable():
    assert defuse("a < b and <c") == "a < b and &lt;c"
    assert html_to_text(defuse("<p>x <y</p>")).strip() == "x <y"


@pytest.mark.parametrize("pattern", HOSTILE)
def test_forty_kilobytes_of_hostile_html_is_read_in_well_under_a_second(pattern):
    # 10,000 repetitions took ~40 s in html.parser before the guard; the work is now linear.
    body = pattern * 10000
    started = time.process_time()
    extract_reply(body, "text/html")
    html_to_text(body)
    new_part(body)
    assert time.process_time() - started < 5  # a generous bound: quadratic would be ~100 s
