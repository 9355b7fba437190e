"""Schemathesis against /api/v1/openapi.json, in-process: no server errors, no schema drift."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from intake.extensions import db
from intake.fees import quote_fee
from intake.models.score import CategoryScore
from intake.services import pipeline
from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.letters import create_letter
from tests.intake.test_accounts import make_staff
from tests.intake.test_api_auth import bearer, staff_with_token

CHECKS = [not_a_server_error, response_schema_conformance]
MAX_EXAMPLES = 30


def _seed() -> dict:
    """Data for the generated requests to find: ids 1 and 2 exist, with values and scores."""
    secretariat = make_staff(email="boss@example.org")
    first = create_city(name="Bizerte", population=142_966, country="TN", economy="developing",
                        package="verification", locale="fr")
    second = create_city(name="Москва", population=13_000_000, country="RU")
    value_service.set_city_values(first.id, {"pop": 142_966, "hh_internet": 30_000,
                                             "hh_total": 40_000, "resil_plan": True},
                                  actor="city", provenance={"hh_internet": {
                                      "source": "INS", "reference_year": 2023}})
    category = value_service.categories_using(["hh_internet"])[0]
    value_service.mark_category_complete(first.id, category, actor="city")
    db.session.add(CategoryScore(city_id=second.id, category_id=category,
                                 catalog_version="x", benchmark_version="y", input_hash="h",
                                 percent=None, band=None, items=[{"id": "odd"}]))
    db.session.commit()
    letter = create_letter(first, locale="fr", fee=quote_fee(142_966, "developing",
                                                             "verification"),
                           content={"city_name": "Bizerte", "country": "TN"})
    verifier, verifier_token = staff_with_token(email="ver@example.org", role="verifier")
    pipeline.assign_verifier(first.id, verifier.id, actor=secretariat)
    _user, token = staff_with_token()
    return {"token": token, "verifier_token": verifier_token, "city_id": first.id,
            "other_city_id": second.id, "letter_id": letter.id, "data_point_id": "hh_internet"}


# Schemathesis's WSGI transport does not undo Content-Encoding: ask for the plain body.
PLAIN = {"Accept-Encoding": "identity"}


def test_api_has_no_server_errors_and_matches_its_schema(app):
    seeded = _seed()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17

    for operation in operations:
        # A secretariat token reaches every branch; a verifier's meets the 403s.
        for token in (seeded["token"], seeded["verifier_token"]):
            _generated_requests(operation, token)()

    # The same operations on ids that exist, so the 200 bodies are checked too.
    known = {"city_id": seeded["city_id"], "letter_id": seeded["letter_id"],
             "data_point_id": seeded["data_point_id"], "conversation_id": "unknown",
             "item_id": "EC: ICT: ICT: 4C#cov_3g"}
    for operation in operations:
        if operation.method.upper() != "GET":
            continue
        for city_id in (seeded["city_id"], seeded["other_city_id"]):
            params = {name: (city_id if name == "city_id" else known[name])
                      for name in _path_names(operation)}
            case = operation.Case(path_parameters=params,
                                  query=_required_query(operation))
            response = case.call(headers={**bearer(seeded["token"]), **PLAIN})
            case.validate_response(response, checks=CHECKS)
            assert response.status_code in (200, 404), (operation.path, response.status_code)


def _generated_requests(operation, token: str):
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers={**bearer(token), **PLAIN})
        case.validate_response(response, checks=CHECKS)

    return run


def _path_names(operation) -> list[str]:
    return [p.name for p in operation.path_parameters]


def _required_query(operation) -> dict:
    if operation.path.endswith("/fee"):
        return {"population": 250_000, "economy": "developing"}
    return {}
