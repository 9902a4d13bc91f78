"""The dashboard's strings in English and Korean: one catalogue, read by templates and served to the browser."""

from app.i18n import (
    architecture,
    catalogue,
    chaintime,
    classroom,
    external,
    hardening,
    physics,
    replay,
    runnames,
    sampling,
    timegrad,
)
from app.i18n import lessons as lesson_strings

# One table per topic, each a module beside this one ({key: {"en", "ko"}}); a key may be defined once only.
_PARTS: tuple[dict[str, dict[str, str]], ...] = (
    catalogue.CORE,
    lesson_strings.STRINGS,
    hardening.STRINGS,
    physics.STRINGS,
    replay.STRINGS,
    classroom.STRINGS,
    timegrad.STRINGS,
    architecture.STRINGS,
    external.STRINGS,
    chaintime.STRINGS,
    runnames.STRINGS,
    sampling.STRINGS,
)


def _merge(parts: tuple[dict[str, dict[str, str]], ...]) -> dict[str, dict[str, str]]:
    """All parts as one table; a key defined twice raises (two topics must not fight over one string)."""
    merged: dict[str, dict[str, str]] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:
            raise ValueError(f"UI string keys defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


CATALOGUE = _merge(_PARTS)

LANGS = ("en", "ko")  # the first is the default
DEFAULT_LANG = LANGS[0]


def pick_lang(query_lang: str | None, accept_language: str | None = None) -> str:
    """?lang= wins; else the first supported language in Accept-Language; else English."""
    if query_lang in LANGS:
        return query_lang
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return DEFAULT_LANG


def translate(lang: str, key: str, **values: object) -> str:
    """The string for key in lang, with {name} placeholders filled; an unknown key raises KeyError."""
    text = CATALOGUE[key][lang]
    return text.format(**values) if values else text


def strings(lang: str) -> dict[str, str]:
    """Every key's string in one language (what the browser's i18n module reads)."""
    return {key: texts[lang] for key, texts in CATALOGUE.items()}


def bundle() -> dict[str, dict[str, str]]:
    """Both languages, so the page can switch without a reload: {"en": {key: text}, "ko": {...}}."""
    return {lang: strings(lang) for lang in LANGS}
