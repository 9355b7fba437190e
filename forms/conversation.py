"""The intake dialogue: a script of slots (data/script.json) driven by two pure functions.

`start(locale)` and `answer(state, text)` return a new JSON-able state and the next Turn;
nothing here touches a database or a web request. The fee comes in through `quote`, a
callable (population, economy, package) -> object with `.amount`, passed by the portal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from babel.numbers import format_decimal

from forms import parsing

STATE_VERSION = 1
MAX_HISTORY = 50
Quote = Callable[[int, str, str], Any]


@dataclass(frozen=True)
class Slot:
    name: str
    parser: str
    options: tuple[str, ...] = ()
    min_length: int = 1
    max_length: int = 200
    minimum: int | None = None
    maximum: int | None = None
    multiline: bool = False
    clears: tuple[str, ...] = ()
    suggest: str | None = None
    summary: bool = False
    extract: str | None = None  # "place" or "person": a name that may come in a sentence
    title_slot: str | None = None  # where a person's role ("maire", "市长") goes


def _load_script() -> tuple[Slot, ...]:
    script = parsing.load_data("script.json")
    slots = []
    for entry in script["slots"]:
        slots.append(Slot(
            name=entry["name"], parser=entry["parser"], options=tuple(entry.get("options", ())),
            min_length=entry.get("min_length", 1), max_length=entry.get("max_length", 200),
            minimum=entry.get("min"), maximum=entry.get("max"),
            multiline=entry.get("multiline", False), clears=tuple(entry.get("clears", ())),
            suggest=entry.get("suggest"), summary=entry.get("summary", False),
            extract=entry.get("extract"), title_slot=entry.get("title_slot"),
        ))
    return tuple(slots)


SCRIPT: tuple[Slot, ...] = _load_script()
SLOTS: dict[str, Slot] = {slot.name: slot for slot in SCRIPT}
SLOT_NAMES: tuple[str, ...] = tuple(slot.name for slot in SCRIPT)
ANSWER_SLOTS: tuple[str, ...] = tuple(name for name in SLOT_NAMES if name != "confirm")
LANGUAGES = parsing.LANGUAGES


@dataclass(frozen=True)
class Turn:
    slot: str
    text: str
    choices: list[dict] = field(default_factory=list)
    error: str | None = None
    done: bool = False

    def as_dict(self) -> dict:
        return {"slot": self.slot, "text": self.text, "choices": list(self.choices),
                "error": self.error, "done": self.done}


# ---------------------------------------------------------------------------- text
def language_code(locale: str | None) -> str:
    code = (locale or "en").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def text_for(language: str, key: str, **values: Any) -> str:
    table = parsing.load_data("text.json")
    template = table[language].get(key) or table["en"][key]
    return template.format(**values) if values else template


def _number(value: int, language: str) -> str:
    return format_decimal(value, locale=language)


def display_value(slot: str, value: Any, language: str) -> str:
    """An answer as the summary shows it, in the conversation's language."""
    if slot == "country":
        return parsing.country_name(value, language)
    if slot == "population":
        return _number(value, language)
    if slot in ("economy", "package"):
        return text_for(language, f"choice.{slot}.{value}")
    return str(value)


def _placeholders(state: dict) -> dict[str, str]:
    language, answers = state["locale"], state["answers"]
    country = answers.get("country")
    return {
        "city": answers.get("city_name") or text_for(language, "placeholder.city"),
        "country": (parsing.country_name(country, language) if country
                    else text_for(language, "placeholder.country")),
        "focal_point": (answers.get("focal_point_name")
                        or text_for(language, "placeholder.focal_point")),
        "representative": (answers.get("representative_name")
                           or text_for(language, "placeholder.representative")),
    }


# ---------------------------------------------------------------------------- state
def new_state(locale: str | None) -> dict:
    return {"version": STATE_VERSION, "locale": language_code(locale), "answers": {},
            "current": SLOT_NAMES[0], "history": [], "done": False}


def is_complete(state: dict) -> bool:
    return all(name in state["answers"] for name in ANSWER_SLOTS)


def _next_slot(state: dict) -> str:
    for name in ANSWER_SLOTS:
        if name not in state["answers"]:
            return name
    return "confirm"


def _suggestion(state: dict) -> tuple[str, str] | None:
    return parsing.suggest_economy(state["answers"].get("country"))


def _choices(state: dict, slot: Slot, quote: Quote | None = None) -> list[dict]:
    language = state["locale"]
    if slot.name == "economy":
        values = list(slot.options)
        suggestion = _suggestion(state)
        if suggestion:
            values.sort(key=lambda value: value != suggestion[0])
        choices = []
        for value in values:
            label = text_for(language, f"choice.economy.{value}")
            if suggestion and value == suggestion[0]:
                label = text_for(language, "suggested", label=label)
            choices.append({"value": value, "label": label})
        return choices
    if slot.name == "package":
        fees = package_fees(state, quote)
        if fees:
            return [{"value": value,
                     "label": text_for(language, "choice.package_fee",
                                       label=text_for(language, f"choice.package.{value}"),
                                       amount=fees[value])}
                    for value in slot.options]
    if slot.parser == "choice":
        return [{"value": value, "label": text_for(language, f"choice.{slot.name}.{value}")}
                for value in slot.options]
    if slot.name == "confirm":
        return [{"value": "yes", "label": text_for(language, "confirm_yes")},
                *_change_choices(state)]
    return []


def _change_choices(state: dict) -> list[dict]:
    language = state["locale"]
    return [{"value": f"change {name}",
             "label": text_for(language, "change_item", item=text_for(language, f"slot.{name}"))}
            for name in ANSWER_SLOTS if name in state["answers"]]


# ---------------------------------------------------------------------------- summary
def summary_lines(state: dict, quote: Quote | None = None) -> list[str]:
    """Everything answered, one line each, then the fee with its band logic."""
    language, answers = state["locale"], state["answers"]
    lines = [text_for(language, "summary.title")]
    for name in ANSWER_SLOTS:
        if name in answers:
            label = text_for(language, f"slot.{name}")
            value = display_value(name, answers[name], language)
            lines.append("• " + text_for(language, "summary.line", label=label, value=value))
    fee = fee_sentence(state, quote)
    if fee:
        lines.append(fee)
    return lines


def fee_sentence(state: dict, quote: Quote | None) -> str | None:
    language, answers = state["locale"], state["answers"]
    needed = ("population", "economy", "package")
    if quote is None or not all(key in answers for key in needed):
        return None
    try:
        fee = quote(answers["population"], answers["economy"], answers["package"])
    except ValueError:
        return None
    amount = format_decimal(fee.amount, locale=language)
    if answers["package"] == "case_study":
        return text_for(language, "summary.fee_case_study", amount=amount)
    return text_for(language, "summary.fee_verification",
                    population=_number(answers["population"], language),
                    economy_phrase=text_for(language, f"economy_phrase.{answers['economy']}"),
                    amount=amount)


def package_fees(state: dict, quote: Quote | None) -> dict[str, str] | None:
    """Each package's fee for this city, formatted, or None before population and economy."""
    answers = state["answers"]
    if quote is None or not all(key in answers for key in ("population", "economy")):
        return None
    try:
        return {package: format_decimal(quote(answers["population"], answers["economy"],
                                              package).amount, locale=state["locale"])
                for package in SLOTS["package"].options}
    except ValueError:
        return None


def package_fees_sentence(state: dict, quote: Quote | None) -> str | None:
    fees = package_fees(state, quote)
    if fees is None:
        return None
    language, answers = state["locale"], state["answers"]
    return text_for(language, "package_fees",
                    population=_number(answers["population"], language),
                    economy_phrase=text_for(language, f"economy_phrase.{answers['economy']}"),
                    verification=fees["verification"], case_study=fees["case_study"])


def _noted(state: dict, pending: dict) -> str:
    """"I noted the city as Saint-Aubin-sur-Loire — is that right?" """
    language, slot = state["locale"], pending["slot"]
    answers = pending["answers"]
    title_slot = SLOTS[slot].title_slot
    if title_slot and answers.get(title_slot):
        return text_for(language, f"noted.{slot}_title", value=answers[slot],
                        title=answers[title_slot])
    return text_for(language, f"noted.{slot}", value=answers[slot])


# ---------------------------------------------------------------------------- turns
def render(state: dict, *, quote: Quote | None = None, error: str | None = None,
           notes: tuple[str, ...] = (), choices: list[dict] | None = None,
           price_answer: bool = False) -> Turn:
    """The current question as a Turn (pure: the state is not changed)."""
    language = state["locale"]
    if state.get("done"):
        return Turn(slot="confirm", text=text_for(language, "done_again"), done=True)
    slot = SLOTS[state["current"]]
    values = _placeholders(state)
    parts = list(notes)
    pending = state.get("pending")
    if isinstance(pending, dict) and pending.get("slot") == slot.name:
        parts.append(_noted(state, pending))
        return Turn(slot=slot.name, text="\n\n".join(parts), error=error, choices=[
            {"value": "yes", "label": text_for(language, "yes")},
            {"value": "no", "label": text_for(language, "no")}])
    if slot.name == "confirm":
        parts.append("\n".join(summary_lines(state, quote)))
        parts.append(text_for(language, "prompt.confirm"))
    elif slot.name == "economy" and _suggestion(state):
        group = _suggestion(state)[1]
        parts.append(text_for(language, "prompt.economy_suggested",
                              economy_group=text_for(language, f"economy_group.{group}"),
                              **values))
    else:
        parts.append(text_for(language, f"prompt.{slot.name}", **values))
    if slot.name == "package" and not price_answer:
        fees = package_fees_sentence(state, quote)
        if fees:
            parts.append(fees)
    if slot.name in state["answers"]:
        current = display_value(slot.name, state["answers"][slot.name], language)
        parts.append(text_for(language, "current_answer", value=current))
    return Turn(slot=slot.name, text="\n\n".join(parts),
                choices=_choices(state, slot, quote) if choices is None else choices,
                error=error)


def start(locale: str | None) -> tuple[dict, Turn]:
    state = new_state(locale)
    return state, render(state, notes=(text_for(state["locale"], "intro"),))


# ---------------------------------------------------------------------------- parsers
@dataclass(frozen=True)
class Parsed:
    ok: bool
    value: Any = None
    error: str | None = None
    choices: list[dict] | None = None
    confirm: bool = False  # a name taken out of a sentence: ask before keeping it
    also: dict | None = None  # other answers found in the same text (the signatory's title)
    set_aside: dict | None = None  # what was taken off the name (honorific, a role)


def _fail(state: dict, key: str, choices: list[dict] | None = None, **values: Any) -> Parsed:
    return Parsed(False, error=text_for(state["locale"], key, **values), choices=choices)


def _parse_text(slot: Slot, text: str, state: dict) -> Parsed:
    value = parsing.sanitize(text, multiline=slot.multiline)
    if len(value) > slot.max_length:
        return _fail(state, "error.too_long", max=slot.max_length)
    if len(value) < slot.min_length:
        return _fail(state, "error.too_short")
    if slot.extract:
        return _extracted(slot, value)
    return Parsed(True, value)


def _extracted(slot: Slot, value: str) -> Parsed:
    """The name in "Bonjour, c'est pour la mairie de X" or "M. Koffi Yao, maire"; a plain
    short answer is kept as typed, without a question."""
    parts = (parsing.extract_place(value) if slot.extract == "place"
             else parsing.extract_person(value))
    if not parts.changed or len(parts.name) < slot.min_length:
        return Parsed(True, value)
    also, set_aside = {}, {}
    if parts.honorific:
        set_aside["honorific"] = parts.honorific
    if parts.title and slot.title_slot:
        also[slot.title_slot] = parts.title[:SLOTS[slot.title_slot].max_length]
    elif parts.title:
        set_aside["role"] = parts.title
    return Parsed(True, parts.name, confirm=True, also=also or None,
                  set_aside=set_aside or None)


def _parse_population(slot: Slot, text: str, state: dict) -> Parsed:
    value = parsing.parse_number(text)
    if value is None:
        return _fail(state, "error.number")
    low, high = slot.minimum or 1, slot.maximum or 10**9
    if not low <= value <= high:
        language = state["locale"]
        return _fail(state, "error.number_range", min=_number(low, language),
                     max=_number(high, language))
    return Parsed(True, value)


def _parse_country(slot: Slot, text: str, state: dict) -> Parsed:
    language = state["locale"]
    found = parsing.find_country(text, language)
    if found.code:
        return Parsed(True, found.code)
    if found.candidates:
        choices = [{"value": code, "label": parsing.country_name(code, language)}
                   for code in found.candidates]
        return _fail(state, "error.country_ambiguous", choices=choices)
    return _fail(state, "error.country")


def _parse_choice(slot: Slot, text: str, state: dict) -> Parsed:
    language = state["locale"]
    shown = _choices(state, slot)
    options = []
    for choice in shown:
        labels = {lang: text_for(lang, f"choice.{slot.name}.{choice['value']}")
                  for lang in LANGUAGES}
        options.append((choice["value"],
                        [choice["label"], *parsing.choice_names(slot.name, choice["value"],
                                                                labels)]))
    value = parsing.match_choice(text, options, language)
    if value is None and slot.name == "economy" and _suggestion(state):
        # "Yes" accepts the suggested classification, "no" takes the other one.
        verdict = parsing.parse_yes_no(text, language)
        if verdict is not None:
            suggested = _suggestion(state)[0]
            value = suggested if verdict else next(v for v in slot.options if v != suggested)
    if value is None:
        return _fail(state, "error.choice")
    return Parsed(True, value)


def _parse_email(slot: Slot, text: str, state: dict) -> Parsed:
    value = parsing.parse_email(text)
    if value is None:
        return _fail(state, "error.email")
    return Parsed(True, value)


def _parse_confirm(slot: Slot, text: str, state: dict) -> Parsed:
    # "la population est de 120 000", "change the e-mail to x@y.org": the item and its value.
    correction = parsing.parse_correction(text)
    if correction is not None:
        if not correction.value:
            return Parsed(True, ("change", correction.slot))
        return Parsed(True, ("correct", correction.slot, correction.value))
    verdict = parsing.parse_yes_no(text, state["locale"])
    if verdict is None:
        named = parsing.match_slot(text)
        if named and named != "confirm":
            return Parsed(True, ("change", named))
        return _fail(state, "error.confirm")
    return Parsed(True, verdict)


PARSERS: dict[str, Callable[[Slot, str, dict], Parsed]] = {
    "text": _parse_text,
    "population": _parse_population,
    "country": _parse_country,
    "choice": _parse_choice,
    "email": _parse_email,
    "confirm": _parse_confirm,
}


# ---------------------------------------------------------------------------- commands
def _remember(state: dict, name: str) -> None:
    history = state["history"]
    if not history or history[-1] != name:
        history.append(name)
    del history[:-MAX_HISTORY]


def _command(state: dict, command: parsing.Command, quote: Quote | None) -> tuple[dict, Turn]:
    language = state["locale"]
    if command.kind == "restart":
        fresh = new_state(language)
        return fresh, render(fresh, quote=quote, notes=(text_for(language, "restarted"),))
    if command.kind == "help":
        return state, render(state, quote=quote, notes=(text_for(language, "help"),))
    if command.kind == "back":
        if not state["history"]:
            return state, render(state, quote=quote, notes=(text_for(language, "back_first"),))
        state["current"] = state["history"].pop()
        return state, render(state, quote=quote)
    return _change(state, command.slot, quote)


def _change(state: dict, name: str | None, quote: Quote | None) -> tuple[dict, Turn]:
    language = state["locale"]
    if name is None or name == "confirm":
        options = _change_choices(state)
        if name is None and options:
            return state, render(state, quote=quote, notes=(text_for(language, "change_which"),),
                                 choices=options + _choices(state, SLOTS[state["current"]]))
        return state, render(state, quote=quote)
    if name == state["current"]:
        return state, render(state, quote=quote)
    if name not in state["answers"]:
        return state, render(state, quote=quote,
                             notes=(text_for(language, "change_not_yet"),))
    _remember(state, state["current"])
    state["current"] = name
    return state, render(state, quote=quote)


# ---------------------------------------------------------------------------- answering
def _valid_state(state: Any) -> bool:
    return (isinstance(state, dict) and state.get("version") == STATE_VERSION
            and isinstance(state.get("answers"), dict) and state.get("current") in SLOTS
            and isinstance(state.get("history"), list) and state.get("locale") in LANGUAGES)


def _copy(state: dict) -> dict:
    """A copy the engine may change without touching the caller's state.

    The engine only sets and removes keys of the state and of its answers, and appends to
    and pops from its history; it never changes an answer in place. Copying those three
    containers is as safe as a deep copy and several times cheaper.
    """
    copied = dict(state)
    for key, kind in (("answers", dict), ("history", list)):
        if isinstance(copied.get(key), kind):
            copied[key] = kind(copied[key])
    return copied


def answer(state: dict, text: str, *, quote: Quote | None = None) -> tuple[dict, Turn]:
    """Apply one message to the conversation; returns the new state and what to say next."""
    if not _valid_state(state):
        state = new_state(state.get("locale") if isinstance(state, dict) else None)
    state = _copy(state)
    language = state["locale"]
    if state.get("done"):
        return state, render(state)
    slot = SLOTS[state["current"]]
    text = parsing.sanitize(text, multiline=slot.multiline) if isinstance(text, str) else ""
    command = parsing.parse_command(text, language)
    if command:
        if command.kind != "help":
            state.pop("pending", None)
        return _command(state, command, quote)
    if not text:
        return state, render(state, quote=quote, error=text_for(language, "error.empty"))
    pending = state.pop("pending", None)
    if (isinstance(pending, dict) and pending.get("slot") == slot.name
            and isinstance(pending.get("answers"), dict)):
        verdict = parsing.parse_yes_no(text, language)
        if verdict:
            return _store(state, slot, pending["answers"], pending.get("set_aside"), quote)
        if verdict is False:
            # The next answer is taken as typed: asking again would only repeat the guess.
            state["literal"] = slot.name
            return state, render(state, quote=quote, notes=(text_for(language, "name_again"),))
        # Anything else is a new answer to the same question.
    if slot.name == "package" and parsing.is_price_question(text):
        fees = package_fees_sentence(state, quote)
        if fees:
            return state, render(state, quote=quote, notes=(fees,), price_answer=True)
    if state.pop("literal", None) == slot.name:
        slot = replace(slot, extract=None)
    parsed = PARSERS[slot.parser](slot, text, state)
    if not parsed.ok:
        # Only when the text is not an answer do near-misses count as commands ("bakc").
        command = parsing.parse_command(text, language, fuzzy=True)
        if command:
            return _command(state, command, quote)
        return state, render(state, quote=quote, error=parsed.error, choices=parsed.choices)
    if slot.name == "confirm":
        return _confirm(state, parsed.value, quote)
    answers = {slot.name: parsed.value, **(parsed.also or {})}
    if parsed.confirm:
        state["pending"] = {"slot": slot.name, "answers": answers,
                            "set_aside": parsed.set_aside}
        return state, render(state, quote=quote)
    return _store(state, slot, answers, parsed.set_aside, quote)


def _store(state: dict, slot: Slot, answers: dict, set_aside: dict | None,
           quote: Quote | None, *, notes: tuple[str, ...] = (),
           remember: bool = True) -> tuple[dict, Turn]:
    """Keep the answers (a slot's, and its title when one came with it), then ask the next."""
    for name, value in answers.items():
        previous = state["answers"].get(name)
        state["answers"][name] = value
        if previous is not None and previous != value:
            for dependent in SLOTS[name].clears:
                state["answers"].pop(dependent, None)
    if set_aside:
        # Not an answer of the letter, but not lost: "M." or a focal point's role.
        state["set_aside"] = {**state.get("set_aside", {}), slot.name: set_aside}
    if remember:
        _remember(state, slot.name)
    state["current"] = _next_slot(state)
    return state, render(state, quote=quote, notes=notes)


def _correct(state: dict, name: str, value: str, quote: Quote | None) -> tuple[dict, Turn]:
    """A correction typed at the summary: applied, and the summary (or what the change
    makes necessary, like the economy after a new country) shown again."""
    language, slot = state["locale"], SLOTS[name]
    parsed = PARSERS[slot.parser](slot, value, state)
    if not parsed.ok:
        # Asked again with the reason; once answered the summary comes back.
        _remember(state, "confirm")
        state["current"] = name
        return state, render(state, quote=quote, error=parsed.error, choices=parsed.choices)
    # The item was named, so a name taken out of the words is kept without a question:
    # the summary shown next is the check.
    answers = {name: parsed.value, **(parsed.also or {})}
    note = text_for(language, "corrected", item=text_for(language, f"slot.{name}"),
                    value=display_value(name, parsed.value, language))
    return _store(state, slot, answers, parsed.set_aside, quote, notes=(note,),
                  remember=False)


def _confirm(state: dict, verdict: Any, quote: Quote | None) -> tuple[dict, Turn]:
    language = state["locale"]
    if isinstance(verdict, tuple) and verdict[0] == "correct":
        return _correct(state, verdict[1], verdict[2], quote)
    if isinstance(verdict, tuple):
        return _change(state, verdict[1], quote)
    if not is_complete(state):
        state["current"] = _next_slot(state)
        return state, render(state, quote=quote)
    if verdict:
        state["done"] = True
        return state, Turn(slot="confirm", text=text_for(language, "done"), done=True)
    return state, render(state, quote=quote, error=text_for(language, "change_which"),
                         choices=_change_choices(state))


def with_locale(state: dict, locale: str | None) -> dict:
    """The same conversation, asked from now on in another of the six languages."""
    changed = _copy(state)
    changed["locale"] = language_code(locale)
    return changed


def answers_for_letter(state: dict) -> dict:
    """The answers the participation service takes (no internal bookkeeping)."""
    return {name: state["answers"][name] for name in ANSWER_SLOTS if name in state["answers"]}
