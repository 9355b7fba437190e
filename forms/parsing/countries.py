"""Countries by name in six languages, and the economy type a country suggests."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache

from babel import Locale

from forms.parsing.commands import _strip_fillers
from forms.parsing.text import LANGUAGES, NOT_COUNTRIES, load_data, normalize, sanitize, words


# ---------------------------------------------------------------------------- countries
@cache
def _country_codes() -> tuple[str, ...]:
    territories = Locale("en").territories
    return tuple(sorted(code for code in territories
                        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES))


@cache
def _country_index(language: str) -> dict[str, str]:
    """Normalized name → ISO code, from CLDR names in `language` (all six when "*")."""
    index: dict[str, str] = {}
    languages = LANGUAGES if language == "*" else (language,)
    for lang in languages:
        territories = Locale(lang).territories
        for code in _country_codes():
            name = territories.get(code)
            if name:
                index.setdefault(normalize(name), code)
    if language == "*":
        for code, aliases in words()["country_aliases"].items():
            for alias in aliases:
                index.setdefault(normalize(alias), code)
    return index


def country_name(code: str, language: str) -> str:
    return Locale(language).territories.get(code, code)


@dataclass(frozen=True)
class CountryMatch:
    code: str | None
    candidates: tuple[str, ...] = field(default_factory=tuple)


def find_country(text: str, language: str = "en") -> CountryMatch:
    """The country the text names, in any language; close candidates when unsure."""
    raw = sanitize(text)
    n = normalize(raw)
    if not n:
        return CountryMatch(None)
    everything = _country_index("*")
    if len(raw) == 2 and raw.isascii() and raw.upper() in _country_codes():
        return CountryMatch(raw.upper())
    for attempt in (n, _strip_fillers(n)):
        if attempt in everything:
            return CountryMatch(everything[attempt])
    # "Nairobi, Kenya": any run of words that is a country's name.
    tokens = n.split()
    mentioned = {everything[" ".join(tokens[i:j])]
                 for i in range(len(tokens)) for j in range(i + 1, min(len(tokens), i + 6) + 1)
                 if len(" ".join(tokens[i:j])) >= 4 and " ".join(tokens[i:j]) in everything}
    if len(mentioned) == 1:
        return CountryMatch(mentioned.pop())
    if mentioned:
        return CountryMatch(None, tuple(sorted(mentioned)[:4]))
    if len(n) > 60:
        return CountryMatch(None)
    local = {**_country_index("en"), **_country_index(language)}
    close = difflib.get_close_matches(n, list(local), n=8, cutoff=0.7)
    scored = sorted(((difflib.SequenceMatcher(None, n, name).ratio(), local[name])
                     for name in close), reverse=True)
    candidates: list[str] = []
    for _ratio, code in scored:
        if code not in candidates and len(candidates) < 4:
            candidates.append(code)
    if len(candidates) == 1 and scored[0][0] >= 0.8:
        return CountryMatch(candidates[0])
    if candidates and scored[0][0] >= 0.88 and (len(scored) < 2 or scored[1][0] < 0.8):
        return CountryMatch(scored[0][1])
    return CountryMatch(None, tuple(candidates))


def suggest_economy(code: str | None) -> tuple[str, str] | None:
    """(fee column, WESP 2024 group) for a country, or None when WESP does not classify it."""
    if not code:
        return None
    wesp = load_data("wesp2024.json")
    if code in wesp["developed"]:
        return "developed", "developed"
    if code in wesp["in_transition"]:
        return "developing", "in_transition"
    if code in wesp["not_classified"] or code not in _country_codes():
        return None
    return "developing", "developing"
