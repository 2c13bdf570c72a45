"""What a reply means for the plan: confirm, change_request, question, auto_reply or other.

Rules, not a model: phrase lists per language (English, German, French,
Spanish; all are always tried because customers mix them), negation a few
words around a confirming phrase, and a change request winning over a
confirmation ("looks good, but move X").
"""

from __future__ import annotations

import functools
import re

INTENTS = ("confirm", "change_request", "question", "auto_reply", "other")
_MAX_CHARS = 4000  # the answer is at the top; a pasted novel must not cost us time

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|autoreply|"
    r"auto[- ]?response|abwesenheit(?:snotiz)?|automatische antwort|r[ée]ponse automatique|"
    r"absence du bureau|respuesta autom[áa]tica|fuera de la oficina|autosvar|"
    r"automatisch antwoord|afwezig|risposta automatica|fuori sede|resposta autom[áa]tica|"
    r"automaattinen vastaus|automatisk svar|odpowied[źz] automatyczna|i am out of office)",
    re.IGNORECASE,
)
_AUTO_BODY = re.compile(
    r"^\W*(?:(?:i am|i'm|i will be) (?:currently )?(?:out of (?:the )?office|away from the office|"
    r"on (?:annual |parental )?leave|on vacation|on holiday)|"
    r"thank you for your (?:e-?mail|message)[.,!] ?i am (?:currently )?(?:out|away)|"
    r"ich bin (?:bis|vom|derzeit|zurzeit|leider).{0,60}?"
    r"(?:nicht im büro|abwesend|im urlaub)|je suis (?:actuellement )?absente?|"
    r"estoy (?:actualmente )?fuera de la oficina)",
    re.IGNORECASE,
)

_CONFIRM = (
    # English
    r"looks? (?:good|great|fine|right|correct)",
    r"all good",
    r"sounds? (?:good|great|right|fine)",
    r"confirm(?:ed|s)?",
    r"approved?",
    r"agreed",
    r"agree",
    r"works? for (?:us|me)",
    r"lgtm",
    r"we(?:'re| are) good",
    r"good to go",
    r"fine by (?:us|me)",
    r"(?:that|this|it)(?:'s| is) (?:fine|correct|right|perfect)",
    r"perfect",
    r"ok(?:ay)?",
    r"signed off",
    r"go ahead",
    r"no changes?(?: from (?:our|my) side)?",
    r"nothing to (?:add|change)",
    # German
    r"passt(?: so)?",
    r"einverstanden",
    r"bestätigt",
    r"bestätige",
    r"sieht gut aus",
    r"in ordnung",
    r"klingt gut",
    r"genehmigt",
    r"freigegeben",
    r"alles klar",
    r"einverstanden",
    r"keine änderungen",
    r"so machen wir (?:das|es)",
    r"passt für uns",
    # French
    r"ça me va",
    r"ca me va",
    r"ça nous va",
    r"ca nous va",
    r"d'accord",
    r"confirmée?s?",
    r"validée?s?",
    r"je valide",
    r"nous validons",
    r"parfait",
    r"c'est bon",
    r"approuvée?s?",
    r"aucun changement",
    r"très bien",
    # Spanish
    r"de acuerdo",
    r"confirmad[oa]s?",
    r"confirmo",
    r"aprobad[oa]s?",
    r"apruebo",
    r"me parece bien",
    r"nos parece bien",
    r"perfecto",
    r"está bien",
    r"esta bien",
    r"sin cambios",
    r"vale",
)
_CONFIRM_EMOJI = ("👍", "✅", "👌", "✔")

_CHANGE = (
    # English
    r"move",
    r"moving",
    r"push(?:ed|ing)?(?: back| out)?",
    r"shift",
    r"reschedule",
    r"postpone",
    r"delay",
    r"bring (?:it |\w+ )?forward",
    r"pull (?:it |\w+ )?in",
    r"change (?:the|it|that|this|our|to|from)",
    r"please (?:change|update|add|remove)",
    r"update (?:the|it|that|this) (?:date|owner|name|target|line)",
    r"replace",
    r"swap",
    r"instead",
    r"make (?:\w+ ){0,4}(?:joint|ours|yours)",
    r"(?:we'll|we will|can you|could you|you) own",
    r"add (?:a|an|the|one)",
    r"(?:remove|drop|delete) (?:the|it|that|this)",
    r"can't do",
    r"cannot do",
    r"can't make",
    r"won't work",
    r"doesn't work",
    r"not work",
    r"(?:a|one|two|three|\d+) (?:days?|weeks?|months?) (?:later|earlier)",
    r"rename",
    r"should be (?!fine|good|ok|okay|great|possible|no problem|enough)",
    # German
    r"verschieben",
    r"verschiebt",
    r"verlegen",
    r"ändern",
    r"änderung",
    r"anpassen",
    r"statt",
    r"anstatt",
    r"stattdessen",
    r"(?:eine|zwei|drei|vier|\d+) (?:tage?|wochen?|monate?) (?:später|früher)",
    r"übernehmen",
    r"streichen",
    r"hinzufügen",
    r"ergänzen",
    r"sollte (?:\w+ ){0,3}sein",
    # French
    r"décaler",
    r"déplacer",
    r"reporter",
    r"changer",
    r"modifier",
    r"remplacer",
    r"avancer",
    r"plutôt",
    r"au lieu",
    r"ajouter",
    r"supprimer",
    # Spanish
    r"mover",
    r"movamos",
    r"cambiar",
    r"cambiemos",
    r"aplazar",
    r"posponer",
    r"retrasar",
    r"adelantar",
    r"reemplazar",
    r"en lugar de",
    r"en vez de",
    r"añadir",
    r"eliminar",
)
_NEGATORS = {
    "not",
    "no",
    "never",
    "n't",
    "cannot",
    "can't",
    "cant",
    "don't",
    "dont",
    "isn't",
    "aren't",
    "wasn't",
    "won't",
    "haven't",
    "hasn't",
    "nicht",
    "nie",
    "kein",
    "keine",
    "noch",
    "ne",
    "pas",
    "jamais",
    "non",
    "nunca",
    "todavía",
    "aún",
    "unable",
    "yet",
    "without",
}
_POST_NEGATORS = {"not", "nicht", "pas", "yet", "no"}
_INTERROGATIVE = re.compile(
    r"^\W*(?:(?:what|when|who|whom|whose|which|why|how|where|wann|was|wer|wen|wem|wie|warum|"
    r"wieso|weshalb|welche[rsmn]?|quand|pourquoi|comment|quel(?:le)?s?|est-ce|pouvez|pourriez|"
    r"pourrions|peut-on|cuándo|cuando|qué|por qué|cómo|quién|podemos|podríamos|¿)\b|"
    # an auxiliary opens a question only with its subject ("can we", not "have a nice day")
    r"(?:can|could|would|will|shall|should|is|are|am|do|does|did|have|has|any)\s+(?:we|you|i|"
    r"it|they|he|she|this|that|there|the|your|our)\b|(?:können|könnten|kann|ist|sind|gibt|"
    r"haben|hätten|wäre|würde)\s+(?:wir|sie|du|ihr|es|das|der|die|den)\b)",
    re.IGNORECASE,
)
_CONTRAST = re.compile(
    r"\b(?:but|however|except|although|only|aber|jedoch|allerdings|außer|nur|mais|sauf|"
    r"cependant|pero|excepto|salvo|sin embargo)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?;\n])\s+|\n+")
_WORD = re.compile(r"[\w'’]+")


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    confirm = re.compile(r"(?<![\w])(?:" + "|".join(_CONFIRM) + r")(?![\w])", re.IGNORECASE)
    change = re.compile(r"(?<![\w])(?:" + "|".join(_CHANGE) + r")(?![\w])", re.IGNORECASE)
    return confirm, change


def is_auto_reply(text: str, subject: str = "", auto_submitted: bool = False) -> bool:
    """An out-of-office or other machine answer, by header, subject or its typical first words."""
    if auto_submitted or _AUTO_SUBJECT.search(subject or ""):
        return True
    return bool(_AUTO_BODY.search((text or "")[:400]))


def classify(
    text: str, *, subject: str = "", auto_submitted: bool = False, language: str | None = None
) -> str:
    """The reply's intent: confirm, change_request, question, auto_reply or other.

    ``language`` is accepted for callers that know it; every language's phrases
    are tried regardless, since replies often mix languages.
    """
    text = (text or "")[:_MAX_CHARS].replace("’", "'")
    if is_auto_reply(text, subject, auto_submitted):
        return "auto_reply"
    sentences = [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]
    confirm = any(_confirms(s) for s in sentences) or any(e in text for e in _CONFIRM_EMOJI)
    change = any(_asks_change(s) for s in sentences)
    question = any(_is_question(s) for s in sentences)
    if change:
        return "change_request"
    if confirm and question and _CONTRAST.search(text):
        return "question"
    if confirm:
        return "confirm"
    return "question" if question else "other"


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_INTERROGATIVE.match(sentence))


def _confirms(sentence: str) -> bool:
    """A confirming phrase that is neither negated nor asked as a question."""
    if _is_question(sentence):
        return False
    confirm, _ = _patterns()
    return any(not _negated(sentence, m.start(), m.end()) for m in confirm.finditer(sentence))


def _negated(sentence: str, start: int, end: int) -> bool:
    before = [w.lower() for w in _WORD.findall(sentence[:start])][-4:]
    after = [w.lower() for w in _WORD.findall(sentence[end:])][:2]
    if any(w in _NEGATORS or w.endswith("n't") for w in before):
        return True
    return any(w in _POST_NEGATORS for w in after)


def _asks_change(sentence: str) -> bool:
    """A change verb or phrase that is not itself negated ("no changes", "nothing to change")."""
    confirm, change = _patterns()
    for m in change.finditer(sentence):
        word = m.group().lower()
        covered = any(c.start() <= m.start() < c.end() for c in confirm.finditer(sentence))
        if covered:
            continue  # part of a confirming phrase such as "no changes" or "keine Änderungen"
        before = [w.lower() for w in _WORD.findall(sentence[: m.start()])][-2:]
        if word not in ("can't do", "cannot do", "can't make", "won't work", "doesn't work") and (
            any(
                w in ("no", "not", "nothing", "don't", "kein", "keine", "nicht", "pas", "sin")
                for w in before
            )
        ):
            continue
        return True
    return False
