"""The intake dialogue engine: whole conversations in six languages, commands, the summary."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms import conversation as engine
from forms.parsing import load_data
from intake.fees import quote_fee

SLOTS = ["city_name", "country", "population", "economy", "package", "vision",
         "focal_point_name", "focal_point_email", "representative_name",
         "representative_title", "confirm"]

RUNS = {
    "en": (["Springfield", "Kenya", "250,000", "yes", "1",
            "A city where every neighbourhood is green, safe and connected.", "Jane Doe",
            "jane@springfield.gov", "John Smith", "Mayor"],
           {"country": "KE", "population": 250_000, "economy": "developing",
            "package": "verification"}, "3,000 CHF or USD"),
    "fr": (["Lyon", "France", "1,2 millions", "oui", "vérification",
            "Une ville verte, sobre et connectée.", "Marie Curie", "marie@lyon.fr",
            "Grégory Doucet", "Maire"],
           {"country": "FR", "population": 1_200_000, "economy": "developed",
            "package": "verification"}, "10\u202f000 CHF ou USD"),
    "es": (["Medellín", "Colombia", "2,5 millones", "sí", "estudio de caso",
            "Una ciudad innovadora e inclusiva.", "Ana Gómez", "ana@medellin.gov.co",
            "Federico Gutiérrez", "Alcalde"],
           {"country": "CO", "population": 2_500_000, "economy": "developing",
            "package": "case_study"}, "30.000 CHF o USD"),
    "ar": (["دبي", "الإمارات العربية المتحدة", "٣٫٥ مليون", "نعم", "1",
            "مدينة ذكية ومستدامة تخدم سكانها.", "فاطمة علي", "fatima@dubai.ae",
            "محمد أحمد", "رئيس البلدية"],
           {"country": "AE", "population": 3_500_000, "economy": "developing",
            "package": "verification"}, "7,000 فرنك سويسري أو دولار أمريكي"),
    "zh": (["深圳", "中国", "1700万", "是", "核查", "建设绿色、智慧、宜居的城市。", "李明",
            "liming@sz.gov.cn", "王伟", "市长"],
           {"country": "CN", "population": 17_000_000, "economy": "developing",
            "package": "verification"}, "7,000 瑞士法郎或美元"),
    "ru": (["Казань", "Россия", "1,3 млн", "да", "проверка",
            "Умный и устойчивый город для всех жителей.", "Иван Петров", "ivan@kzn.ru",
            "Илсур Метшин", "Мэр"],
           {"country": "RU", "population": 1_300_000, "economy": "developing",
            "package": "verification"}, "7\u00a0000 CHF или USD"),
}


def run(locale, messages, state=None):
    if state is None:
        state, turn = engine.start(locale)
    turns = []
    for message in messages:
        state, turn = engine.answer(state, message, quote=quote_fee)
        turns.append(turn)
    return state, turns


@pytest.mark.parametrize("locale", list(RUNS))
def test_a_whole_conversation_in_each_language(locale):
    messages, expected, fee_text = RUNS[locale]
    state, first = engine.start(locale)
    assert first.slot == "city_name" and first.choices == []
    asked = [first.slot]
    for message in messages:
        state, turn = engine.answer(state, message, quote=quote_fee)
        assert turn.error is None, (message, turn.error)
        asked.append(turn.slot)
    assert asked == SLOTS
    assert state["answers"].items() >= expected.items()
    assert fee_text in turn.text
    assert messages[0] in turn.text  # the city is in the summary
    assert turn.choices[0]["value"] == "yes"
    state, done = engine.answer(state, engine.text_for(locale, "yes"), quote=quote_fee)
    assert done.done and state["done"]
    assert engine.is_complete(state)
    json.dumps(state)  # the state is stored as JSON


@pytest.mark.parametrize("locale", list(RUNS))
def test_prompts_are_in_the_users_language(locale):
    text = load_data("text.json")[locale]
    _state, turn = engine.start(locale)
    assert text["prompt.city_name"] in turn.text
    assert text["intro"] in turn.text


def test_every_language_has_every_text():
    table = load_data("text.json")
    assert set(table) == {"en", "fr", "es", "ar", "zh", "ru"}
    for locale, texts in table.items():
        assert texts.keys() == table["en"].keys(), locale
        for slot in SLOTS:
            assert f"slot.{slot}" in texts


def test_the_summary_explains_the_band():
    state, turns = run("en", RUNS["en"][0])
    summary = turns[-1].text
    assert "a city of 250,000 in a developing economy: 3,000 CHF or USD" in summary
    for label in ("City: Springfield", "Country: Kenya", "Population: 250,000",
                  "Package: Verification", "Focal point’s e-mail: jane@springfield.gov",
                  "Signatory: John Smith", "Signatory’s title: Mayor"):
        assert label in summary
    values = [choice["value"] for choice in turns[-1].choices]
    assert values[0] == "yes"
    assert {f"change {slot}" for slot in SLOTS[:-1]} <= set(values)


def test_change_from_the_summary_returns_to_the_summary():
    state, turns = run("en", RUNS["en"][0])
    state, turn = engine.answer(state, "change the population", quote=quote_fee)
    assert turn.slot == "population"
    assert "Your answer so far: 250,000" in turn.text
    state, turn = engine.answer(state, "1.2 million", quote=quote_fee)
    assert turn.slot == "confirm"
    assert "a city of 1,200,000 in a developing economy: 7,000 CHF or USD" in turn.text


def test_change_by_button_value_and_in_french():
    state, turns = run("fr", RUNS["fr"][0])
    state, turn = engine.answer(state, "change package", quote=quote_fee)
    assert turn.slot == "package"
    state, turn = engine.answer(state, "modifier la population", quote=quote_fee)
    assert turn.slot == "population"
    state, turn = engine.answer(state, "250 000", quote=quote_fee)
    assert turn.slot == "confirm"
    assert "250\u202f000" in turn.text


def test_changing_the_country_asks_the_economy_again():
    state, _ = run("en", RUNS["en"][0])
    state, turn = engine.answer(state, "change country", quote=quote_fee)
    state, turn = engine.answer(state, "Germany", quote=quote_fee)
    assert turn.slot == "economy"
    assert "Germany" in turn.text and "developed economies" in turn.text
    assert turn.choices[0]["value"] == "developed"
    state, turn = engine.answer(state, "yes", quote=quote_fee)
    assert turn.slot == "confirm"
    assert state["answers"]["economy"] == "developed"
    assert "6,000 CHF or USD" in turn.text


def test_the_suggestion_can_be_overruled():
    state, turns = run("en", ["Nairobi", "Kenya", "4.4 million"])
    assert turns[-1].slot == "economy"
    assert "(suggested)" in turns[-1].choices[0]["label"]
    state, turn = engine.answer(state, "no", quote=quote_fee)
    assert state["answers"]["economy"] == "developed"
    state, _ = engine.answer(state, "change economy", quote=quote_fee)
    state, _ = engine.answer(state, "developing", quote=quote_fee)
    assert state["answers"]["economy"] == "developing"


def test_without_a_wesp_classification_the_question_is_plain():
    state, turns = run("en", ["Nuuk", "Greenland", "19000"])
    assert turns[-1].slot == "economy"
    assert "World Economic Situation" not in turns[-1].text
    state, turn = engine.answer(state, "yes", quote=quote_fee)
    assert turn.error and turn.slot == "economy"
    state, turn = engine.answer(state, "2", quote=quote_fee)
    assert state["answers"]["economy"] == "developing"


def test_back_goes_to_the_previous_question_and_keeps_answers():
    state, turns = run("en", ["Springfield", "Kenya", "back"])
    assert turns[-1].slot == "country"
    assert "Your answer so far: Kenya" in turns[-1].text
    assert state["answers"]["city_name"] == "Springfield"
    state, turn = engine.answer(state, "back", quote=quote_fee)
    assert turn.slot == "city_name"
    state, turn = engine.answer(state, "back", quote=quote_fee)
    assert turn.slot == "city_name" and "first question" in turn.text


@pytest.mark.parametrize(("locale", "word"), [("en", "restart"), ("fr", "recommencer"),
                                             ("es", "reiniciar"), ("ar", "ابدأ من جديد"),
                                             ("zh", "重新开始"), ("ru", "заново")])
def test_restart_in_each_language(locale, word):
    state, turns = run(locale, RUNS[locale][0][:4] + [word])
    assert turns[-1].slot == "city_name"
    assert state["answers"] == {}
    assert load_data("text.json")[locale]["restarted"] in turns[-1].text


@pytest.mark.parametrize(("locale", "word"), [("en", "help"), ("fr", "aide"), ("es", "ayuda"),
                                             ("ar", "مساعدة"), ("zh", "帮助"), ("ru", "помощь")])
def test_help_explains_then_repeats_the_question(locale, word):
    state, turns = run(locale, RUNS[locale][0][:2] + [word])
    text = load_data("text.json")[locale]
    assert text["help"] in turns[-1].text
    assert turns[-1].slot == "population"
    assert len(state["answers"]) == 2


def test_bad_answers_lose_nothing():
    state, turns = run("en", ["Springfield", "Kenya", "lots of people", "", "  ",
                              "x" * 5000, "250k", "maybe", "purple", "yes"])
    errors = [turn.error for turn in turns]
    assert errors[2] and "250000" in errors[2]  # the number explanation with an example
    assert errors[3] == errors[4] == "I did not get an answer."
    assert errors[7] and errors[8]
    assert state["answers"]["city_name"] == "Springfield"
    assert state["answers"]["population"] == 250_000
    assert state["answers"]["economy"] == "developing"
    for turn in turns:
        if turn.error:
            assert turn.text.strip()  # the same question is asked again


def test_a_too_long_name_is_refused_kindly():
    state, turns = run("en", ["x" * 201])
    assert turns[-1].slot == "city_name"
    assert "200 characters" in turns[-1].error
    assert "city_name" not in state["answers"]


def test_population_out_of_range():
    state, turns = run("en", ["Springfield", "Kenya", "0", "1.2亿"])
    assert turns[-2].error and turns[-1].error
    assert "population" not in state["answers"]


def test_an_uncertain_country_offers_buttons():
    state, turns = run("en", ["Springfield", "Nigr"])
    turn = turns[-1]
    if turn.error:
        assert turn.slot == "country" and turn.choices
        state, turn = engine.answer(state, turn.choices[0]["value"], quote=quote_fee)
    assert state["answers"]["country"] in {"NE", "NG"}


def test_no_at_the_summary_offers_the_items():
    state, turns = run("en", RUNS["en"][0] + ["no"])
    turn = turns[-1]
    assert turn.slot == "confirm" and turn.error
    assert all(choice["value"].startswith("change ") for choice in turn.choices)
    assert not state["done"]


def test_naming_an_item_at_the_summary_changes_it():
    state, turns = run("en", RUNS["en"][0] + ["vision"])
    assert turns[-1].slot == "vision"


def test_change_of_an_unasked_item_continues():
    state, turns = run("en", ["Springfield", "change the e-mail"])
    assert turns[-1].slot == "country"
    assert "not reached" in turns[-1].text


def test_change_alone_lists_the_answered_items():
    state, turns = run("en", ["Springfield", "Kenya", "change"])
    values = [choice["value"] for choice in turns[-1].choices]
    assert "change city_name" in values and "change country" in values


def test_html_is_kept_as_text():
    state, turns = run("en", ["<b>Springfield</b><script>alert(1)</script>"])
    assert state["answers"]["city_name"] == "<b>Springfield</b><script>alert(1)</script>"


def test_a_finished_conversation_stays_finished():
    state, _ = run("en", RUNS["en"][0] + ["yes"])
    state2, turn = engine.answer(state, "restart", quote=quote_fee)
    assert turn.done and state2["answers"] == state["answers"]


def test_the_engine_does_not_change_the_state_it_was_given():
    state, _ = engine.start("en")
    before = json.dumps(state, sort_keys=True)
    engine.answer(state, "Springfield", quote=quote_fee)
    assert json.dumps(state, sort_keys=True) == before


def test_no_turn_changes_the_state_it_was_given():
    # Answers, a change that clears the economy, back (pops the history), a language change.
    messages = ["Springfield", "Kenya", "250,000", "yes", "change the country", "France",
                "back", "back", "1"]
    state, _ = engine.start("en")
    for message in messages:
        before = json.dumps(state, sort_keys=True)
        new_state, _ = engine.answer(state, message, quote=quote_fee)
        assert json.dumps(state, sort_keys=True) == before
        assert new_state["answers"] is not state["answers"]
        assert new_state["history"] is not state["history"]
        moved = engine.with_locale(new_state, "fr")
        assert moved["locale"] == "fr" and new_state["locale"] == "en"
        state = new_state


def test_a_damaged_state_starts_over():
    state, turn = engine.answer({"nonsense": True}, "Springfield")
    assert turn.slot == "country"


def test_the_language_can_change_mid_conversation():
    state, _ = run("en", ["Springfield"])
    state = engine.with_locale(state, "fr")
    turn = engine.render(state)
    assert "Dans quel pays se trouve Springfield" in turn.text


MESSAGES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["yes", "no", "back", "restart", "help", "change", "change population",
                     "1", "2", "250k", "1,2 millions", "Kenya", "France", "a@b.co", "",
                     "修改人口", "نعم", "да", "\x00", "\ud800", "<script>"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(locale=st.sampled_from(["en", "fr", "es", "ar", "zh", "ru"]),
       messages=st.lists(MESSAGES, max_size=30))
def test_random_messages_never_crash(locale, messages):
    state, turn = engine.start(locale)
    for message in messages:
        state, turn = engine.answer(state, message, quote=quote_fee)
        assert turn.slot in SLOTS
        assert isinstance(turn.text, str) and turn.text
        json.dumps(state)
        if turn.done:
            assert engine.is_complete(state)
            assert set(state["answers"]) == set(SLOTS[:-1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(locale=st.sampled_from(list(RUNS)),
       noise=st.lists(st.lists(st.sampled_from(["", "   ", "\x00", "\u200b", "\n\n"]),
                               max_size=2), min_size=11, max_size=11))
def test_empty_noise_between_answers_changes_nothing(locale, noise):
    messages, expected, _fee = RUNS[locale]
    state, turn = engine.start(locale)
    for junk, message in zip(noise, [*messages, "yes"], strict=False):
        for blank in junk:
            state, turn = engine.answer(state, blank, quote=quote_fee)
            assert turn.error and not turn.done
        state, turn = engine.answer(state, message, quote=quote_fee)
    assert turn.done
    assert state["answers"].items() >= expected.items()
