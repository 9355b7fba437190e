"""E-mail addresses, and the name inside a sentence ("c'est pour la mairie de …")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from forms.parsing.choices import parse_yes_no
from forms.parsing.text import (
    _ARABIC_LETTERS,
    LANGUAGES,
    _is_cjk,
    _phrases,
    load_data,
    normalize,
    sanitize,
    words,
)

# ---------------------------------------------------------------------------- e-mail
_EMAIL_RE = re.compile(r"^[^@\s<>\"',;()\[\]]+@[^@\s<>\"',;()\[\]]+\.[^@\s<>\"',;()\[\].]{2,}$")


def parse_email(text: str) -> str | None:
    candidate = sanitize(text)
    candidate = re.sub(r"^mailto:", "", candidate, flags=re.IGNORECASE).strip("<> .")
    if len(candidate) > 254 or not _EMAIL_RE.match(candidate):
        return None
    local, _, domain = candidate.rpartition("@")
    return f"{local}@{domain.lower()}"


# ---------------------------------------------------------------------------- sentences
# What people wrap around an answer (greetings, "c'est pour la mairie de", "M.", ", maire"),
# matched on a folded copy of the text that keeps every character's position, so what is
# kept is cut from the text exactly as typed.
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})
# Between the words of a phrase: "c'est", "c’est", "e-mail", "г-н", "it's".
_JOINER = r"[\s'\-\.]*"
# After a whole phrase: spaces and the punctuation that ends a greeting or lead-in.
_AFTER = r"(?:[\s,;:!\.–—¡¿،؛：，、。！]|(?<=\s)-)*"
_SENTENCE_WORDS = 6
_SENTENCE_CJK_CHARS = 12


def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char)[:1] or char
    lower = base.lower()
    folded = lower if len(lower) == 1 else base
    return folded.translate(_ARABIC_LETTERS) or " "


def fold(text: str) -> str:
    """Case, accents, apostrophes and Arabic letter variants folded, one character for one."""
    return "".join(_fold_char(char) for char in text.translate(_APOSTROPHES))


def _phrase_pattern(phrase: str) -> str:
    tokens = fold(phrase).replace("'", " ").replace(".", " ").split()
    if not tokens:
        return ""
    body = _JOINER.join(re.escape(token) for token in tokens)
    # A Latin, Cyrillic or Arabic phrase ends its word ("m." of "M. Yao", not of "Marie",
    # "hi" of "Hi, …" not of "Hi-Tech City"); a Chinese one runs straight into the name
    # ("我们是深圳").
    return body if _is_cjk(tokens[-1]) else body + r"(?![^\W\d_]|[\-'])"


@cache
def _sentence_pattern(kind: str) -> re.Pattern:
    """One of sentences.json's lists as a regex matching at the start, longest phrase first."""
    table = load_data("sentences.json")[kind]
    phrases = {p for language in LANGUAGES for p in table.get(language, [])}
    patterns = sorted({_phrase_pattern(p) for p in phrases} - {""}, key=len, reverse=True)
    return re.compile("(?:" + "|".join(patterns) + ")")


def _take(kind: str, folded: str, position: int, *, after: str = _AFTER) -> int | None:
    """The position after a phrase of `kind` starting at `position` (and what follows it)."""
    match = _sentence_pattern(kind).match(folded, position)
    if match is None or match.end() == position:
        return None
    end = match.end()
    rest = re.compile(after).match(folded, end)
    return rest.end() if rest else end


def _take_all(kinds: tuple[str, ...], folded: str, position: int) -> int:
    moved = True
    while moved:
        moved = False
        for kind in kinds:
            taken = _take(kind, folded, position)
            if taken is not None and taken < len(folded):
                position, moved = taken, True
    return position


def _trim(text: str) -> str:
    return text.strip(" \t\n,;:!.?-–—¡¿،؛؟：，、。！？()\"“”«»'")


@dataclass(frozen=True)
class NameParts:
    """A name found in a sentence, and what was around it."""

    name: str
    title: str | None = None
    honorific: str | None = None
    changed: bool = False  # something was taken off, so the assistant should confirm


def _strip_trailers(kind: str, text: str) -> str:
    folded = fold(text)
    for language in LANGUAGES:
        for trailer in load_data("sentences.json")[kind].get(language, []):
            if folded.endswith(fold(trailer)) and len(folded) > len(trailer):
                return _trim(text[: len(text) - len(trailer)])
    return text


def _looks_like_a_sentence(text: str) -> bool:
    if _is_cjk(text):
        return len(text) > _SENTENCE_CJK_CHARS
    return len(text.split()) > _SENTENCE_WORDS


def extract_place(text: str) -> NameParts:
    """A city's name from "Bonjour, c'est pour la mairie de Saint-Aubin-sur-Loire" and its like."""
    text = sanitize(text)
    folded = fold(text)
    start = _take_all(("greetings", "city_lead_ins"), folded, 0)
    marker = _after_marker(folded, start)
    kept = text[marker if marker is not None else start:]
    end = len(kept)
    ending = _polite_ending(fold(kept))
    if ending is not None:
        end = ending
    name = _strip_trailers("city_trailers", _trim(kept[:end]))
    if not name:
        return NameParts(text)
    changed = name != text and name != _trim(text)
    return NameParts(name, changed=changed or _looks_like_a_sentence(name))


def _after_marker(folded: str, start: int) -> int | None:
    """Where the name begins after "called", "appelée", "叫" … in a longer sentence."""
    found = None
    for match in _sentence_pattern("name_markers").finditer(folded, start):
        before = folded[match.start() - 1: match.start()]
        if match.start() == start or before.isspace() or _is_cjk(match.group()):
            found = match
    if found is None:
        return None
    end = re.compile(_AFTER).match(folded, found.end()).end()
    return end if end < len(folded) else None


def _polite_ending(folded: str) -> int | None:
    """Where a trailing "merci", "please", "谢谢" begins, if the text ends with one."""
    for language in LANGUAGES:
        for phrase in load_data("sentences.json")["polite_endings"][language]:
            pattern = re.compile(r"(?:^|[\s,;:!\.\-–—،，。！])" + _phrase_pattern(phrase)
                                 + r"[\s!\.。！]*$")
            found = pattern.search(folded)
            if found and found.start() > 0:
                return found.start()
    return None


def _role_at(folded: str, position: int) -> tuple[int, int] | None:
    """Where a role ("maire", "市长") at `position` starts and ends, after an optional article."""
    article = _take("role_articles", folded, position, after=r"[\s']*")
    for start in ((article, position) if article is not None else (position,)):
        match = _sentence_pattern("roles").match(folded, start)
        if match:
            return match.start(), match.end()
    return None


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def extract_person(text: str) -> NameParts:
    """A person's name from "M. Koffi Yao, maire", "Mayor John Smith", "市长王伟" and the like.

    The honorific (M., Dr, السيد, 先生, г-н) and the role (maire, mayor, 市长, мэр) are
    returned apart, so the role can become the signatory's title.
    """
    text = sanitize(text)
    folded = fold(text)
    position = _take_all(("greetings", "person_lead_ins"), folded, 0)
    title = honorific = None
    # A role first ("Mayor John Smith", "le maire Koffi Yao", "市长王伟", "мэр Илсур Метшин"),
    # an honorific ("M.", "Dr", "السيد", "г-н"), in either order.
    for _pass in range(2):
        role = _role_at(folded, position) if title is None else None
        if role is not None:
            after = re.compile(_AFTER).match(folded, role[1]).end()
            if after < len(folded) and (after > role[1] or _is_cjk(folded[role[1] - 1])):
                title = _trim(text[role[0]:role[1]])
                position = after
        honorific_end = (_take("honorifics", folded, position, after=r"\.?\s+|\.\s*")
                         if honorific is None else None)
        if honorific_end is not None and honorific_end < len(folded):
            honorific = _trim(text[position:honorific_end]) or None
            position = honorific_end
    rest, rest_folded = text[position:], folded[position:]
    ending = _polite_ending(rest_folded)
    if ending is not None:
        rest, rest_folded = rest[:ending], rest_folded[:ending]
    # A role after: "Koffi Yao, maire", "Илсур Метшин — мэр Казани", "Jane Doe (Mayor)".
    if title is None:
        # Only after punctuation: "Kari Mayor" and "Federico Mayor" are names.
        for separator in re.finditer(r"\s*[,;(–—/|،]\s*|\s+-\s+", rest_folded):
            if separator.start() == 0:
                continue
            role = _role_at(rest_folded, separator.end())
            if role is not None:
                title = _trim(rest[role[0]:])
                rest = rest[:separator.start()]
                break
    # Chinese titles follow the name without a space: "王伟市长", and honorifics too: "王先生".
    if _is_cjk(rest):
        for kind in ("roles", "honorifics"):
            for language in LANGUAGES:
                for word in load_data("sentences.json")[kind].get(language, []):
                    if _is_cjk(word) and rest.endswith(word) and len(rest) > len(word):
                        if kind == "roles" and title is None:
                            title = word
                        elif kind == "honorifics" and honorific is None:
                            honorific = word
                        else:
                            continue
                        rest = rest[: -len(word)]
        rest = _strip_trailers("person_trailers", rest)
    name = _trim(rest)
    if not name:
        return NameParts(text)
    if title:
        title = _capitalised(title)
    changed = name != text and name != _trim(text)
    return NameParts(name, title=title, honorific=honorific,
                     changed=changed or _looks_like_a_sentence(name))


# ---------------------------------------------------------------------------- corrections
@cache
def _slot_pattern() -> tuple[re.Pattern, dict[str, str]]:
    """Every way of naming an item, as one regex (longest first) and pattern → slot."""
    names: dict[str, str] = {}
    for slot, per_language in words()["slots"].items():
        for phrase in [slot.replace("_", " "), *_phrases(per_language)]:
            pattern = _phrase_pattern(phrase)
            if pattern:
                names.setdefault(pattern, slot)
    ordered = sorted(names, key=len, reverse=True)
    return re.compile("|".join(f"({p})" for p in ordered)), {
        str(index + 1): names[p] for index, p in enumerate(ordered)}


@dataclass(frozen=True)
class Correction:
    slot: str
    value: str  # empty when only the item was named


def parse_correction(text: str) -> Correction | None:
    """An item and its new value in plain words: "la population est de 120 000",
    "change the e-mail to x@y.org", "人口是120000"; None when the text is not one."""
    text = sanitize(text)
    folded = fold(text)
    position = _take_all(("correction_lead_ins",), folded, re.match(_AFTER, folded).end())
    pattern, slots = _slot_pattern()
    match = pattern.match(folded, position)
    if match is None:
        return None
    slot = slots[str(match.lastindex)]
    position = re.compile(_AFTER).match(folded, match.end()).end()
    if position == len(folded):
        return Correction(slot, "")  # "non, la population": the item alone
    linked = _take("correction_links", folded, position, after=r"[\s:=\-–—,：]*")
    if linked is not None and linked < len(folded):
        position = linked
    if position == match.end() and not _is_cjk(folded[match.end() - 1: match.end()]):
        return None  # "population120000" is not a sentence
    value = text[position:].strip()
    value = value.rstrip(".!。！") if slot != "focal_point_email" else value
    if not value or parse_yes_no(value) is not None and len(value.split()) <= 2:
        return None
    return Correction(slot, value)


def is_price_question(text: str) -> bool:
    """"How much is each?", "combien ça coûte ?", "多少钱", "сколько стоит" …"""
    n = normalize(sanitize(text))
    if not n:
        return False
    for phrase in _phrases(load_data("sentences.json")["price_questions"]):
        if _is_cjk(phrase):
            if phrase in n:
                return True
        elif re.search(r"(?:^|\s)" + re.escape(phrase) + r"(?:\s|$)", n):
            return True
    return False
