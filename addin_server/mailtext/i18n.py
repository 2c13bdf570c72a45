"""The customer's language: locale resolution, message catalogs and labels.

Catalogs live in ``addin_server/translations/<lang>/LC_MESSAGES/messages.po``
(Babel/gettext layout, the one Flask-Babel uses). They are compiled in memory
on first use with ``babel.messages.pofile`` + ``mofile`` and cached, so a fresh
clone needs no build step and no binary ``.mo`` file is committed.

Adding a language is a catalog alone: copy ``de/LC_MESSAGES/messages.po`` to
``<lang>/LC_MESSAGES/messages.po``, translate the ``msgstr`` lines, done (see
docs/i18n.md). A language without a catalog falls back to English labels and
still gets dates in its own locale.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "en"

# Label keys -> English msgid. These keys are the public vocabulary of label().
# Strings with {placeholders} are filled with str.format after translation.
LABELS: dict[str, str] = {
    # section headings
    "what_changed": "What changed since version {version}",
    "summary": "Summary",
    "desired_outcome": "Desired outcome",
    "challenges": "Challenges to address",
    "why_fit": "Why this approach fits",
    "impact": "Impact and how we measure it",
    "stakeholders": "Key stakeholders",
    "timeline": "Timeline to value realized",
    "bridges": "Why each step matters",
    "negotiables": "What is negotiable",
    "assumptions": "Assumptions",
    "next_meeting": "Next meeting",
    "mutual_plan": "Mutual plan",
    # words used inside lines
    "owner": "Owner",
    "joint": "Joint",
    "kpi": "KPI",
    "status": "Status",
    "measured_by": "measured by",
    "baseline": "baseline",
    "target": "target",
    "added": "added",
    "removed": "removed",
    "prepared_by": "Prepared by",
    # statuses
    "status_planned": "Planned",
    "status_done": "Done",
    "status_at_risk": "At risk",
    # stakeholder roles (role "other" has no label on purpose)
    "role_decision_maker": "Decision maker",
    "role_influencer": "Influencer",
    "role_champion": "Champion",
    "role_user": "User",
    # sentences
    "subject": "Summary & Mutual Plan for {title}",
    "closing_question": (
        "If this reflects the plan, I'll keep it updated and resend after each checkpoint. "
        "What would you change?"
    ),
    "bridge_both": "{name}: this means {this_means}, as a result {as_a_result}",
    "bridge_means": "{name}: this means {this_means}",
    "bridge_result": "{name}: as a result {as_a_result}",
}


def translations_dir() -> Path:
    """The folder holding the gettext catalogs."""
    return Path(__file__).resolve().parent.parent / "translations"


@functools.lru_cache(maxsize=64)
def locale_for(language: str | None) -> Locale:
    """The Babel locale for a BCP 47 tag; English when the tag is empty or unknown."""
    tag = (language or DEFAULT_LANGUAGE).strip().replace("-", "_")
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError, TypeError):
        pass
    try:
        return Locale.parse(tag.split("_")[0])
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LANGUAGE)


def _catalog_candidates(locale: Locale) -> list[str]:
    """Catalog folder names to try, most specific first (de_CH, then de)."""
    names = [str(locale)]
    if locale.territory:
        names.append(locale.language)
    return names


def _compile_po(path: Path) -> gettext.GNUTranslations:
    """Compile a .po file to an in-memory .mo and load it."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@functools.lru_cache(maxsize=64)
def translations_for(language: str | None) -> gettext.NullTranslations:
    """The compiled catalog for a language; NullTranslations (English) when there is none."""
    locale = locale_for(language)
    for name in _catalog_candidates(locale):
        path = translations_dir() / name / "LC_MESSAGES" / "messages.po"
        if path.is_file():
            return _compile_po(path)
    return gettext.NullTranslations()


def label(key: str, language: str | None = None, **values) -> str:
    """The translated label for a key of LABELS, with {placeholders} filled from values."""
    try:
        msgid = LABELS[key]
    except KeyError:
        raise KeyError(f"unknown label key: {key}") from None
    text = translations_for(language).gettext(msgid)
    return text.format(**values) if values else text
