"""Wizard steps from the catalog and per-step WTForms classes built with type()."""

from werkzeug.datastructures import MultiDict
from wtforms import Form

from forms.builder import build_step_form, field_name, kpi_field_prefix, steps_for_category
from forms.catalog.loading import load_catalog


def test_every_category_has_steps_covering_every_kpi_and_data_point():
    catalog = load_catalog()
    for category in catalog.categories:
        steps = steps_for_category(catalog, category.id)
        kpis = [kpi.code for step in steps for kpi in step.kpis]
        assert kpis == list(category.kpi_codes)
        asked = {dp.id for step in steps for dp in step.data_points}
        needed = {dp.id for code in kpis for dp in catalog.kpi(code).data_points}
        assert asked == needed
        assert [s.index for s in steps] == list(range(len(steps)))


def test_shared_inputs_come_first_and_once():
    catalog = load_catalog()
    steps = steps_for_category(catalog, "ec-ict-infrastructure")
    assert steps[0].kind == "shared"
    # The city's area too: wireless coverage may be given by area instead of inhabitants.
    assert {dp.id for dp in steps[0].data_points} == {"hh_total", "pop", "city_area"}
    assert all(not dp.shared for step in steps[1:] for dp in step.data_points)


def test_form_class_has_value_na_justification_and_provenance_fields():
    catalog = load_catalog()
    step = steps_for_category(catalog, "ec-ict-infrastructure")[4]  # wireless coverage
    form_class = build_step_form(step, locale="en")
    form = form_class(formdata=MultiDict({field_name("cov_3g"): "1 234",
                                          field_name("cov_4g") + "__na": "y"}))
    assert form[field_name("cov_3g")].data == "1 234"
    assert form[field_name("cov_4g") + "__na"].data is True
    prefix = kpi_field_prefix(step.kpis[0].code)
    for suffix in ("__tier", "__source", "__year"):
        assert prefix + suffix in form._fields
    tiers = [choice.value for choice in form[prefix + "__tier"].choices]
    assert tiers == ["", "accurate", "survey", "higher_level", "assumption", "personal",
                     "unknown"]


def test_classes_are_cached_per_step_and_locale_and_translated():
    catalog = load_catalog()
    step = steps_for_category(catalog, "sc-safety")[1]
    english = build_step_form(step, locale="en")
    assert build_step_form(step, locale="en") is english
    shouting = build_step_form(step, locale="xx", translate=str.upper)
    assert shouting is not english
    na_name = field_name(step.data_points[0].id) + "__na"
    assert shouting()[na_name].label.text == "NOT AVAILABLE"
    assert issubclass(english, Form)


def test_boolean_data_points_are_yes_no_choices():
    catalog = load_catalog()
    steps = steps_for_category(catalog, "sc-safety")
    step = next(s for s in steps if any(dp.type == "boolean" for dp in s.data_points))
    dp = next(dp for dp in step.data_points if dp.type == "boolean")
    form = build_step_form(step)(formdata=MultiDict({field_name(dp.id): "yes"}))
    assert form[field_name(dp.id)].data == "yes"
    assert [c.value for c in form[field_name(dp.id)].choices] == ["yes", "no"]
