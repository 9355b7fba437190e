"""Yes and no, and one choice among several, in any of the six languages."""

from __future__ import annotations

import difflib
import re

from forms.parsing.text import LANGUAGES, _is_cjk, normalize, sanitize, vocabulary, words


# ---------------------------------------------------------------------------- yes / no, choices
def _best_phrase(text: str, phrases: list[str]) -> str | None:
    """The longest phrase the text is, starts with, or (for CJK) begins with."""
    if text in phrases:
        return text
    best = None
    for phrase in phrases:
        starts = text.startswith(phrase + " ") or (text.startswith(phrase) and _is_cjk(phrase))
        if starts and (best is None or len(phrase) > len(best)):
            best = phrase
    return best


def _fuzzy(text: str, phrases: list[str], cutoff: float) -> str | None:
    if len(text) < 3:
        return None
    found = difflib.get_close_matches(text, phrases, n=1, cutoff=cutoff)
    return found[0] if found else None


def parse_yes_no(text: str, language: str = "en") -> bool | None:
    """True for yes, False for no (any of the six languages, small typos forgiven), else None."""
    n = normalize(sanitize(text))
    if not n:
        return None
    yes_hit, no_hit = _best_phrase(n, vocabulary("yes")), _best_phrase(n, vocabulary("no"))
    if yes_hit or no_hit:
        return len(yes_hit or "") >= len(no_hit or "")
    local = (language, "en")
    yes_local, no_local = vocabulary("yes", local), vocabulary("no", local)
    # Short words: one swapped pair of letters ("yse", "oiu") still scores two thirds.
    hit = _fuzzy(n, [*yes_local, *no_local], 0.66)
    if hit:
        return hit in yes_local
    return None


def match_choice(text: str, options: list[tuple[str, list[str]]],
                 language: str = "en") -> str | None:
    """Which option the text names: by number, value, label or alias; typos forgiven."""
    n = normalize(sanitize(text))
    if not n:
        return None
    if n.isdigit() and 1 <= int(n) <= len(options):
        return options[int(n) - 1][0]
    table: dict[str, str] = {}
    for value, names in options:
        for name in [value, *names]:
            key = normalize(name)
            if key:
                table.setdefault(key, value)
    if n in table:
        return table[n]
    # "I would like the case study please": the longest name mentioned wins.
    mentioned = [k for k in table if re.search(r"(?:^|\s)" + re.escape(k) + r"(?:\s|$)", n)
                 or (k in n and _is_cjk(k))]
    if mentioned:
        return table[max(mentioned, key=len)]
    hit = _fuzzy(n, list(table), 0.75)
    return table[hit] if hit else None


def choice_names(slot: str, value: str, labels: dict[str, str]) -> list[str]:
    """Every way of naming a choice: its aliases in all languages and its labels."""
    aliases = words()["choices"].get(slot, {}).get(value, {})
    names: list[str] = list(labels.values())
    for language in LANGUAGES:
        names.extend(aliases.get(language, []))
    return names
