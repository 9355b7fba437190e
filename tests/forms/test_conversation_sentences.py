"""The assistant reads answers typed as sentences: names taken out and confirmed, the signatory's
role sent to the title slot, corrections typed at the summary, and the package's prices."""

from __future__ import annotations

import pytest

from forms import conversation as engine
from forms.parsing import load_data
from intake.fees import quote_fee

TEXT = load_data("text.json")
YES = {"en": "yes", "fr": "oui", "es": "sí", "ar": "نعم", "zh": "是", "ru": "да"}
NO = {"en": "no", "fr": "non", "es": "no", "ar": "لا", "zh": "不", "ru": "нет"}


def run(locale, messages, state=None):
    if state is None:
        state, _turn = engine.start(locale)
    turn = None
    for message in messages:
        state, turn = engine.answer(state, message, quote=quote_fee)
    return state, turn


def noted(locale, slot, **values):
    return TEXT[locale][f"noted.{slot}"].format(**values)


# (language, typed, the city's name in it)
CITY_SENTENCES = [
    ("fr", "Bonjour, c'est pour la mairie de Saint-Aubin-sur-Loire", "Saint-Aubin-sur-Loire"),
    ("fr", "Bonjour ! C’est pour la ville de Saint-Aubin-sur-Loire.", "Saint-Aubin-sur-Loire"),
    ("fr", "Nous sommes la commune de Saint-Aubin-sur-Loire, merci", "Saint-Aubin-sur-Loire"),
    ("fr", "Madame, Monsieur, je vous écris de la part de la mairie de Lyon", "Lyon"),
    ("fr", "Nous sommes une petite commune rurale appelée Saint-Aubin", "Saint-Aubin"),
    ("en", "Hello, this is for the city of Springfield", "Springfield"),
    ("en", "Hi! We are from Springfield.", "Springfield"),
    ("en", "Good morning, I am writing on behalf of the city of Port Louis", "Port Louis"),
    ("en", "We are a small town called Springfield", "Springfield"),
    ("es", "Hola, soy de Medellín", "Medellín"),
    ("es", "Buenos días, es para la alcaldía de San José", "San José"),
    ("es", "Escribo desde el ayuntamiento de Valencia, gracias", "Valencia"),
    ("ar", "مرحبا، نحن من مدينة الرباط", "الرباط"),
    ("ar", "السلام عليكم، أنا من بلدية تونس", "تونس"),
    ("ar", "بلدية دبي", "دبي"),
    ("zh", "你好，我们是深圳", "深圳"),
    ("zh", "您好！我们来自杭州市", "杭州市"),
    ("zh", "深圳市人民政府", "深圳市"),
    ("ru", "Здравствуйте, это город Казань", "Казань"),
    ("ru", "Добрый день! Пишу от имени администрации города Казань.", "Казань"),
    ("ru", "Привет, наш город называется Тверь", "Тверь"),
]


@pytest.mark.parametrize(("locale", "typed", "name"), CITY_SENTENCES)
def test_a_city_named_in_a_sentence_is_confirmed_then_kept(locale, typed, name):
    state, turn = run(locale, [typed])
    assert turn.slot == "city_name" and turn.error is None
    assert noted(locale, "city_name", value=name) in turn.text
    assert [choice["value"] for choice in turn.choices] == ["yes", "no"]
    assert "city_name" not in state["answers"]  # nothing kept before the person agrees
    state, turn = engine.answer(state, YES[locale], quote=quote_fee)
    assert state["answers"]["city_name"] == name
    assert turn.slot == "country" and name in turn.text


@pytest.mark.parametrize(("locale", "typed"), [
    ("fr", "Saint-Aubin-sur-Loire"), ("en", "Springfield"), ("en", "Hi-Tech City"),
    ("en", "City of London"), ("es", "Ciudad de México"), ("ar", "دبي"), ("zh", "深圳"),
    ("ru", "Казань"), ("fr", "L'Haÿ-les-Roses"), ("ru", "Ростов-на-Дону"),
])
def test_a_plain_name_is_taken_as_typed_without_a_question(locale, typed):
    state, turn = run(locale, [typed])
    assert state["answers"]["city_name"] == typed
    assert turn.slot == "country"


def test_no_to_the_noted_name_asks_for_the_name_alone():
    state, turn = run("fr", ["Bonjour, c'est pour la mairie de Saint-Aubin-sur-Loire", "non"])
    assert turn.slot == "city_name" and "city_name" not in state["answers"]
    assert TEXT["fr"]["name_again"] in turn.text
    state, turn = engine.answer(state, "Saint-Aubin", quote=quote_fee)
    assert state["answers"]["city_name"] == "Saint-Aubin" and turn.slot == "country"


def test_after_no_the_same_words_are_taken_as_typed():
    # The guess was wrong; asking it again would go round in circles.
    state, turn = run("en", BEFORE_SIGNATORY["en"] + ["Mayor Smith-Jones", "no",
                                                      "Mayor Smith-Jones"])
    assert state["answers"]["representative_name"] == "Mayor Smith-Jones"
    assert turn.slot == "representative_title"


def test_another_name_instead_of_yes_or_no_is_the_answer():
    state, turn = run("en", ["Hello, this is for the city of Sprinfield", "Springfield"])
    assert state["answers"]["city_name"] == "Springfield" and turn.slot == "country"


def test_back_and_restart_leave_the_noted_name_unsaved():
    state, turn = run("en", ["Springfield", "Kenya", "back", "Hello, we are from Nairobi"])
    assert turn.slot == "country" and "pending" not in state  # back went to the country
    state, turn = run("en", ["Hello, we are from Nairobi", "help"])
    assert noted("en", "city_name", value="Nairobi") in turn.text  # still asked after help
    state, turn = engine.answer(state, "restart", quote=quote_fee)
    assert state["answers"] == {} and "pending" not in state


# (language, typed, name, title)
SIGNATORIES = [
    ("fr", "M. Koffi Yao, maire", "Koffi Yao", "Maire"),
    ("fr", "Monsieur le Maire Koffi Yao", "Koffi Yao", "Maire"),
    ("fr", "Ce sera Mme Anne Hidalgo, maire de Paris", "Anne Hidalgo", "Maire de Paris"),
    ("en", "Mr. John Smith, Mayor of Springfield", "John Smith", "Mayor of Springfield"),
    ("en", "Mayor Jane Doe", "Jane Doe", "Mayor"),
    ("en", "It will be signed by Dr. Amina Yusuf (Governor)", "Amina Yusuf", "Governor"),
    ("es", "Sr. Federico Gutiérrez, alcalde", "Federico Gutiérrez", "Alcalde"),
    ("es", "La alcaldesa María López", "María López", "Alcaldesa"),
    ("ar", "السيد محمد أحمد، رئيس البلدية", "محمد أحمد", "رئيس البلدية"),
    ("ar", "رئيس البلدية محمد أحمد", "محمد أحمد", "رئيس البلدية"),
    ("zh", "王伟市长", "王伟", "市长"),
    ("zh", "市长王伟", "王伟", "市长"),
    ("ru", "г-н Илсур Метшин, мэр", "Илсур Метшин", "Мэр"),
    ("ru", "Илсур Метшин — мэр Казани", "Илсур Метшин", "Мэр Казани"),
]

BEFORE_SIGNATORY = {
    "en": ["Springfield", "Kenya", "250,000", "yes", "1", "A green city.", "Jane Doe",
           "jane@springfield.gov"],
    "fr": ["Lyon", "France", "45 000", "oui", "1", "Une ville verte.", "Marie Curie",
           "marie@lyon.fr"],
    "es": ["Medellín", "Colombia", "2,5 millones", "sí", "1", "Una ciudad verde.", "Ana Gómez",
           "ana@medellin.gov.co"],
    "ar": ["دبي", "الإمارات العربية المتحدة", "٣٫٥ مليون", "نعم", "1", "مدينة خضراء.", "فاطمة علي",
           "fatima@dubai.ae"],
    "zh": ["深圳", "中国", "1700万", "是", "1", "绿色城市。", "李明", "liming@sz.gov.cn"],
    "ru": ["Казань", "Россия", "1,3 млн", "да", "1", "Зелёный город.", "Иван Петров",
           "ivan@kzn.ru"],
}


@pytest.mark.parametrize(("locale", "typed", "name", "title"), SIGNATORIES)
def test_the_signatorys_role_goes_to_the_title_slot(locale, typed, name, title):
    state, turn = run(locale, BEFORE_SIGNATORY[locale] + [typed])
    assert turn.slot == "representative_name"
    assert TEXT[locale]["noted.representative_name_title"].format(value=name,
                                                                  title=title) in turn.text
    state, turn = engine.answer(state, YES[locale], quote=quote_fee)
    assert state["answers"]["representative_name"] == name
    assert state["answers"]["representative_title"] == title
    assert turn.slot == "confirm"  # the title was given, so it is not asked


@pytest.mark.parametrize(("locale", "typed", "name", "honorific"), [
    ("en", "Dr. Jane Doe", "Jane Doe", "Dr"), ("fr", "Mme Marie Curie", "Marie Curie", "Mme"),
    ("es", "Sra. Ana Gómez", "Ana Gómez", "Sra"), ("ar", "السيدة فاطمة علي", "فاطمة علي", "السيدة"),
    ("zh", "李先生", "李", "先生"), ("ru", "г-жа Анна Петрова", "Анна Петрова", "г-жа"),
    ("en", "My name is Jane Doe", "Jane Doe", None),
    ("es", "Me llamo Ana Gómez", "Ana Gómez", None),
])
def test_honorifics_and_lead_ins_come_off_a_persons_name(locale, typed, name, honorific):
    state, turn = run(locale, BEFORE_SIGNATORY[locale][:6] + [typed])
    assert turn.slot == "focal_point_name"
    assert noted(locale, "focal_point_name", value=name) in turn.text
    state, turn = engine.answer(state, YES[locale], quote=quote_fee)
    assert state["answers"]["focal_point_name"] == name
    assert turn.slot == "focal_point_email" and name in turn.text
    # The honorific is not part of the letter's name, but it is not thrown away either.
    kept = state.get("set_aside", {}).get("focal_point_name", {}).get("honorific")
    assert kept == honorific


@pytest.mark.parametrize(("locale", "typed"), [
    ("en", "John Smith"), ("fr", "Grégory Doucet"), ("es", "Federico Gutiérrez"),
    ("ar", "محمد أحمد"), ("zh", "王伟"), ("ru", "Илсур Метшин"), ("en", "Don Smith"),
    ("fr", "Marie-Hélène Mairet"), ("en", "Kari Mayor"), ("es", "Federico Mayor Zaragoza"),
])
def test_a_plain_signatory_is_taken_and_the_title_still_asked(locale, typed):
    state, turn = run(locale, BEFORE_SIGNATORY[locale] + [typed])
    assert state["answers"]["representative_name"] == typed
    assert turn.slot == "representative_title"


# ---------------------------------------------------------------------------- the summary
SUMMARY = {locale: BEFORE_SIGNATORY[locale] + [name]
           for locale, name in (("en", "John Smith"), ("fr", "Grégory Doucet"),
                                ("es", "Federico Gutiérrez"), ("ar", "محمد أحمد"),
                                ("zh", "王伟"), ("ru", "Илсур Метшин"))}
TITLE = {"en": "Mayor", "fr": "Maire", "es": "Alcalde", "ar": "رئيس البلدية", "zh": "市长",
         "ru": "Мэр"}


def at_summary(locale):
    state, turn = run(locale, SUMMARY[locale] + [TITLE[locale]])
    assert turn.slot == "confirm"
    return state


@pytest.mark.parametrize(("locale", "typed"), [
    ("en", "population is 120 000"), ("en", "The population should be 120,000"),
    ("en", "no, population: 120000"), ("en", "change the population to 120k"),
    ("fr", "la population est de 120 000"), ("fr", "Non, la population est de 120 000 habitants"),
    ("fr", "corrigez la population : 120 000"),
    ("es", "la población es 120 000"), ("es", "La población es de 120.000 habitantes"),
    ("es", "cambie la población a 120 000"),
    ("ar", "عدد السكان 120000"), ("ar", "عدد السكان هو ١٢٠٠٠٠"), ("ar", "لا، السكان 120 ألف"),
    ("zh", "人口是120000"), ("zh", "人口为12万"), ("zh", "修改人口为120000"),
    ("ru", "население 120 000"), ("ru", "население составляет 120 тысяч"),
    ("ru", "исправьте население на 120 000"),
])
def test_a_correction_typed_at_the_summary_is_applied(locale, typed):
    state = at_summary(locale)
    state, turn = engine.answer(state, typed, quote=quote_fee)
    assert turn.error is None
    assert state["answers"]["population"] == 120_000
    assert turn.slot == "confirm"  # the summary again, with the new figure and its fee
    population = engine.display_value("population", 120_000, locale)
    assert TEXT[locale]["corrected"].format(item=TEXT[locale]["slot.population"],
                                            value=population) in turn.text
    assert TEXT[locale]["summary.title"] in turn.text
    assert engine.fee_sentence(state, quote_fee) in turn.text
    assert not state["done"]


@pytest.mark.parametrize(("locale", "typed"), [
    ("en", "change the e-mail to x@y.org"), ("en", "email is x@y.org"),
    ("fr", "le courriel est x@y.org"), ("es", "el correo es x@y.org"),
    ("ar", "البريد الإلكتروني x@y.org"), ("zh", "邮箱改为x@y.org"),
    ("ru", "почта x@y.org"),
])
def test_a_new_email_typed_at_the_summary_is_applied(locale, typed):
    state, turn = engine.answer(at_summary(locale), typed, quote=quote_fee)
    assert state["answers"]["focal_point_email"] == "x@y.org"
    assert turn.slot == "confirm" and "x@y.org" in turn.text


def test_other_items_can_be_corrected_in_words_too():
    state, turn = engine.answer(at_summary("en"), "the mayor is M. Koffi Yao, maire",
                                quote=quote_fee)
    assert state["answers"]["representative_name"] == "Koffi Yao"
    assert state["answers"]["representative_title"] == "Maire"
    assert turn.slot == "confirm"
    state, turn = engine.answer(state, "package is case study", quote=quote_fee)
    assert state["answers"]["package"] == "case_study" and turn.slot == "confirm"
    assert "30,000 CHF or USD" in turn.text


def test_a_new_country_at_the_summary_asks_the_economy_again():
    state, turn = engine.answer(at_summary("en"), "the country is Germany", quote=quote_fee)
    assert state["answers"]["country"] == "DE" and "economy" not in state["answers"]
    assert turn.slot == "economy"
    state, turn = engine.answer(state, "yes", quote=quote_fee)
    assert turn.slot == "confirm" and state["answers"]["economy"] == "developed"


def test_a_correction_that_does_not_read_asks_that_item_with_the_reason():
    state = at_summary("en")
    state, turn = engine.answer(state, "population is lots of people", quote=quote_fee)
    assert turn.slot == "population" and turn.error == TEXT["en"]["error.number"]
    assert state["answers"]["population"] == 250_000  # the old figure is kept meanwhile
    state, turn = engine.answer(state, "120 000", quote=quote_fee)
    assert turn.slot == "confirm" and state["answers"]["population"] == 120_000


@pytest.mark.parametrize("typed", ["yes", "Yes, that's right", "oui", "是"])
def test_yes_at_the_summary_is_still_yes(typed):
    state, turn = engine.answer(at_summary("en"), typed, quote=quote_fee)
    assert turn.done and state["done"]


def test_naming_an_item_without_a_value_still_opens_it():
    state, turn = engine.answer(at_summary("fr"), "non, la population", quote=quote_fee)
    assert turn.slot == "population"


# ---------------------------------------------------------------------------- the package
AT_PACKAGE = {
    "en": ["Springfield", "Kenya", "250,000", "yes"],
    "fr": ["Saint-Aubin-sur-Loire", "France", "45 000", "oui"],
    "es": ["Medellín", "Colombia", "2,5 millones", "sí"],
    "ar": ["دبي", "الإمارات العربية المتحدة", "٣٫٥ مليون", "نعم"],
    "zh": ["深圳", "中国", "1700万", "是"],
    "ru": ["Казань", "Россия", "1,3 млн", "да"],
}
# What the fee table says for each of these cities: (verification, case study).
FEES = {"en": ("3,000", "30,000"), "fr": ("5\u202f000", "30\u202f000"),
        "es": ("7.000", "30.000"), "ar": ("7,000", "30,000"), "zh": ("7,000", "30,000"),
        "ru": ("7\u00a0000", "30\u00a0000")}


@pytest.mark.parametrize("locale", list(AT_PACKAGE))
def test_the_package_question_shows_each_packages_fee_for_this_city(locale):
    state, turn = run(locale, AT_PACKAGE[locale])
    assert turn.slot == "package"
    verification, case_study = FEES[locale]
    labels = [choice["label"] for choice in turn.choices]
    assert labels == [
        TEXT[locale]["choice.package_fee"].format(
            label=TEXT[locale]["choice.package.verification"], amount=verification),
        TEXT[locale]["choice.package_fee"].format(
            label=TEXT[locale]["choice.package.case_study"], amount=case_study)]
    assert verification in turn.text and case_study in turn.text


def test_the_fee_follows_the_population_band_and_economy():
    for population, country, economy_answer, expected in (
            ("45000", "France", "yes", "5,000"), ("120000", "France", "yes", "6,000"),
            ("600000", "France", "yes", "8,000"), ("2 million", "France", "yes", "10,000"),
            ("45000", "Kenya", "yes", "2,000"), ("600000", "Kenya", "yes", "5,000")):
        _state, turn = run("en", ["Springfield", country, population, economy_answer])
        assert turn.choices[0]["label"] == f"Verification — {expected} CHF or USD", population
        assert turn.choices[1]["label"] == "Verification and case study — 30,000 CHF or USD"


@pytest.mark.parametrize(("locale", "question"), [
    ("en", "how much is each?"), ("en", "What does it cost?"), ("en", "prices please"),
    ("en", "How much is the case study?"),
    ("fr", "combien ça coûte ?"), ("fr", "Quel est le prix ?"), ("fr", "et les tarifs ?"),
    ("es", "¿cuánto cuesta?"), ("es", "¿Cuál es el precio?"), ("es", "¿Cuánto cuestan?"),
    ("ar", "كم السعر"), ("ar", "ما هي الأسعار؟"), ("ar", "بكم؟"),
    ("zh", "多少钱"), ("zh", "价格是多少？"), ("zh", "费用呢"),
    ("ru", "сколько стоит"), ("ru", "Какая цена?"), ("ru", "сколько стоит каждый?"),
])
def test_a_price_question_at_the_package_is_answered_with_the_prices(locale, question):
    state, asked = run(locale, AT_PACKAGE[locale])
    state, turn = engine.answer(state, question, quote=quote_fee)
    assert turn.slot == "package" and turn.error is None
    assert TEXT[locale]["error.choice"] not in turn.text
    verification, case_study = FEES[locale]
    assert turn.text.startswith(engine.package_fees_sentence(state, quote_fee))
    assert verification in turn.text and case_study in turn.text
    assert "package" not in state["answers"]  # a question is not a choice
    state, turn = engine.answer(state, "2", quote=quote_fee)
    assert state["answers"]["package"] == "case_study"
