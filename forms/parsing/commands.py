"""Commands inside a conversation: "go back", "change the population"."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from forms.parsing.choices import _fuzzy
from forms.parsing.text import _is_cjk, _phrases, normalize, sanitize, vocabulary, words


# ---------------------------------------------------------------------------- commands
@dataclass(frozen=True)
class Command:
    kind: str  # back, restart, help, change
    slot: str | None = None


@cache
def _slot_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for slot, per_language in words()["slots"].items():
        table[normalize(slot)] = slot
        for phrase in _phrases(per_language):
            table.setdefault(phrase, slot)
    return table


@cache
def _fillers() -> frozenset[str]:
    return frozenset(vocabulary("fillers"))


@cache
def _change_verbs() -> tuple[str, ...]:
    """The words for "change", longest first: "change the" must win over "change"."""
    return tuple(sorted(vocabulary("change"), key=len, reverse=True))


def _strip_fillers(text: str) -> str:
    fillers = _fillers()
    tokens = text.split()
    while tokens and tokens[0] in fillers:
        tokens.pop(0)
    while tokens and tokens[-1] in fillers:
        tokens.pop()
    return " ".join(tokens)


def match_slot(text: str) -> str | None:
    """Which item of the conversation the words name ("the population", "城市名称" …)."""
    n = _strip_fillers(normalize(text))
    if not n:
        return None
    table = _slot_table()
    if n in table:
        return table[n]
    hit = _fuzzy(n, list(table), 0.8)
    return table[hit] if hit else None


def parse_command(text: str, language: str = "en", *, fuzzy: bool = False) -> Command | None:
    """back / restart / help / change <slot>, in any of the six languages."""
    stripped = sanitize(text)
    if stripped in ("?", "？", "؟"):
        return Command("help")
    n = normalize(stripped)
    if not n:
        return None
    for kind in ("back", "restart", "help"):
        if n in vocabulary(kind):
            return Command(kind)
    for verb in _change_verbs():
        if n == verb:
            return Command("change")
        if n.startswith(verb + " ") or (n.startswith(verb) and _is_cjk(verb)):
            slot = match_slot(n[len(verb):])
            if slot:
                return Command("change", slot)
    if fuzzy and len(n) >= 4:
        local = (language, "en")
        for kind in ("back", "restart", "help"):
            if _fuzzy(n, list(vocabulary(kind, local)), 0.75):
                return Command(kind)
        first, _, rest = n.partition(" ")
        if rest and _fuzzy(first, list(vocabulary("change", local)), 0.75):
            slot = match_slot(rest)
            if slot:
                return Command("change", slot)
    return None
