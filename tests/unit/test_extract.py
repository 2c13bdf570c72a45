"""The reply extractor keeps what the customer wrote and drops quoted history, per client."""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin_server.replies import extract_reply

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpora" / "replies" / "cases.jsonl"


def plain(body: str) -> str:
    return extract_reply(body, "text/plain")


def html(body: str) -> str:
    return extract_reply(body, "text/html")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ------------------------------------------------------------------------- HTML clients


def test_gmail_html_reply_drops_the_gmail_quote_and_the_signature_under_it():
    body = (
        '<div dir="ltr">Tuesday works for the pilot review.<div><br></div><div>Priya</div></div>'
        '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2025 at '
        '09:12, Kofi Mensah &lt;<a href="mailto:kofi@vendor.test">kofi@vendor.test</a>&gt; wrote:'
        '<br></div><blockquote class="gmail_quote" style="margin:0 0 0 .8ex">Can we meet next '
        "week?</blockquote></div>"
    )
    assert squash(html(body)) == "Tuesday works for the pilot review. Priya"


def test_outlook_web_html_reply_stops_at_div_rply_fwd_msg():
    body = (
        '<div style="font-family:Calibri">Approved on our side &amp; signed.</div>'
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr">'
        "<b>From:</b> Lena Ortiz &lt;lena@seller.test&gt;<br><b>Sent:</b> Tuesday, 4 March 2025"
        " 10:01<br><b>To:</b> Sam Reyes<br><b>Subject:</b> Plan</div><div>Old plan text</div>"
    )
    assert html(body) == "Approved on our side & signed."


def test_outlook_desktop_html_reply_stops_at_the_border_top_header_div():
    body = (
        "<html><head><style>p.MsoNormal{margin:0}</style></head><body><div class=WordSection1>"
        "<p class=MsoNormal>We need legal review first.<o:p></o:p></p><p class=MsoNormal>"
        "<o:p>&nbsp;</o:p></p><div style='border:none;border-top:solid #E1E1E1 1.0pt;"
        "padding:3.0pt 0in 0in 0in'><p class=MsoNormal><b>Von:</b> Jonas Weber "
        "&lt;jonas@seller.test&gt;<br><b>Gesendet:</b> Montag, 3. März 2025 09:00<br>"
        "<b>An:</b> Eva Kuhn<br><b>Betreff:</b> Plan</p></div><p>Older text</p></div></body></html>"
    )
    assert html(body) == "We need legal review first."


def test_apple_mail_html_reply_drops_the_cite_blockquote_and_its_attribution():
    body = (
        "<html><body>Confirmed for the 14th.<div><br></div><div><blockquote type=\"cite\">"
        "<div>On 2 Mar 2025, at 18:40, Ana Lima &lt;ana@seller.test&gt; wrote:</div><br>"
        "<div>Does the 14th still work?</div></blockquote></div></body></html>"
    )
    assert html(body) == "Confirmed for the 14th."


def test_ios_html_reply_attribution_outside_the_cite_blockquote_is_dropped():
    body = (
        '<div dir="ltr">Yes, go ahead.</div><div dir="ltr"><br>On Mar 4, 2025, at 8:02 AM, '
        'Ana Lima &lt;ana@seller.test&gt; wrote:<br><br></div><blockquote type="cite">'
        "<div>Shall I send the order form?</div></blockquote>"
    )
    assert html(body) == "Yes, go ahead."


def test_thunderbird_html_reply_stops_at_moz_cite_prefix():
    body = (
        "<body>Looks right to me.<br><div class=\"moz-cite-prefix\">On 03.03.2025 10:00, Ana "
        "wrote:<br></div><blockquote type=\"cite\">Please check</blockquote></body>"
    )
    assert html(body) == "Looks right to me."


def test_thunderbird_html_reply_written_below_the_quote_is_kept():
    body = (
        '<div class="moz-cite-prefix">Le 03/03/2025 à 09:00, Ana a écrit&nbsp;:<br></div>'
        '<blockquote type="cite">Pouvez-vous signer?</blockquote><p>Oui, demain.</p>'
    )
    assert html(body) == "Oui, demain."


def test_apple_mail_inline_answers_between_cited_blocks_are_kept():
    body = (
        '<div>See below.</div><blockquote type="cite">Budget?</blockquote><div>50k</div>'
        '<blockquote type="cite">Start date?</blockquote><div>April</div>'
    )
    assert html(body) == "See below.\n50k\nApril"


def test_yahoo_html_reply_stops_at_yahoo_quoted():
    body = (
        '<div dir="ltr">Item 3 should move to April.</div><div class="ydpa1b2yahoo_quoted">'
        "<div>On Monday, March 3, 2025 at 09:00:00 AM EST, Ana wrote:</div><div>Plan</div></div>"
    )
    assert html(body) == "Item 3 should move to April."


def test_html_to_text_keeps_line_breaks_decodes_entities_and_skips_scripts():
    body = (
        "<style>p{color:red}</style><script>alert(1)</script><p>Price &lt; budget&nbsp;&amp; "
        "ok</p><p>Line one<br>Line two</p><ul><li>first</li><li>second</li></ul>"
    )
    assert html(body) == "Price < budget & ok\nLine one\nLine two\nfirst\nsecond"


def test_an_unattributed_last_blockquote_is_taken_as_quoted_history():
    assert squash(html("<div>Sounds good</div><blockquote>Earlier message</blockquote>")) == (
        "Sounds good"
    )


def test_a_message_that_is_only_a_blockquote_is_kept_rather_than_emptied():
    assert squash(html("<blockquote>Everything I wrote</blockquote>")) == "Everything I wrote"


def test_a_decorative_hr_before_a_note_keeps_the_note():
    body = "<div>Agreed.</div><hr><div>Note: legal signs on Friday.</div>"
    assert html(body) == "Agreed.\nNote: legal signs on Friday."


def test_an_hr_followed_by_a_header_in_any_language_ends_the_reply():
    body = "<div>Da, potvrđujem.</div><hr><div>Šalje: Ana<br>Poslano: 3. 3. 2025.</div>"
    assert html(body) == "Da, potvrđujem."


# -------------------------------------------------------------------- plain-text clients


def test_outlook_plain_from_sent_block_ends_the_reply():
    body = (
        "Fine by us, please send the contract.\n\nFrom: Lena Ortiz <lena@seller.test>\n"
        "Sent: Tuesday, March 4, 2025 10:01 AM\nTo: Sam Reyes <sam@buyer.test>\n"
        "Subject: RE: Plan\n\nHi Sam, here is the plan."
    )
    assert plain(body) == "Fine by us, please send the contract."


def test_outlook_underscore_rule_ends_the_reply():
    body = "Agreed.\n________________________________\nFrom: Lena\nSent: Monday\n\nOld"
    assert plain(body) == "Agreed."


def test_original_message_separator_ends_the_reply():
    assert plain("Noted.\n\n-----Original Message-----\nFrom: x\n\nOld") == "Noted."


def test_gt_quoted_history_under_an_attribution_is_dropped():
    body = (
        "Thursday is better.\n\nOn Mon, Mar 3, 2025 at 9:00 AM Ana <ana@seller.test> wrote:\n"
        "> Mon?"
    )
    assert plain(body) == "Thursday is better."


def test_text_written_below_the_quote_is_kept_as_reply():
    body = "On 03/03/2025 09:00, Ana wrote:\n> Can you sign by Friday?\n\nYes, Friday is fine."
    assert plain(body) == "Yes, Friday is fine."


def test_closing_line_after_the_quote_is_kept():
    body = "See my notes.\nOn 03/03/2025 09:00, Ana wrote:\n> Plan attached.\n\nCheers, Ben"
    assert plain(body) == "See my notes.\nCheers, Ben"


def test_attribution_wrapped_over_two_lines_is_recognised():
    body = "Works.\n\nOn Tue, Mar 4, 2025 at 10:07 AM Ana Lima <ana@seller.test>\nwrote:\n\nOld"
    assert plain(body) == "Works."


def test_attribution_wrapped_over_three_lines_is_recognised():
    body = "Works.\n\nOn Mar 4, 2025, at 10:07 AM, Ana Lima <\nana.lima@seller.test>\nwrote:\n\nOld"
    assert plain(body) == "Works."


def test_attribution_sharing_a_line_with_the_reply_is_split_off():
    assert plain("Sure--- On Tue, Mar 4, 2025 at 10:07 AM, Ana wrote:\n> Old") == "Sure"


def test_forwarded_message_marker_ends_the_new_text():
    body = "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Ana\n\nOld"
    assert plain(body) == "FYI, see below."


def test_apple_begin_forwarded_message_ends_the_new_text():
    assert plain("See this.\n\nBegin forwarded message:\n\nFrom: Ana\nSubject: x") == "See this."


def test_android_dashed_attribution_ends_the_reply():
    assert plain("On my way.\n\n---- Ana Lima wrote ----\n\n> Are you coming?") == "On my way."


def test_unattributed_gt_quotes_are_dropped_and_inline_answers_kept():
    body = "> Can you do Tuesday?\nYes.\n> And the budget?\nApproved."
    assert plain(body) == "Yes.\nApproved."


def test_a_single_arrow_line_in_the_middle_of_text_is_not_a_quote():
    body = "Read this:\n>> the key point <<\nthat is all"
    assert plain(body) == body


def test_a_line_starting_with_on_without_an_attribution_verb_is_kept():
    body = "Done.\nOn Monday we start the pilot at 9:00 with the whole team."
    assert plain(body) == body


def test_a_sentence_with_a_time_above_an_attribution_stays_in_the_reply():
    body = "Meeting at 10:00 works.\nAna wrote:\n> Can we meet?"
    assert plain(body) == "Meeting at 10:00 works."
    body = "On Monday at 10:00 I am free.\nAna Lima wrote:\n> When?"
    assert plain(body) == "On Monday at 10:00 I am free."


def test_an_address_and_time_ending_with_a_colon_is_not_an_attribution():
    body = "Send the signed copy to legal@buyer.test by 10:00:\nPage 3 and page 7."
    assert plain(body) == body


def test_a_sentence_ending_in_wrote_without_a_colon_is_not_an_attribution():
    body = "Thanks.\nOn Monday 3/3 I will send what Ana wrote\nBest, Sam"
    assert plain(body) == body


def test_a_date_heading_in_the_reply_is_not_a_header_block():
    body = "Schedule:\n\nDate: Friday 7 March 2025\nTime: 10:00\nPlace: Room 2\n\nSee you."
    assert plain(body) == body


# ------------------------------------------------------------------- signatures, footers


def test_dash_dash_signature_is_removed():
    assert plain("Yes, approved.\n\n-- \nSam Reyes\nHead of Ops\n") == "Yes, approved."


def test_mobile_client_footer_is_removed():
    assert plain("Yes.\n\nSent from my iPhone") == "Yes."
    assert plain("Oui.\n\nEnvoyé de mon iPhone") == "Oui."
    assert plain("Ja.\n\nVon meinem iPhone gesendet") == "Ja."
    assert plain("Sí.\n\nEnviado desde mi Galaxy") == "Sí."
    assert plain("OK\n\nGet Outlook for Android<https://aka.ms/x>") == "OK"
    assert plain("はい。\n\niPhoneから送信") == "はい。"


def test_a_closing_line_about_shipping_is_not_a_footer():
    assert plain("The papers are signed.\nSent via courier today") == (
        "The papers are signed.\nSent via courier today"
    )


def test_a_sentence_that_starts_like_a_footer_is_kept():
    body = "Yes.\n\nSent from my desk, since the train wifi was down all morning."
    assert plain(body) == body


def test_a_closing_greeting_is_kept():
    assert plain("Fine.\n\nBest regards,\nSam\n\nOn 3/3/25, Ana wrote:\n> x") == (
        "Fine.\n\nBest regards,\nSam"
    )


# ---------------------------------------------------------------------------- languages

LANGUAGE_ATTRIBUTIONS = {
    "german": "Am Mo., 3. März 2025 um 09:00 Uhr schrieb Ana Lima <ana@seller.test>:",
    "french": "Le lun. 3 mars 2025 à 09:00, Ana Lima <ana@seller.test> a écrit :",
    "spanish": "El lun, 3 mar 2025 a las 9:00, Ana Lima (<ana@seller.test>) escribió:",
    "portuguese": "Em seg., 3 de mar. de 2025 às 09:00, Ana Lima <ana@seller.test> escreveu:",
    "italian": "Il giorno lun 3 mar 2025 alle ore 09:00 Ana Lima <ana@seller.test> ha scritto:",
    "dutch": "Op ma 3 mrt 2025 om 09:00 schreef Ana Lima <ana@seller.test>:",
    "swedish": "Den mån 3 mars 2025 kl 09:00 skrev Ana Lima <ana@seller.test>:",
    "polish": "W dniu 3.03.2025 o 09:00, Ana Lima pisze:",
    "polish_gmail": "pon., 3 mar 2025 o 09:00 Ana Lima <ana@seller.test> napisał(a):",
    "japanese_gmail": "2025年3月3日(月) 9:00 Ana Lima <ana@seller.test>:",
    "japanese_thunderbird": "2025/03/03 9:00 に Ana Lima さんは書きました:",
    "japanese_apple": "2025/03/03 9:00、Ana Lima <ana@seller.test>のメール:",
}


@pytest.mark.parametrize("language", sorted(LANGUAGE_ATTRIBUTIONS))
def test_localised_attribution_line_ends_the_reply(language):
    body = f"New text here.\n\n{LANGUAGE_ATTRIBUTIONS[language]}\n\nQuoted old text\n"
    assert plain(body) == "New text here."


@pytest.mark.parametrize("language", sorted(LANGUAGE_ATTRIBUTIONS))
def test_localised_attribution_before_gt_quotes_keeps_text_after_the_quote(language):
    body = f"{LANGUAGE_ATTRIBUTIONS[language]}\n> quoted\n> old\n\nNew text below."
    assert plain(body) == "New text below."


LANGUAGE_HEADER_BLOCKS = {
    "english": ("From", "Sent", "To", "Subject"),
    "german": ("Von", "Gesendet", "An", "Betreff"),
    "french": ("De ", "Envoyé ", "À ", "Objet "),
    "spanish": ("De", "Enviado", "Para", "Asunto"),
    "portuguese": ("De", "Enviado", "Para", "Assunto"),
    "italian": ("Da", "Inviato", "A", "Oggetto"),
    "dutch": ("Van", "Verzonden", "Aan", "Onderwerp"),
    "swedish": ("Från", "Skickat", "Till", "Ämne"),
    "polish": ("Od", "Wysłano", "Do", "Temat"),
    "japanese": ("差出人", "送信日時", "宛先", "件名"),
}


@pytest.mark.parametrize("language", sorted(LANGUAGE_HEADER_BLOCKS))
def test_localised_outlook_header_block_ends_the_reply(language):
    sender, sent, to, subject = LANGUAGE_HEADER_BLOCKS[language]
    body = (
        f"New text here.\n\n{sender}: Ana Lima <ana@seller.test>\n{sent}: 3.3.2025 09:00\n"
        f"{to}: Sam Reyes\n{subject}: Plan\n\nOld text"
    )
    assert plain(body) == "New text here."


@pytest.mark.parametrize("language", sorted(LANGUAGE_HEADER_BLOCKS))
def test_localised_bold_header_block_in_outlook_html_ends_the_reply(language):
    sender, sent, to, subject = LANGUAGE_HEADER_BLOCKS[language]
    body = (
        f"<p>New text here.</p><p><b>{sender}:</b> Ana Lima<br><b>{sent}:</b> 3.3.2025<br>"
        f"<b>{to}:</b> Sam<br><b>{subject}:</b> Plan</p><p>Old text</p>"
    )
    assert html(body) == "New text here."


@pytest.mark.parametrize(
    "separator",
    [
        "-----Ursprüngliche Nachricht-----",
        "-----Message d'origine-----",
        "-----Mensaje original-----",
        "-----Mensagem original-----",
        "-----Messaggio originale-----",
        "-----Oorspronkelijk bericht-----",
        "-----Ursprungligt meddelande-----",
        "-----Oryginalna wiadomość-----",
        "-----元のメッセージ-----",
    ],
)
def test_localised_original_message_separator_ends_the_reply(separator):
    assert plain(f"New text.\n\n{separator}\nOld text") == "New text."


# ----------------------------------------------------------------------------- robustness


@pytest.mark.parametrize("content_type", ["text/plain", "text/html", "TEXT/HTML; charset=utf-8"])
@pytest.mark.parametrize(
    "body",
    [
        "",
        "\x00\x01\x02\xff\ufffd",
        "<" * 5000,
        "<html><body><div><p>unclosed <b>tags <blockquote>deep",
        "<![if !supportLists]>x<![endif]><!DOCTYPE><!--",
        "&#xFFFFFFFF; &#0; &bogus;",
        "> " * 20000,
        "On " * 20000 + "wrote:",
        "From: " * 10000,
    ],
)
def test_malformed_or_hostile_bodies_return_text_without_crashing(body, content_type):
    assert isinstance(extract_reply(body, content_type), str)


def test_bytes_are_decoded_and_other_types_are_refused_by_name():
    assert extract_reply(b"Hi\n\nOn 3/3/25, Ana wrote:\n> x", "text/plain") == "Hi"
    with pytest.raises(TypeError, match="body"):
        extract_reply(42, "text/plain")  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.text(max_size=400),
        st.lists(
            st.sampled_from(
                ["<div>", "</div>", "<blockquote>", "</blockquote>", "<br>", "<hr>", "On 3/3/25",
                 " wrote:", "\n", "> ", "From: a", "Sent: b", "-- ", "&amp;", "<p", "<!--", "x"]
            ),
            max_size=60,
        ).map("".join),
    ),
    content_type=st.sampled_from(["text/plain", "text/html"]),
)
def test_any_text_yields_a_string_no_longer_than_needed(body, content_type):
    out = extract_reply(body, content_type)
    assert isinstance(out, str)
    if content_type == "text/plain":
        assert len(out) <= len(body)


# ------------------------------------------------------------------------------ corpus


def _token_f1(output: str, expected: str) -> float:
    token = re.compile(r"\w+|[^\w\s]")
    a = collections.Counter(token.findall(output.lower()))
    b = collections.Counter(token.findall(expected.lower()))
    if not a and not b:
        return 1.0
    common = sum((a & b).values())
    if not common:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def _normalise(text: str, mode: str) -> str:
    if mode == "ws_insensitive":
        return re.sub(r"\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def test_the_real_reply_corpus_scores_above_talon():
    if not CORPUS.exists():
        pytest.skip("../shared is absent: the reply corpus lives in ../shared/corpora/replies")
    cases = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    content_type = {"text": "text/plain", "html": "text/html"}
    exact = f1 = 0.0
    for case in cases:
        output = extract_reply(case["body"], content_type[case["format"]])
        mode = case.get("compare", "ws_collapse")
        exact += _normalise(output, mode) == _normalise(case["expected_reply"], mode)
        f1 += _token_f1(output, case["expected_reply"])
    assert exact / len(cases) > 0.874
    assert f1 / len(cases) > 0.916
