"""Intent of a reply: confirm, change_request, question, auto_reply or other, in en/de/fr/es."""

from __future__ import annotations

import pytest

from addin_server.replies.intent import INTENTS, classify

TABLE = [
    # English
    ("Looks good!", "confirm"),
    ("Confirmed, thanks.", "confirm"),
    ("Approved on our side.", "confirm"),
    ("Agreed.", "confirm"),
    ("Works for us.", "confirm"),
    ("Sounds good, talk Monday.", "confirm"),
    ("LGTM", "confirm"),
    ("👍", "confirm"),
    ("Thanks for the update, looks good.", "confirm"),
    ("No changes from our side, works for us.", "confirm"),
    ("Looks good, but move the pilot a week later.", "change_request"),
    ("Looks good. Can we push go-live to April 12?", "change_request"),
    ("Please make enablement joint.", "change_request"),
    ("Jordan can't do the 22nd, move the commercial review a week later.", "change_request"),
    ("Not confirmed yet.", "other"),
    ("We can't confirm this until Jordan has seen it.", "other"),
    ("I don't agree with the timeline.", "other"),
    ("Is the pilot confirmed?", "question"),
    ("Who owns enablement?", "question"),
    ("What does the commercial review cover", "question"),
    ("Looks good, but one question: who joins the kickoff?", "question"),
    ("Thanks, I'll read it over the weekend.", "other"),
    ("It should be fine, I'll check with Jordan.", "other"),
    # German
    ("Passt, danke!", "confirm"),
    ("Einverstanden.", "confirm"),
    ("Bestätigt.", "confirm"),
    ("Sieht gut aus.", "confirm"),
    ("Noch nicht bestätigt.", "other"),
    ("Passt nicht.", "other"),
    ("Sieht gut aus, aber bitte den Testlauf eine Woche später.", "change_request"),
    ("Verschieben wir den Go-live auf den 12. April?", "change_request"),
    ("Wann ist der Go-live?", "question"),
    # French
    ("Ça me va.", "confirm"),
    ("D'accord, merci.", "confirm"),
    ("Confirmé.", "confirm"),
    ("Validé de notre côté.", "confirm"),
    ("Ce n'est pas validé.", "other"),
    ("Ça me va, mais pouvez-vous décaler le pilote d'une semaine ?", "change_request"),
    ("Quand commence le pilote ?", "question"),
    # Spanish
    ("De acuerdo.", "confirm"),
    ("Confirmado.", "confirm"),
    ("Aprobado.", "confirm"),
    ("Me parece bien.", "confirm"),
    ("No estoy de acuerdo.", "other"),
    ("Todavía no confirmado.", "other"),
    ("Me parece bien, pero hay que retrasar el piloto una semana.", "change_request"),
    ("¿Cuándo empieza el piloto?", "question"),
]


@pytest.mark.parametrize("text, expected", TABLE)
def test_reply_intent(text, expected):
    assert classify(text) == expected


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Summary & Mutual Plan",
        "Automatic reply: Summary & Mutual Plan",
        "Abwesenheitsnotiz: Zusammenfassung",
        "Réponse automatique : Plan",
        "Respuesta automática: Plan",
        "Autosvar: Plan",
    ],
)
def test_out_of_office_subjects_are_auto_replies(subject):
    assert classify("Thanks for your message, looks good", subject=subject) == "auto_reply"


def test_auto_submitted_header_wins_over_the_words():
    assert classify("Looks good!", auto_submitted=True) == "auto_reply"


def test_out_of_office_body_without_headers_is_an_auto_reply():
    assert classify("I am currently out of the office until Monday.") == "auto_reply"
    assert classify("Ich bin bis 18. Januar nicht im Büro.") == "auto_reply"


def test_ordinary_re_subject_is_not_an_auto_reply():
    assert classify("Looks good", subject="Re: Summary & Mutual Plan") == "confirm"


def test_empty_reply_is_other_and_every_result_is_a_known_intent():
    assert classify("") == "other"
    assert all(classify(text) in INTENTS for text, _ in TABLE)
