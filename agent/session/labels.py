"""Words the real client shows, per language, for the few controls and screens the agent reads.

The words live in labels.toml (data only), each entry marked as seen in the wild or translated.
They only ever choose among candidates that structure found (agent/session/reader/scoring.js), so
a language missing here degrades to the client's own words (read at run time), icons and
structure, never to a guess. The in-page warning banner has its own texts below.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Final, Literal

Source = Literal["seen", "translated"]
SOURCES: Final[tuple[str, ...]] = ("seen", "translated")
CONCEPTS: Final[tuple[str, ...]] = (
    "logout",
    "confirm_title",
    "menu",
    "settings",
    "cancel",
    "lock_app",
    "use_here",
    "close",
    "chat_list",
    "qr",
    "offline",
    "conflict",
    "decoy",
    "not_dismiss",
    "connecting",
)
TABLE_FILE = "labels.toml"


class LabelTableError(ValueError):
    """labels.toml is malformed; the message names the language, section and concept."""


def parse_tables(text: str) -> dict[str, dict[Source, dict[str, tuple[str, ...]]]]:
    """Given labels.toml's text, return language -> source -> concept -> words.

    Raise LabelTableError naming the entry if a section, concept or value is not allowed.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabelTableError(f"{TABLE_FILE}: {exc}") from exc
    tables: dict[str, dict[Source, dict[str, tuple[str, ...]]]] = {}
    for language, sections in raw.items():
        if not isinstance(sections, dict):
            raise LabelTableError(f"{TABLE_FILE}: [{language}] must be a table")
        tables[language] = {}
        for source, concepts in sections.items():
            if source not in SOURCES or not isinstance(concepts, dict):
                raise LabelTableError(
                    f"{TABLE_FILE}: [{language}.{source}] must be one of {', '.join(SOURCES)}"
                )
            entries: dict[str, tuple[str, ...]] = {}
            for concept, words in concepts.items():
                if concept not in CONCEPTS:
                    raise LabelTableError(
                        f"{TABLE_FILE}: [{language}.{source}] {concept}: unknown concept;"
                        f" allowed: {', '.join(CONCEPTS)}"
                    )
                if not isinstance(words, list) or not all(
                    isinstance(word, str) and word.strip() for word in words
                ):
                    raise LabelTableError(
                        f"{TABLE_FILE}: [{language}.{source}] {concept}: must be a list of words"
                    )
                entries[concept] = tuple(words)
            tables[language][source] = entries
    return tables


@cache
def tables() -> dict[str, dict[Source, dict[str, tuple[str, ...]]]]:
    """Return the shipped tables (language -> source -> concept -> words)."""
    text = resources.files("agent.session").joinpath(TABLE_FILE).read_text(encoding="utf-8")
    return parse_tables(text)


def language_labels(language: str) -> dict[str, tuple[str, ...]]:
    """Given a language tag, return concept -> words of its table (seen and translated)."""
    merged: dict[str, list[str]] = {}
    for entries in tables().get(language, {}).values():
        for concept, words in entries.items():
            merged.setdefault(concept, []).extend(words)
    return {concept: tuple(words) for concept, words in merged.items()}


def page_labels(language: str | None) -> dict[str, tuple[str, ...]]:
    """Given a page's language tag ("pt-BR", "de-DE"), return its table, else its primary's."""
    if not language:
        return {}
    if language in tables():
        return language_labels(language)
    primary = language.split("-")[0].lower()
    for known in tables():
        if known.split("-")[0].lower() == primary:
            return language_labels(known)
    return {}


@cache
def all_labels() -> dict[str, tuple[str, ...]]:
    """Return concept -> words of every language (the reader tries them all)."""
    merged: dict[str, list[str]] = {concept: [] for concept in CONCEPTS}
    for language in tables():
        for concept, words in language_labels(language).items():
            merged[concept].extend(word for word in words if word not in merged[concept])
    return {concept: tuple(words) for concept, words in merged.items()}


# The agent's own countdown banner, shown in the client's tab before an idle logout.
# {seconds} is replaced live. Keyed by BCP 47 language tag; the primary subtag is the fallback.
WARNING_TEXTS: Final[dict[str, str]] = {
    "en": "This computer is idle. WhatsApp will log out in {seconds} s. Move the mouse to stay.",
    "es": "Este equipo está inactivo. WhatsApp cerrará sesión en {seconds} s. "
    "Mueve el ratón para seguir.",
    "pt-BR": "Este computador está inativo. O WhatsApp será desconectado em {seconds} s. "
    "Mova o mouse para continuar.",
    "pt": "Este computador está inativo. O WhatsApp será desconectado em {seconds} s. "
    "Mova o rato para continuar.",
    "id": "Komputer ini tidak aktif. WhatsApp akan keluar dalam {seconds} dtk. "
    "Gerakkan mouse untuk tetap masuk.",
    "de": "Dieser Computer ist inaktiv. WhatsApp wird in {seconds} s abgemeldet. "
    "Bewegen Sie die Maus, um angemeldet zu bleiben.",
    "fr": "Cet ordinateur est inactif. WhatsApp se déconnectera dans {seconds} s. "
    "Bougez la souris pour rester connecté.",
}
