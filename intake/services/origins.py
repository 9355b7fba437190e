"""Data origins as the portal shows them: labels in the reader's language, codes checked."""

from __future__ import annotations

from flask_babel import gettext as _

from forms.origins import load_origins, origin_codes
from forms.rules import N_

# i18n: the default data origins (forms/data/data_origins.json): who produced a figure.
# Marked here so the catalogue carries them; a configured list with other labels shows
# them as written until they are translated.
DEFAULT_LABELS = (
    N_("The city administration's own records"),
    N_("A national or regional statistics office"),
    N_("Another organisation (utility, operator, survey or research body)"),
)
SHOWN_CODE_CHARS = 40


def choices() -> list[tuple[str, str]]:
    """(code, label in the current language), in the configured order."""
    return [(origin.code, _(origin.label)) for origin in load_origins()]


def label(code: str | None) -> str:
    """The label of a stored code ("" for none; the code itself if no longer configured)."""
    if not code:
        return ""
    for origin in load_origins():
        if origin.code == code:
            return _(origin.label)
    return code


def unknown_message(code: object) -> str:
    """Why an origin code is refused, naming the codes that are accepted."""
    shown = str(code)
    if len(shown) > SHOWN_CODE_CHARS:
        shown = shown[:SHOWN_CODE_CHARS] + "…"
    return _("“%(code)s” is not a data origin. Use one of: %(codes)s, or leave it empty.",
             code=shown, codes=", ".join(origin_codes()))
