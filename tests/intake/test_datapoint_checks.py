"""Verification per data point: YES/NO on each figure, a refused figure corrected by the
city and checked again, and the counts in the verification report."""

from __future__ import annotations

import pytest

from intake.services import datapoint_checks as checks
from intake.services import values as value_service
from intake.services.reports import build_report
from intake.services.verification import VerificationError
from tests.conftest import csrf_token_from
from tests.intake import test_verification
from tests.intake.test_verification import ICT, as_verifier, post

world = test_verification.world  # the same cities, verifiers and filled ICT category

PAGE = "/staff/verify/{city}/c/" + ICT


def check(client, city, dp, status, note=""):
    return post(client, f"/staff/verify/{city.id}/dp/{dp}",
                {"status": status, "note": note, "category": ICT},
                PAGE.format(city=city.id))


def test_a_figure_refused_corrected_and_checked_again(app, client, world):
    city = world["mine"]
    as_verifier(client)
    page = client.get(PAGE.format(city=city.id)).text
    assert 'id="dp-hh_internet"' in page and "Check this figure" in page

    silent_no = check(client, city, "hh_internet", "no")
    assert silent_no.status_code == 409
    assert "Say what is wrong with this figure" in silent_no.text

    refused = check(client, city, "hh_internet", "no", "Counts businesses too")
    assert refused.status_code == 302
    assert checks.states(city.id)["hh_internet"].status == "no"
    page = client.get(PAGE.format(city=city.id)).text
    assert "NO: not accepted" in page and "Counts businesses too" in page
    report = build_report(city, "en", False)
    assert [dp for dp, _label, _note in report.data_points_refused] == ["hh_internet"]

    # The city corrects the figure: the check no longer stands.
    value_service.set_city_values(city.id, {"hh_internet": 39_000}, actor="city test")
    assert checks.states(city.id)["hh_internet"].status == "changed"
    assert "Changed since it was checked" in client.get(PAGE.format(city=city.id)).text

    assert check(client, city, "hh_internet", "yes").status_code == 302
    assert check(client, city, "hh_total", "yes").status_code == 302
    assert checks.summary(city.id) == {"yes": 2, "no": 0, "changed": 0}
    report = build_report(city, "en", False)
    assert report.data_points_verified == 2 and report.data_points_refused == []
    html = client.get(f"/staff/verify/{city.id}/report.html?lang=en").text
    assert "Data points not accepted" not in html


def test_checks_need_a_submitted_category_and_a_real_data_point(app, client, world):
    city = world["mine"]
    verifier = world["verifier"]
    with pytest.raises(VerificationError, match="has not been submitted"):
        checks.check_data_point(city.id, "gini", "yes", actor=verifier)
    with pytest.raises(VerificationError, match="Choose YES or NO"):
        checks.check_data_point(city.id, "hh_internet", "maybe", actor=verifier)
    as_verifier(client)
    assert check(client, city, "no_such_point", "yes").status_code == 404
    assert checks.checks(city.id) == {}


def test_only_staff_with_the_city_check_its_figures(app, world):
    city = world["mine"]
    other = app.test_client()
    as_verifier(other, email="other@example.org")  # a verifier not assigned to this city
    response = post(other, f"/staff/verify/{city.id}/dp/hh_internet",
                    {"status": "yes", "note": ""}, "/staff/")
    assert response.status_code == 403
    assert checks.checks(city.id) == {}


def test_a_refused_figure_reaches_the_city_as_a_question_it_answers(app, client, world):
    """The city never sees the verifier's page: a NO must reach its workspace (and its
    mailbox) with the reason, and the answer carries the corrected figure."""
    from tests.intake.test_verification import as_city

    city = world["mine"]
    as_verifier(client)
    assert check(client, city, "hh_internet", "no", "Counts businesses too").status_code == 302
    # Refused again before the city answered: the same thread, not a second question.
    assert check(client, city, "hh_internet", "no", "Still counts businesses").status_code == 302
    questions = service_questions(city.id)
    assert [(q.data_point_id, q.status) for q in questions] == [("hh_internet", "open")]
    assert [m.text for m in questions[0].messages] == [
        "This figure is not accepted: Counts businesses too",
        "This figure is not accepted: Still counts businesses"]

    as_city(client, city)
    page = client.get("/w/questions/?lang=en").text
    assert "This figure is not accepted: Counts businesses too" in page
    answered = client.post(f"/w/questions/{questions[0].id}/answer", data={
        "text": "Households only now.", "new_value": "39000",
        "csrf_token": csrf_token_from(page)})
    assert answered.status_code == 302
    assert checks.states(city.id)["hh_internet"].status == "changed"


def service_questions(city_id: int):
    from intake.services.verification import questions

    return questions(city_id)
