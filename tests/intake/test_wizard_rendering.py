"""Step pages built from a per-(step, language) skeleton: never stale, never shared."""

from __future__ import annotations

import dataclasses
import re

import pytest
from flask_babel import refresh
from flask_wtf import FlaskForm
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from forms.builder import build_step_form, field_name, kpi_field_prefix
from forms.catalog.loading import load_catalog
from intake.extensions import db
from intake.services.cities import create_city
from intake.services.wizard.drafts import step_formdata
from intake.services.wizard.steps import steps
from intake.wizard import rendering
from tests.intake.test_wizard import (
    ICT,
    fresh_csrf,
    input_value,
    open_workspace,
    post_step,
    version_from,
)

SKELETONS = "intake.wizard.skeletons"


@pytest.fixture
def two_cities(app):
    return (create_city(name="Northtown", population=80_000),
            create_city(name="Southville", population=90_000))


def _page(client, path):
    fresh_csrf()
    page = client.get(path)
    fresh_csrf()
    assert page.status_code == 200
    return page.text


def test_a_save_is_visible_on_the_next_visit(client, two_cities):
    city, _other = two_cities
    open_workspace(client, city)
    before = _page(client, f"/w/c/{ICT}/1")
    assert input_value(before, "dp_hh_internet") == ""
    assert post_step(client, ICT, 1, {"dp_hh_internet": "12 345",
                                      "kpi_ec_ict_ict_1c__source": "Office <stats>"},
                     action="save", page=before).status_code == 302
    after = _page(client, f"/w/c/{ICT}/1")
    assert input_value(after, "dp_hh_internet") == "12 345"
    assert input_value(after, "kpi_ec_ict_ict_1c__source") == "Office &lt;stats&gt;"
    assert int(version_from(after)) == int(version_from(before)) + 1


def test_two_cities_never_see_each_others_values_or_tokens(app, two_cities):
    north, south = two_cities
    first, second = app.test_client(), app.test_client()
    open_workspace(first, north)
    open_workspace(second, south)
    page = _page(first, f"/w/c/{ICT}/1")
    assert post_step(first, ICT, 1, {"dp_hh_internet": "4711"}, action="save",
                     page=page).status_code == 302
    north_page = _page(first, f"/w/c/{ICT}/1")
    south_page = _page(second, f"/w/c/{ICT}/1")
    assert input_value(north_page, "dp_hh_internet") == "4711"
    assert input_value(south_page, "dp_hh_internet") == ""
    assert "4711" not in south_page
    assert "Southville" in south_page and "Northtown" not in south_page
    assert "Northtown" in north_page and "Southville" not in north_page

    def token(html, name):
        return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html).group(1)

    assert token(north_page, "csrf_token") != token(south_page, "csrf_token")
    assert token(north_page, "resume") != token(south_page, "resume")


def test_each_language_gets_its_own_text(client, two_cities):
    city, _other = two_cities
    catalog = load_catalog()
    label = catalog.data_point("hh_internet").label
    open_workspace(client, city)
    pages = {}
    for lang in ("en", "fr", "ar", "en"):
        refresh()  # tests share one app context, where Flask-Babel keeps the locale
        pages[lang] = _page(client, f"/w/c/{ICT}/1?lang={lang}")
        assert label.get(lang) in pages[lang]
    assert label.get("en") not in pages["fr"]
    assert 'dir="rtl"' in pages["ar"] and 'dir="rtl"' not in pages["en"]
    assert 'lang="fr"' in pages["fr"]


def test_widgets_are_exactly_what_the_form_renders(app, client, two_cities):
    city, _other = two_cities
    open_workspace(client, city)
    step = steps("ec-urban-planning")[2]  # yes/no questions
    post_step(client, "ec-urban-planning", 2, {"dp_udsp_compact": "yes",
                                               "dp_udsp_connected": "no",
                                               "dp_udsp_integrated__why": "a <b> & c"},
              action="save")
    page = _page(client, "/w/c/ec-urban-planning/2")
    with app.test_request_context():
        formdata = MultiDict(step_formdata(city.id, step))
        assert formdata["dp_udsp_integrated__why"] == "a <b> & c"
        form = build_step_form(step, base=FlaskForm, locale="en")(formdata=formdata)
        for dp in step.data_points:
            name = field_name(dp.id)
            for option in form[name]:
                assert str(option()) in page
            assert str(form[name + "__na"](class_="na-toggle")) in page
        assert str(form["dp_udsp_integrated__why"](id="dp_udsp_integrated__why")) in page
        prefix = kpi_field_prefix(step.kpis[0].code)
        assert str(form[prefix + "__tier"](id=prefix + "__tier")) in page


def test_skeletons_are_bounded(app, client, two_cities, monkeypatch):
    monkeypatch.setattr(rendering, "MAX_SKELETONS", 2)
    city, _other = two_cities
    open_workspace(client, city)
    for index in range(4):
        page = _page(client, f"/w/c/{ICT}/{index}")
        assert f'action="/w/c/{ICT}/{index}"' in page
    assert len(app.extensions[SKELETONS]) == 2


def test_a_reloaded_catalog_gets_its_own_skeleton(app):
    catalog = load_catalog()
    reloaded = dataclasses.replace(catalog)  # equal content, another object
    step = steps(ICT)[1]
    with app.test_request_context():
        form_class = build_step_form(step, base=FlaskForm, locale="en")
        args = (step, catalog.category(ICT), steps(ICT), "en", form_class)
        first = rendering.skeleton(catalog, *args)
        assert rendering.skeleton(catalog, *args) is first
        assert rendering.skeleton(reloaded, *args) is not first


def test_a_save_claims_the_version_in_one_statement(client, two_cities):
    city, _other = two_cities
    open_workspace(client, city)
    page = _page(client, f"/w/c/{ICT}/1")
    assert post_step(client, ICT, 1, {"dp_hh_internet": "1"}, action="save",
                     page=page).status_code == 302
    page = _page(client, f"/w/c/{ICT}/1")
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = post_step(client, ICT, 1, {"dp_hh_internet": "2"}, action="next",
                             page=page)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 302
    claims = [s for s in statements if s.startswith("UPDATE category_state")]
    assert len(claims) == 1 and "current_step" in claims[0]
    assert not [s for s in statements if s.startswith("SELECT category_state.id")]
    assert sum(s.startswith("INSERT INTO value_audit") for s in statements) == 1
    # The category was open, so nothing looks its status up again to decide on scoring.
    assert not [s for s in statements if s.startswith("SELECT category_state.status")]
    # The same statement recorded where "continue" lands next time.
    assert client.get(f"/w/c/{ICT}").location.endswith(f"/w/c/{ICT}/2")


def test_text_widgets_are_exactly_what_the_form_renders(app, client, two_cities):
    city, _other = two_cities
    open_workspace(client, city)
    step = steps(ICT)[1]
    post_step(client, ICT, 1, {"dp_hh_internet": 'x" <y>', "kpi_ec_ict_ict_1c__year": "20x4",
                               "kpi_ec_ict_ict_1c__tier": "survey"}, action="save")
    page = _page(client, f"/w/c/{ICT}/1")
    with app.test_request_context():
        form = build_step_form(step, base=FlaskForm, locale="en")(
            formdata=MultiDict(step_formdata(city.id, step)))
        name, prefix = "dp_hh_internet", "kpi_ec_ict_ict_1c"
        assert str(form[name](id=name, class_="value-input", dir="ltr", aria_invalid="true",
                              aria_describedby=f"{name}-unit {name}-msg")) in page
        assert str(form[prefix + "__year"](id=prefix + "__year", class_="year-input",
                                           dir="ltr", aria_invalid="true",
                                           aria_describedby=f"{prefix}__year-msg")) in page
        assert str(form[prefix + "__tier"](id=prefix + "__tier")) in page
