"""A draft saved by the page's script: one JSON answer instead of post, redirect and page."""

from __future__ import annotations

from intake.services import values as value_service
from tests.intake.test_wizard import ICT, city, open_workspace, post_step  # noqa: F401

JSON = {"Accept": "application/json"}


def test_a_draft_saved_by_script_answers_json_with_the_new_version(app, client, city):  # noqa: F811
    open_workspace(client, city)
    response = post_step(client, ICT, 0, {"dp_hh_total": "40000"}, action="save", headers=JSON)
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["saved"] is True and body["findings"] is False and body["message"] == "Saved."
    state = value_service.category_state(city.id, ICT)
    assert body["version"] == state.version
    # The script puts that version in the form: the next save is not taken for someone
    # else's (a conflict), even though the page was never reloaded.
    again = post_step(client, ICT, 0, {"dp_hh_total": "41000", "version": str(body["version"])},
                      action="save", headers=JSON)
    assert again.status_code == 200 and again.get_json()["version"] > body["version"]


def test_a_draft_with_a_finding_says_so(app, client, city):  # noqa: F811
    open_workspace(client, city)
    response = post_step(client, ICT, 0, {"dp_hh_total": "lots"}, action="save", headers=JSON)
    assert response.status_code == 200 and response.get_json()["findings"] is True
    page = client.get(f"/w/c/{ICT}/0").text
    assert "lots" in page and 'aria-invalid="true"' in page  # nothing typed is lost


def test_without_the_script_a_draft_save_still_redirects(app, client, city):  # noqa: F811
    open_workspace(client, city)
    response = post_step(client, ICT, 0, {"dp_hh_total": "40000"}, action="save")
    assert response.status_code == 302
