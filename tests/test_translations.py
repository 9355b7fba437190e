"""Six languages, completely: catalogues current, nothing untranslated, fuzzy or broken.

These tests fail when a string is added to the code without translations, when a
translation breaks a placeholder, and when the catalog or the assistant's texts miss a
language.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from intake.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SHIPPED = list(LANGUAGES)


def load(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def _message_ids(catalogue) -> set:
    return {message.id if isinstance(message.id, str) else message.id[0]
            for message in catalogue if message.id}


@pytest.mark.parametrize("language", SHIPPED)
def test_catalogue_compiles_and_placeholders_match(language, tmp_path):
    catalogue = load(language)
    problems = [
        f"{message.id!r}: {', '.join(str(e) for e in errors)}"
        for message, errors in catalogue.check()
    ]
    assert problems == []
    with open(tmp_path / "messages.mo", "wb") as handle:
        write_mo(handle, catalogue)


@pytest.mark.parametrize("language", SHIPPED)
def test_no_untranslated_or_fuzzy_messages(language):
    catalogue = load(language)
    untranslated = [m.id for m in catalogue if m.id and (
        not m.string if isinstance(m.id, str) else not all(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {language}"


@pytest.mark.parametrize("language", SHIPPED)
def test_every_language_has_every_message_of_the_template(language):
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = _message_ids(read_po(handle))
    assert template - _message_ids(load(language)) == set()


def test_template_is_current_with_the_code(tmp_path):
    """messages.pot holds exactly the strings the code and templates mark today."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
         str(TRANSLATIONS / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-k",
         "lazy_ngettext:1,2", "-k", "N_", "--no-location", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(fresh, "rb") as handle:
        in_code = _message_ids(read_po(handle))
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        in_template = _message_ids(read_po(handle))
    assert in_code - in_template == set(), "run `flask i18n update` and translate"
    assert in_template - in_code == set(), "stale strings: run `flask i18n update`"


def test_arabic_has_six_plural_forms():
    assert load("ar").num_plurals == 6


def _localized_texts(node, path=""):
    """Every {"en": …} text object in a JSON document, with where it is."""
    if isinstance(node, dict):
        if "en" in node and all(isinstance(v, str) for v in node.values()) and \
                set(node) <= set(LANGUAGES):
            yield path, node
            return
        for key, value in node.items():
            yield from _localized_texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            label = value.get("code") or value.get("id") if isinstance(value, dict) else None
            yield from _localized_texts(value, f"{path}[{label or index}]")


def test_kpi_catalog_is_in_six_languages():
    catalog = json.loads((ROOT / "forms" / "catalogs" / "u4ssc-kpis.json").read_text())
    missing = [f"{path}: {sorted(set(LANGUAGES) - set(text))}"
               for path, text in _localized_texts(catalog) if set(text) != set(LANGUAGES)]
    assert missing == [], f"{len(missing)} catalog texts miss languages, e.g. {missing[:3]}"


def test_assistant_texts_are_in_six_languages():
    texts = json.loads((ROOT / "forms" / "data" / "text.json").read_text())
    english = set(texts["en"])
    for language in LANGUAGES:
        assert set(texts[language]) == english, language


def test_letter_texts_are_in_six_languages():
    # English is the template's own wording (the msgids); every other language carries the
    # same set of reviewed sentences.
    texts = json.loads((ROOT / "intake" / "letter" / "texts.json").read_text())["languages"]
    reference = set(texts["fr"])
    assert reference
    for language in set(LANGUAGES) - {"en"}:
        assert set(texts[language]) == reference, language
        assert all(value.strip() for value in texts[language].values()), language
