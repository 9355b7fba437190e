"""Reading what people type: numbers, yes/no, choices, countries, e-mails and commands.

text holds what every reader shares (phrase tables, hygiene); each other module reads one
kind of answer. Callers import from here.
"""

from forms.parsing.choices import (
    choice_names,
    match_choice,
    parse_yes_no,
)
from forms.parsing.commands import (
    Command,
    match_slot,
    parse_command,
)
from forms.parsing.countries import (
    CountryMatch,
    country_name,
    find_country,
    suggest_economy,
)
from forms.parsing.numbers import (
    parse_number,
)
from forms.parsing.sentences import (
    Correction,
    NameParts,
    extract_person,
    extract_place,
    fold,
    is_price_question,
    parse_correction,
    parse_email,
)
from forms.parsing.text import (
    DATA_DIR,
    LANGUAGES,
    NOT_COUNTRIES,
    load_data,
    normalize,
    sanitize,
    vocabulary,
    words,
)

__all__ = ["Command", "Correction", "CountryMatch", "DATA_DIR", "LANGUAGES", "NOT_COUNTRIES",
           "NameParts", "choice_names", "country_name", "extract_person", "extract_place",
           "find_country", "fold", "is_price_question", "load_data", "match_choice",
           "match_slot", "normalize", "parse_command", "parse_correction", "parse_email",
           "parse_number", "parse_yes_no", "sanitize", "suggest_economy", "vocabulary", "words"]
