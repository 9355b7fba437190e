"""What the assistant understands: numbers, yes/no, choices, countries, e-mails, commands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms.parsing import (
    Command,
    find_country,
    match_choice,
    normalize,
    parse_command,
    parse_email,
    parse_number,
    parse_yes_no,
    sanitize,
    suggest_economy,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("250000", 250_000),
    ("250,000", 250_000),
    ("250 000", 250_000),
    ("250\u202f000", 250_000),  # the narrow no-break space French typography uses
    ("250\u00a0000", 250_000),
    ("250.000", 250_000),
    ("250'000", 250_000),
    ("1 234 567", 1_234_567),
    ("1,234,567", 1_234_567),
    ("1.234.567", 1_234_567),
    ("250k", 250_000),
    ("250 K", 250_000),
    ("1.2 million", 1_200_000),
    ("about 1.2 million", 1_200_000),
    ("approximately 1.2 million people", 1_200_000),
    ("2.5m", 2_500_000),
    ("a million", 1_000_000),
    ("1,2 millions", 1_200_000),
    ("environ 1,2 millions d'habitants", 1_200_000),
    ("1,2 millones", 1_200_000),
    ("unos 250 mil habitantes", 250_000),
    ("1.2 млн", 1_200_000),
    ("около 250 тысяч", 250_000),
    ("3 млн жителей", 3_000_000),
    ("120万", 1_200_000),
    ("约120万人", 1_200_000),
    ("1.2亿", 120_000_000),
    ("２５００００", 250_000),  # full-width digits from a Chinese keyboard
    ("٢٥٠٠٠٠", 250_000),
    ("٢٥٠٬٠٠٠", 250_000),
    ("١٫٢ مليون", 1_200_000),
    ("1.2 مليون", 1_200_000),
    ("مليون", 1_000_000),
    ("٢٥٠٠٠٠ نسمة", 250_000),
    ("1,234.5", 1_235),
])
def test_numbers_in_every_written_form(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "lots", "many people", "—", "k", "one"])
def test_text_without_a_number_is_none(text):
    assert parse_number(text) is None


def test_a_word_starting_with_m_is_not_million():
    assert parse_number("250 men") == 250


@pytest.mark.parametrize(("text", "language"), [
    ("yes", "en"), ("Yes please", "en"), ("OK", "en"), ("yse", "en"),
    ("oui", "fr"), ("Oui, c'est ça", "fr"), ("d'accord", "fr"), ("oiu", "fr"),
    ("sí", "es"), ("si", "es"), ("Claro", "es"),
    ("نعم", "ar"), ("أجل", "ar"),
    ("是", "zh"), ("是的", "zh"), ("好的", "zh"), ("确认", "zh"),
    ("да", "ru"), ("Да, верно", "ru"), ("конечно", "ru"),
])
def test_yes_in_every_language(text, language):
    assert parse_yes_no(text, language) is True


@pytest.mark.parametrize(("text", "language"), [
    ("no", "en"), ("Nope", "en"), ("non", "fr"), ("Non merci", "fr"), ("no", "es"),
    ("لا", "ar"), ("كلا", "ar"), ("不", "zh"), ("不是", "zh"), ("нет", "ru"),
    ("noo", "en"),
])
def test_no_in_every_language(text, language):
    assert parse_yes_no(text, language) is False


@pytest.mark.parametrize("text", ["", "perhaps", "250000", "Paris"])
def test_neither_yes_nor_no(text):
    assert parse_yes_no(text, "en") is None


PACKAGES = [
    ("verification", ["Verification", "Vérification", "Verificación", "التحقق", "核查",
                      "Проверка"]),
    ("case_study", ["Verification and case study", "étude de cas", "estudio de caso",
                    "دراسة الحالة", "案例研究", "тематическое исследование"]),
]


@pytest.mark.parametrize(("text", "expected"), [
    ("1", "verification"), ("2", "case_study"), ("verification", "verification"),
    ("case_study", "case_study"), ("Case study", "case_study"),
    ("I'd like the case study please", "case_study"),
    ("verificaton", "verification"), ("case stduy", "case_study"),
    ("étude de cas", "case_study"), ("案例研究", "case_study"), ("проверка", "verification"),
])
def test_choices_by_number_word_or_typo(text, expected):
    assert match_choice(text, PACKAGES) == expected


def test_a_number_outside_the_options_is_not_a_choice():
    assert match_choice("3", PACKAGES) is None
    assert match_choice("banana", PACKAGES) is None


@pytest.mark.parametrize(("text", "language", "code"), [
    ("France", "en", "FR"), ("france", "en", "FR"), ("Frnace", "en", "FR"),
    ("la France", "fr", "FR"), ("Allemagne", "fr", "DE"), ("Côte d’Ivoire", "fr", "CI"),
    ("Alemania", "es", "DE"), ("México", "es", "MX"), ("Mexico", "es", "MX"),
    ("ألمانيا", "ar", "DE"), ("مصر", "ar", "EG"), ("المغرب", "ar", "MA"),
    ("德国", "zh", "DE"), ("中国", "zh", "CN"), ("肯尼亚", "zh", "KE"),
    ("Германия", "ru", "DE"), ("Россия", "ru", "RU"), ("Казахстан", "ru", "KZ"),
    ("USA", "en", "US"), ("UK", "en", "GB"), ("KE", "en", "KE"), ("Kenya", "fr", "KE"),
    ("Brazil", "zh", "BR"),  # any language's name works in any conversation
])
def test_countries_in_six_languages(text, language, code):
    assert find_country(text, language).code == code


def test_an_unknown_country_has_no_code():
    found = find_country("Atlantis Prime", "en")
    assert found.code is None


def test_a_vague_country_offers_candidates():
    found = find_country("Guinea", "en")
    assert found.code == "GN"
    vague = find_country("Sudn", "en")
    assert vague.code in (None, "SD")
    if vague.code is None:
        assert "SD" in vague.candidates


@pytest.mark.parametrize(("code", "expected"), [
    ("FR", ("developed", "developed")), ("JP", ("developed", "developed")),
    ("US", ("developed", "developed")), ("RO", ("developed", "developed")),
    ("RU", ("developing", "in_transition")), ("KZ", ("developing", "in_transition")),
    ("KE", ("developing", "developing")), ("KR", ("developing", "developing")),
    ("BR", ("developing", "developing")), ("CN", ("developing", "developing")),
])
def test_economy_suggested_by_wesp_2024(code, expected):
    assert suggest_economy(code) == expected


def test_no_suggestion_where_wesp_does_not_classify():
    assert suggest_economy("GL") is None
    assert suggest_economy(None) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("jane@city.gov", "jane@city.gov"), (" Jane.Doe@City.GOV ", "Jane.Doe@city.gov"),
    ("<ana@ville.fr>", "ana@ville.fr"), ("mailto:li@city.cn", "li@city.cn"),
])
def test_email_addresses(text, expected):
    assert parse_email(text) == expected


@pytest.mark.parametrize("text", ["", "jane", "jane@", "jane@city", "a b@c.de",
                                  "<script>@x.com", "x" * 250 + "@city.gov"])
def test_not_email_addresses(text):
    assert parse_email(text) is None


@pytest.mark.parametrize(("text", "kind"), [
    ("back", "back"), ("Go back", "back"), ("retour", "back"), ("atrás", "back"),
    ("رجوع", "back"), ("返回", "back"), ("назад", "back"),
    ("restart", "restart"), ("recommencer", "restart"), ("reiniciar", "restart"),
    ("ابدأ من جديد", "restart"), ("重新开始", "restart"), ("заново", "restart"),
    ("help", "help"), ("?", "help"), ("aide", "help"), ("ayuda", "help"),
    ("مساعدة", "help"), ("帮助", "help"), ("помощь", "help"),
])
def test_commands_in_six_languages(text, kind):
    assert parse_command(text, "en") == Command(kind)


@pytest.mark.parametrize(("text", "slot"), [
    ("change the population", "population"),
    ("Change city name", "city_name"),
    ("change city_name", "city_name"),
    ("modifier la population", "population"),
    ("modifier l'économie", "economy"),
    ("cambiar la población", "population"),
    ("cambiar el correo", "focal_point_email"),
    ("تغيير عدد السكان", "population"),
    ("تعديل البلد", "country"),
    ("修改人口", "population"),
    ("修改 城市名称", "city_name"),
    ("изменить население", "population"),
    ("изменить должность", "representative_title"),
])
def test_change_names_the_item(text, slot):
    assert parse_command(text, "en") == Command("change", slot)


def test_change_alone_asks_which():
    assert parse_command("change", "en") == Command("change")


def test_typos_in_commands_only_count_when_asked():
    assert parse_command("bakc", "en") is None
    assert parse_command("bakc", "en", fuzzy=True) == Command("back")
    assert parse_command("chnage the population", "en", fuzzy=True) == \
        Command("change", "population")


def test_ordinary_answers_are_not_commands():
    for text in ("Paris", "Change is our vision", "250000", "Backnang"):
        assert parse_command(text, "en") is None


def test_sanitize_drops_what_databases_cannot_hold():
    assert sanitize("Lyon\x00\ud800 ") == "Lyon"
    assert sanitize("a\n\n\n\nb", multiline=True) == "a\n\nb"
    assert sanitize("a\n b") == "a b"


@given(text=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
       multiline=st.booleans())
def test_plain_ascii_takes_a_shortcut_to_the_same_result(text, multiline):
    # A zero-width space sends the text down the general path, which then drops it.
    assert sanitize(text, multiline=multiline) == sanitize(text + "\u200b", multiline=multiline)


def test_the_longest_change_phrase_wins():
    # "change the" must be tried before "change", or "the population" names no item.
    assert parse_command("change the population", "en") == Command("change", "population")
    assert parse_command("change the population", "en") == \
        parse_command("change population", "en")


def test_normalize_folds_case_accents_and_arabic_variants():
    assert normalize("Économie") == "economie"
    assert normalize("أجل") == normalize("اجل")
