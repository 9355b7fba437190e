"""The six UN languages: which one a visitor gets, its direction, and the Babel workflow."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import click
from babel import Locale
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_locale
from markupsafe import Markup

# Endonyms: each language is offered in its own name.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "zh": "中文",
    "ru": "Русский",
}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"


def normalise_language(code: str | None) -> str | None:
    """Map 'fr-CA', 'zh_Hans', 'AR' … onto one of the six codes, or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else None


def select_locale() -> str:
    """Explicit ?lang=, then the remembered cookie, then the browser's Accept-Language."""
    if not has_request_context():
        # Commands and background jobs have no visitor: they pass a locale explicitly
        # (flask_babel.force_locale) wherever the language matters.
        return DEFAULT_LANGUAGE
    forced = getattr(g, "forced_locale", None)
    if forced:
        return forced
    # Where the choice came from decides the response's Vary header (intake/assets.py).
    for source, candidate in (("address", request.args.get("lang")),
                              ("cookie", request.cookies.get(LANGUAGE_COOKIE))):
        language = normalise_language(candidate)
        if language:
            g.language_source = source
            return language
    g.language_source = "accept-language"
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def text_direction(language: str | None = None) -> str:
    """'rtl' or 'ltr' from CLDR, so no list of right-to-left languages is kept by hand."""
    code = language or str(get_locale() or DEFAULT_LANGUAGE)
    return _direction(code)


@functools.lru_cache(maxsize=64)
def _direction(code: str) -> str:
    # Parsing the locale on every page cost more than the rest of the layout's context.
    return Locale.parse(code).text_direction


def current_language() -> str:
    return normalise_language(str(get_locale() or DEFAULT_LANGUAGE)) or DEFAULT_LANGUAGE


def template_context() -> dict:
    language = current_language()
    return {
        "LANGUAGES": LANGUAGES,
        "current_language": language,
        "text_direction": text_direction(language),
    }


_PLACEHOLDER = "__language__"


def language_url(code: str) -> str:
    """The layout's link to switch to `code` and come back to this page.

    The six links differ only by the code: the address is built once per request (URL
    building was a sixth of an empty page's cost) and the code put in each copy."""
    from flask import url_for

    built = getattr(request, "_intake_language_url", None)
    if built is None:
        back = request.full_path if request.method == "GET" else request.path
        built = url_for("main.choose_language", code=_PLACEHOLDER, next=back)
        request._intake_language_url = built
    return built.replace("/" + _PLACEHOLDER, "/" + code, 1)


def bidi_isolate(value) -> Markup:
    """Wrap a code, number or name in <bdi> so right-to-left text cannot reorder it."""
    return Markup("<bdi>{}</bdi>").format(value)


def remember_explicit_choice(response):
    """A ?lang= in the address becomes the visitor's remembered choice."""
    language = normalise_language(request.args.get("lang"))
    if language and request.cookies.get(LANGUAGE_COOKIE) != language:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config.get("PRODUCTION", False),
            httponly=True,
        )
    return response


TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
BABEL_CFG = TRANSLATIONS_DIR / "babel.cfg"
POT_FILE = TRANSLATIONS_DIR / "messages.pot"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "N_"]


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    subprocess.run(command, check=True, cwd=TRANSLATIONS_DIR.parent)


def extract_messages() -> None:
    _pybabel(
        "extract", "-F", str(BABEL_CFG), *KEYWORDS, "-c", "i18n:", "--no-location",
        "--sort-output", "--project", "U4SSC Intake", "-o", str(POT_FILE),
        ".",
    )


def update_catalogues() -> None:
    for language in LANGUAGES:
        po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel("update", "-i", str(POT_FILE), "-d", str(TRANSLATIONS_DIR), "-l",
                     language, "--ignore-obsolete", "--no-fuzzy-matching")
        else:
            _pybabel("init", "-i", str(POT_FILE), "-d", str(TRANSLATIONS_DIR), "-l", language)


def compile_catalogues() -> None:
    _pybabel("compile", "-d", str(TRANSLATIONS_DIR), "--statistics")


def register_i18n_commands(app: Flask) -> None:
    @app.cli.group("i18n")
    def i18n() -> None:
        """Extract, update and compile the translations of the six languages."""

    @i18n.command("extract")
    def extract() -> None:
        """Write translations/messages.pot from the code and templates."""
        extract_messages()

    @i18n.command("update")
    def update() -> None:
        """Extract, then merge new strings into every language's .po file."""
        extract_messages()
        update_catalogues()

    @i18n.command("compile")
    def compile_() -> None:
        """Compile the .po files to the .mo files the portal reads."""
        compile_catalogues()
        click.echo("translations compiled")
