"""Every language's catalogue compiles, and no translation breaks a placeholder."""

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from intake.i18n import LANGUAGES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def load(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_catalogue_compiles_and_placeholders_match(language, tmp_path):
    catalogue = load(language)
    problems = [
        f"{message.id!r}: {', '.join(str(e) for e in errors)}"
        for message, errors in catalogue.check()
    ]
    assert problems == []
    with open(tmp_path / "messages.mo", "wb") as handle:
        write_mo(handle, catalogue)


def test_arabic_has_six_plural_forms():
    assert load("ar").num_plurals == 6
