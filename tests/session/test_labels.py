"""The locale tables (agent/session/labels.toml): shape, coverage and consistency."""

from __future__ import annotations

import re
import unicodedata

import pytest

from agent.session.labels import (
    LabelTableError,
    all_labels,
    page_labels,
    parse_tables,
    tables,
)


def fold(text: str) -> str:
    """Fold as the reader (agent/session/reader/text.js) does (case, diacritics, whitespace)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", stripped.lower()).strip()


def holds_word(haystack: str, needle: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def test_at_least_thirty_languages_have_a_log_out_word_and_decoys() -> None:
    languages = [
        language
        for language in tables()
        if page_labels(language).get("logout") and page_labels(language).get("decoy")
    ]
    assert len(languages) >= 30


def test_every_entry_is_marked_seen_or_translated() -> None:
    for language, sections in tables().items():
        assert set(sections) <= {"seen", "translated"}, language
    seen = {language for language, sections in tables().items() if "seen" in sections}
    assert {"en", "es", "pt-BR", "id"} <= seen  # the labels the shared notes list


def test_no_decoy_word_would_hide_a_real_log_out_item() -> None:
    decoys = [fold(word) for word in all_labels()["decoy"]]
    for word in all_labels()["logout"]:
        hidden = [decoy for decoy in decoys if holds_word(fold(word), decoy)]
        assert not hidden, f"{word!r} holds decoy words {hidden}"


def test_page_language_falls_back_to_its_primary_tag() -> None:
    assert "Abmelden" in page_labels("de-AT")["logout"]
    assert page_labels("qx") == {} and page_labels(None) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[de.guessed]\nlogout = ['Abmelden']\n", r"\[de.guessed\] must be one of seen"),
        ("[de.translated]\nlogoff = ['Abmelden']\n", r"logoff: unknown concept"),
        ("[de.translated]\nlogout = 'Abmelden'\n", r"logout: must be a list of words"),
        ("[de\n", r"labels.toml: "),
    ],
)
def test_malformed_tables_name_the_entry(text: str, message: str) -> None:
    with pytest.raises(LabelTableError, match=message):
        parse_tables(text)
