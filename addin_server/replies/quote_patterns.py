"""Compiled patterns that recognise quote headers, separators and client footers.

Every pattern is per language or per client convention, never per sender: they describe how
mail clients write attribution lines ("On <date>, <name> wrote:"), header blocks
("From:/Sent:/To:/Subject:") and automatic footers ("Sent from my iPhone").
"""

from __future__ import annotations

import re

# Verbs that close an attribution line, per language ("... wrote:").
_WROTE = (
    r"wrote|writes|has written"  # English
    r"|schrieb|hat geschrieben|geschrieben"  # German
    r"|a [ée]crit|[ée]crit"  # French
    r"|escribi[óo]|ha escrito"  # Spanish
    r"|escreveu|escrito"  # Portuguese
    r"|ha scritto|scritto"  # Italian
    r"|schreef|het volgende geschreven"  # Dutch
    r"|skrev|skrifade"  # Swedish, Danish, Norwegian
    r"|napisa[łl]\s?\(a\)|napisa[łl]a|napisa[łl]|pisze"  # Polish
    r"|написал\s?\(а\)|написала|написал|пишет"  # Russian
    r"|napsal\s?\(a\)|napsala|napsal"  # Czech
    r"|kirjoitti|yazd[ıi]|[íi]rta|έγραψε|a scris|đã viết"  # fi, tr, hu, el, ro, vi
)
# Japanese, Chinese and Korean attributions glue the verb to the name ("山田さんは書きました:").
_WROTE_CJK = r"さんは書きました|は書きました|書きました|のメッセージ|のメール|写道|寫道|님이 작성"
_VERB = r"(?:(?:^|(?<=[\s>)\]\"'»-]))(?:" + _WROTE + r")|(?:" + _WROTE_CJK + r"))"

# A line that ends an attribution: the verb, then a colon or a dashed rule ("wrote ----").
WROTE_END = re.compile(_VERB + r"\s*(?:[:：]|-{2,})\s*-*\s*$", re.I)
# The verb anywhere, for word orders that put the name after it ("Am <date> schrieb <name>:").
WROTE_ANY = re.compile(_VERB + r"(?=$|[\s:：(])", re.I)
# A wrapped attribution's last line, possibly mis-read as quoted ("> wrote:").
BARE_VERB = re.compile(r"^[\s>]*" + _VERB + r"\s*[:：]\s*$", re.I)
# The weaker English verb "sent:" only counts after an "On <date>" opening.
SENT_END = re.compile(r"\bsent\s*:\s*$", re.I)

# Words that open an attribution line in each language ("On", "Am", "Le", "El", ...).
_OPENERS = (
    r"On|Am|Le|El|Em|Il giorno|Il|Op|Den|Dne|Dnia|W dniu|På|Pe|Vào|Ngày|Στις|Kl\.|Citando|"
    r"Quoting|Zitat von|Citation de|Cit\u00e1t"
)
OPENER_AT_START = re.compile(r"^[\s>*-]*(?:" + _OPENERS + r")\s", re.I)
# Mid-line openers must be capitalised and followed closely by a date-like token.
OPENER_MID = re.compile(r"(?:(?<=\s)|(?<=-))(?:On|Am|Le|El|Em|Il|Op|Den|W dniu)\s(?=[^\n]{0,40}\d)")

DIGIT = re.compile(r"\d")
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
BRACKETED_EMAIL = re.compile(r"[<(\[]\s*(?:mailto:)?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+\s*[>)\]]", re.I)
TIME_OR_DATE = re.compile(
    r"\d{1,2}:\d{2}|\b\d{4}\b|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{4}年|\d{1,2}月|\d{1,2}\.\s?\w+\s\d{4}"
)
ENDS_WITH_COLON = re.compile(r"[:：]\s*$")
ENDS_WITH_ADDRESS = re.compile(r">\s*$")

# "-----Original Message-----" and its translations; the reply-side variant too.
ORIGINAL_MESSAGE = re.compile(
    r"^[\s>]*-{2,}\s*(?:"
    r"original message|reply message|forwarded message|forward message"
    r"|ursprüngliche nachricht|original-nachricht|antwort nachricht|weitergeleitete nachricht"
    r"|message d'origine|message original|message transféré|message transfere"
    r"|mensaje original|mensaje reenviado|mensagem original|mensagem encaminhada"
    r"|mensagem reencaminhada|messaggio originale|messaggio inoltrato"
    r"|oorspronkelijk bericht|origineel bericht|doorgestuurd bericht"
    r"|ursprungligt meddelande|vidarebefordrat meddelande|oprindelig meddelelse"
    r"|videresendt meddelelse|opprinnelig melding|videresendt melding"
    r"|oryginalna wiadomość|wiadomość oryginalna|wiadomość przekazana dalej|przekazana wiadomość"
    r"|исходное сообщение|пересылаемое сообщение|alkuperäinen viesti|původní zpráva"
    r"|元のメッセージ|転送メッセージ|転送されたメッセージ|原始邮件|转发的邮件|원본 메시지"
    r")\s*-*\s*:?\s*$",
    re.I,
)
# Apple-style forward introductions: "Begin forwarded message:" and translations.
FORWARD_INTRO = re.compile(
    r"^[\s>]*(?:begin forwarded message|anfang der weitergeleiteten nachricht"
    r"|début du message réexpédié|début du message transféré|inicio del mensaje reenviado"
    r"|início da mensagem reencaminhada|início da mensagem encaminhada|inizio messaggio inoltrato"
    r"|begin doorgestuurd bericht|vidarebefordrat brev|videresendt besked|początek przekazywanej"
    r"|転送されたメッセージ|以下のメッセージを転送)\s*[:：]?\s*$",
    re.I,
)
# Android "---- Name wrote ----" and Outlook "------On <date>, <name> wrote-----" styles.
DASHED_LINE = re.compile(r"^\s*-{2,}")

# Header labels of a quoted header block, grouped by meaning; each group covers the languages.
_FROM = (
    r"from|von|de|da|van|från|fra|od|от|差出人|发件人|發件人|寄件者|lähettäjä|feladó|kimden|"
    r"expéditeur"
)
_SENT = (
    r"sent|date|datum|gesendet|envoyé|envoye|enviado|enviada|fecha|data|inviato|verzonden|"
    r"skickat|sendt|wysłano|wysłany|отправлено|дата|送信日時|日付|发送时间|發送時間|日期|"
    r"lähetetty|päivämäärä|elküldve|dátum|tarih|gönderildi"
)
_TO = r"to|an|à|a|para|aan|till|til|do|кому|宛先|收件人|收件者|vastaanottaja|címzett|kime|kellele"
_CC = r"cc|kopie|copie|copia|kopia|копия|bcc"
_SUBJECT = (
    r"subject|betreff|objet|asunto|assunto|oggetto|onderwerp|ämne|emne|temat|тема|件名|主题|主旨|"
    r"aihe|tárgy|konu|předmět"
)
HEADER_LABEL = re.compile(
    r"^[\s>]*[*_]{0,2}\s*(?:(?P<from>" + _FROM + r")|(?P<sent>" + _SENT + r")|(?P<to>" + _TO + r")"
    r"|(?P<cc>" + _CC + r")|(?P<subject>" + _SUBJECT + r"))\s*[*_]{0,2}\s*[:：]",
    re.I,
)
# Outlook on the web writes the whole header on one line: "From: a Sent: b To: c Subject: d".
INLINE_HEADER = re.compile(
    r"(?:^|\s)[*_]?(?:" + _FROM + r")[*_]?\s?[:：].{1,200}?\s[*_]?(?:" + _SENT + r")[*_]?\s?[:：]"
    r".{1,200}?\s[*_]?(?:" + _TO + r"|" + _SUBJECT + r")[*_]?\s?[:：]",
    re.I,
)
# Any "Label:" opening: after a horizontal rule it marks a header in languages not listed above.
ANY_LABEL = re.compile(r"^[\s*_]*[^\W\d_][\w .'-]{0,24}[:：]")

# Lines made only of rule characters.
UNDERSCORE_RULE = re.compile(r"^\s*_{8,}\s*$")
DECORATION = re.compile(r"^[\s\-_=*~—–#.]*$")
SIG_DELIMITER = re.compile(r"^\s*--\s*$")

# Footers inserted by mobile and webmail clients, not written by the person.
MOBILE_FOOTER = re.compile(
    r"^\s*(?:"
    r"sent (?:from|with|via|using) (?:my )?[\w'’.\- ]{2,40}"
    r"|get (?:outlook|the \w+ app) for [\w ]{2,20}"
    r"|(?:von meinem|gesendet von(?: meinem)?|gesendet mit) [\w'’.\- ]{2,40}"
    r"|envoyé (?:de|depuis) (?:mon )?[\w'’.\- ]{2,40}"
    r"|enviado (?:desde|do|de|con|com) (?:mi |meu |o )?[\w'’.\- ]{2,40}"
    r"|inviato (?:da|dal mio) [\w'’.\- ]{2,40}"
    r"|(?:verzonden|verstuurd) (?:vanaf|met|van) (?:mijn )?[\w'’.\- ]{2,40}"
    r"|skickat från (?:min )?[\w'’.\- ]{2,40}"
    r"|sendt fra (?:min )?[\w'’.\- ]{2,40}"
    r"|wysłane (?:z|ze) (?:mojego )?[\w'’.\- ]{2,40}"
    r"|[\w'’.\- ]{2,30}から送信"
    r")\s*(?:\(\s*\S+\s*\)|<\S+>)?\s*$",
    re.I,
)
# A footer names a device or app, so it stays short and says whose device or which app.
MAX_FOOTER_WORDS = 7
FOOTER_NAMES_DEVICE = re.compile(
    r"\b(?:my|mon|ma|mi|meu|minha|mio|mia|mijn|min|mitt|mojego|mojej|meinem|meiner"
    r"|iphone|ipad|ipod|android|blackberry|samsung|galaxy|pixel|huawei|xiaomi|nokia|mobile"
    r"|phone|smartphone|tablet|watch|outlook|gmail|yahoo|aol|mail|proton\w*|spark|airmail"
    r"|sparrow|superhuman|newton|ios|windows|thunderbird)\b"
    r"|iphone|から送信",
    re.I,
)

# Hard-wrapped links inside a quote: a lone URL, or a lone URL-ish fragment.
LINK_ONLY = re.compile(r"^[\s>]*(?:[(<]?\s*(?:https?://|mailto:|www\.)\S*\s*[)>]?[\s>]*)+$", re.I)
URL_FRAGMENT = re.compile(r"^\s*\S*[=&/?%#_)]\S*\s*$")

QUOTE_PREFIX = re.compile(r"^\s*>")


# Cheap gates in front of the larger patterns: most lines fail on a character test.


def wrote_end(text: str) -> bool:
    """The text ends like an attribution ("... wrote:", "... schrieb ...:" is separate)."""
    tail = text.rstrip()[-80:]
    return bool(tail) and tail[-1] in ":：-" and WROTE_END.search(tail) is not None


def sent_end(text: str) -> bool:
    """The text ends with "sent:" (only meaningful after an "On <date>" opener)."""
    return text.rstrip().endswith(":") and SENT_END.search(text[-40:]) is not None


def has_email(text: str) -> bool:
    return "@" in text and EMAIL.search(text) is not None


def has_bracketed_email(text: str) -> bool:
    return "@" in text and BRACKETED_EMAIL.search(text) is not None


def has_date(text: str) -> bool:
    return DIGIT.search(text) is not None and TIME_OR_DATE.search(text) is not None


def header_label(text: str) -> re.Match | None:
    """The "From:"-style label opening the line, if any (labels are short)."""
    head = text[:40]
    if ":" not in head and "：" not in head:
        return None
    return HEADER_LABEL.match(text)


def bare_verb(text: str) -> bool:
    return len(text) <= 40 and BARE_VERB.match(text) is not None
