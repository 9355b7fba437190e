"""Reading what people type: numbers, yes/no, choices, countries, e-mails and commands."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from babel import Locale

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGES = ("en", "fr", "es", "ar", "zh", "ru")

# Codes in CLDR's territory list that are not places a city can be in.
NOT_COUNTRIES = {"CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}


@cache
def load_data(name: str) -> dict:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return json.load(handle)


def words() -> dict:
    return load_data("words.json")


# ---------------------------------------------------------------------------- text hygiene
def sanitize(text: object, *, multiline: bool = False) -> str:
    """Drop what no database or page can hold (NUL, lone surrogates, control characters)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if text.isascii() and text.isprintable():
        # Most answers, and the same result as the general path below, much sooner: such
        # text has no control, surrogate or invisible characters, is its own NFC, has no
        # line breaks (so `multiline` changes nothing) and its only blank is the space.
        return " ".join(text.split())
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            continue
        if category == "Cc" and char not in "\n\t":
            continue
        kept.append(char)
    cleaned = unicodedata.normalize("NFC", "".join(kept)).replace("\u200b", "").replace(
        "\ufeff", "")
    if not any(unicodedata.category(c)[0] not in "ZC" for c in cleaned):
        return ""  # only spaces and invisible marks: no answer at all
    if multiline:
        lines = [" ".join(line.split()) for line in cleaned.splitlines()]
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    else:
        cleaned = " ".join(cleaned.split())
    return cleaned.strip()


_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                                 "ـ": ""})


def normalize(text: str) -> str:
    """Fold case, accents, Arabic letter variants and punctuation, for matching words."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(_ARABIC_LETTERS)
    out = []
    for char in text:
        category = unicodedata.category(char)
        out.append(" " if category[0] in "PSZC" else char)
    return " ".join("".join(out).split())


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in text)


def _phrases(table: dict[str, list[str]], languages=LANGUAGES) -> list[str]:
    found = []
    for language in languages:
        found.extend(normalize(p) for p in table.get(language, []))
    return [p for p in found if p]


@cache
def vocabulary(kind: str, languages: tuple[str, ...] = LANGUAGES) -> tuple[str, ...]:
    """The normalized phrases of one kind (yes, no, back, …) in the given languages."""
    return tuple(_phrases(words()[kind], languages))


# ---------------------------------------------------------------------------- numbers
_DIGITS = str.maketrans({
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended Arabic-Indic (Persian, Urdu)
    "\u066b": ".",  # Arabic decimal separator
    "\u066c": ",",  # Arabic thousands separator
    "\u060c": ",",  # Arabic comma
})

# Multiplier words, longest first so "millones" wins over "mil".
_MULTIPLIERS: list[tuple[str, int]] = sorted([
    ("k", 1_000), ("thousand", 1_000), ("thousands", 1_000), ("mil", 1_000), ("mille", 1_000),
    ("tys", 1_000), ("тыс", 1_000), ("тысяч", 1_000), ("тысячи", 1_000), ("тысяча", 1_000),
    ("千", 1_000), ("ألف", 1_000), ("الف", 1_000), ("آلاف", 1_000), ("الاف", 1_000),
    ("万", 10_000), ("萬", 10_000),
    ("m", 1_000_000), ("mn", 1_000_000), ("mln", 1_000_000), ("mio", 1_000_000),
    ("million", 1_000_000), ("millions", 1_000_000), ("millón", 1_000_000),
    ("millon", 1_000_000), ("millones", 1_000_000), ("млн", 1_000_000),
    ("миллион", 1_000_000), ("миллиона", 1_000_000), ("миллионов", 1_000_000),
    ("مليون", 1_000_000), ("ملايين", 1_000_000), ("百万", 1_000_000),
    ("亿", 100_000_000), ("億", 100_000_000),
], key=lambda item: -len(item[0]))
_MULTIPLIER_VALUE = dict(_MULTIPLIERS)
_SEPARATORS = " \u00a0\u202f\u2009'’.,"
# A Latin, Cyrillic or Arabic multiplier must end its word ("250 m", not "250 men"); a
# Chinese one may be followed by more text ("120万人"). Possessive digits: no backtracking
# into "12" + "0".
_NUMBER_RE = re.compile(
    r"(?P<num>\d++(?:[" + _SEPARATORS + r"]\d++)*+)\s*(?P<mult>"
    + "|".join(re.escape(word) + ("" if _is_cjk(word) else r"(?![^\W\d_])")
               for word, _ in _MULTIPLIERS)
    + r")?",
)
_BARE_MILLION_RE = re.compile(
    r"(?:^|\s)(?:a|one|un|une|uno|один|واحد)?\s*(million|millon|millón|миллион|مليون)(?:\s|$)"
)


def _to_decimal(raw: str, has_multiplier: bool) -> Decimal | None:
    groups = re.split(r"[ \u00a0\u202f\u2009'’]", raw)
    # Space and apostrophe only ever separate thousands: "250 000", "250'000".
    if len(groups) > 1 and not all(len(re.sub(r"[.,]", "", g)) >= 3 for g in groups[1:]):
        groups = groups[:1]
    number = "".join(groups)
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal_mark = "." if number.rfind(".") > number.rfind(",") else ","
        grouping = "," if decimal_mark == "." else "."
        whole, _, fraction = number.rpartition(decimal_mark)
        if decimal_mark in whole:
            return None
        number = whole.replace(grouping, "") + "." + fraction
    elif dots + commas:
        mark = "." if dots else ","
        parts = number.split(mark)
        if len(parts) > 2:
            if not all(len(p) == 3 for p in parts[1:]):
                return None
            number = "".join(parts)
        elif len(parts[1]) == 3 and not has_multiplier and parts[0] not in ("0", ""):
            number = "".join(parts)  # "250,000" or "250.000": a thousands separator
        else:
            number = parts[0] + "." + parts[1]  # "1,2 millions", "1.5"
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def parse_number(text: str) -> int | None:
    """A whole number from "250 000", "1,2 millions", "120万", "٢٥٠٠٠٠" … or None."""
    prepared = unicodedata.normalize("NFKC", sanitize(text)).translate(_DIGITS).casefold()
    match = _NUMBER_RE.search(prepared)
    if match is None:
        bare = _BARE_MILLION_RE.search(prepared)
        if bare or "一百万" in prepared:
            return 1_000_000
        return None
    multiplier_word = match.group("mult")
    value = _to_decimal(match.group("num"), bool(multiplier_word))
    if value is None:
        return None
    if multiplier_word:
        value *= _MULTIPLIER_VALUE[multiplier_word]
    try:
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))
    except (InvalidOperation, OverflowError):
        return None


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
