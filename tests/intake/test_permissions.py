"""Who sees what: secretariat everything, verifiers their cities, a city only itself."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from intake.models import ProgrammeStage
from intake.permissions import (
    SESSION_CITY,
    SESSION_KEY,
    can_move_city,
    can_view_city,
    current_city_id,
    remember_city,
    staff_required,
)
from intake.services import accounts, pipeline
from intake.services.cities import create_city
from intake.services.links import workspace_token
from tests.intake.test_accounts import make_staff, sign_in


@pytest.fixture
def world(app):
    secretariat = make_staff()
    verifier = make_staff(email="vera@example.org", role="verifier", name="Vera Verifier")
    other_verifier = make_staff(email="otto@example.org", role="verifier", name="Otto")
    mine = create_city(name="Karmøy", population=42_000, country="NO")
    theirs = create_city(name="Mashhad", population=3_300_000, country="IR")
    pipeline.assign_verifier(mine.id, verifier.id, actor=secretariat)
    pipeline.assign_verifier(theirs.id, other_verifier.id, actor=secretariat)
    return {"secretariat": secretariat, "verifier": verifier, "mine": mine, "theirs": theirs}


def test_can_view_city_by_role(app, world):
    secretariat, verifier = world["secretariat"], world["verifier"]
    mine, theirs = world["mine"].id, world["theirs"].id
    with app.test_request_context("/"):
        assert can_view_city(secretariat, mine) and can_view_city(secretariat, theirs)
        assert can_view_city(verifier, mine)
        assert not can_view_city(verifier, theirs)
        assert not can_view_city(AnonymousUserMixin(), mine)
    with app.test_request_context("/"):
        # A city session is the city's own workspace, never staff rights on it.
        remember_city(world["mine"])
        assert current_city_id() == mine
        assert not can_view_city(AnonymousUserMixin(), mine)
        assert not can_view_city(AnonymousUserMixin(), theirs)
        remember_city(world["theirs"])
        assert not can_view_city(verifier, theirs)


def test_a_city_link_gives_an_unassigned_verifier_no_staff_rights(app, client, world,
                                                                   form_post):
    """Probe finding 3: opening a city's workspace link in the verifier's browser."""
    sign_in(client, email="vera@example.org")
    assert client.get(f"/w/{workspace_token(world['theirs'])}").status_code == 302
    theirs = world["theirs"].id
    for url in (f"/staff/cities/{theirs}", f"/staff/verify/{theirs}/",
                f"/staff/verify/{theirs}/audit"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Mashhad" not in response.text


def test_a_disabled_verifier_sees_nothing(app, world):
    verifier = world["verifier"]
    accounts.disable_user(verifier)
    with app.test_request_context("/"):
        assert not can_view_city(verifier, world["mine"].id)


@pytest.mark.parametrize("value", ["7", "x", None, True, "-1", 10**9])
def test_current_city_id_reads_only_a_real_city(app, world, value):
    with app.test_request_context("/") as context:
        context.session[SESSION_CITY] = value
        context.session[SESSION_KEY] = world["mine"].access_key[:16]
        assert current_city_id() is None


def test_a_rotated_access_key_ends_city_sessions(app, world):
    with app.test_request_context("/"):
        remember_city(world["mine"])
        world["mine"].access_key = "rotated-" + world["mine"].access_key
        assert current_city_id() is None


def test_verifier_moves_only_within_verification(app, world):
    verifier, secretariat = world["verifier"], world["secretariat"]
    mine = world["mine"].id
    S = ProgrammeStage
    with app.test_request_context("/"):
        assert can_move_city(verifier, mine, S.SUBMITTED, S.IN_VERIFICATION)
        assert can_move_city(verifier, mine, S.IN_VERIFICATION, S.VERIFIED)
        assert not can_move_city(verifier, mine, S.VERIFIED, S.PUBLISHED)
        # Verified means frozen: only the secretariat reopens verification.
        assert not can_move_city(verifier, mine, S.VERIFIED, S.IN_VERIFICATION)
        assert can_move_city(secretariat, mine, S.VERIFIED, S.IN_VERIFICATION)
        assert not can_move_city(verifier, mine, S.LETTER_RECEIVED, S.ACKNOWLEDGED)
        assert not can_move_city(verifier, world["theirs"].id, S.SUBMITTED, S.IN_VERIFICATION)
        assert can_move_city(secretariat, mine, S.VERIFIED, S.PUBLISHED)


def test_staff_required_rejects_unknown_roles(app):
    with pytest.raises(ValueError):
        staff_required("mayor")


# ------------------------------------------------------------------------ through the pages
STAFF_PAGES = ["/staff/", "/staff/letters", "/staff/cities/{mine}", "/staff/cities/{theirs}",
               "/account/password"]


def test_anonymous_visitors_are_sent_to_sign_in(app, client, world):
    for page in STAFF_PAGES:
        url = page.format(mine=world["mine"].id, theirs=world["theirs"].id)
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]


def test_a_city_session_never_reaches_staff_pages(app, client, world):
    client.get(f"/w/{workspace_token(world['mine'])}")  # the city opens its workspace link
    for page in STAFF_PAGES[:4]:
        url = page.format(mine=world["mine"].id, theirs=world["theirs"].id)
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You cannot open this page" in response.text
        assert "Karmøy" not in response.text and "Mashhad" not in response.text
    # Nor can it act on its own city's step.
    token = client.get("/login").text.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(f"/staff/cities/{world['mine'].id}/stage", data={
        "csrf_token": token, "expected_stage": "data_collection", "to_stage": "submitted"})
    assert response.status_code == 403
    assert app.extensions["sqlalchemy"].session.get(
        type(world["mine"]), world["mine"].id).stage == ProgrammeStage.DATA_COLLECTION


def test_verifier_sees_only_assigned_cities(app, client, world):
    sign_in(client, email="vera@example.org")
    overview = client.get("/staff/")
    assert overview.status_code == 200
    assert "Karmøy" in overview.text and "Mashhad" not in overview.text
    assert client.get(f"/staff/cities/{world['mine'].id}").status_code == 200
    other = client.get(f"/staff/cities/{world['theirs'].id}")
    assert other.status_code == 403 and "Mashhad" not in other.text
    assert client.get("/staff/letters").status_code == 403
    # The staff menu does not offer the letters to a verifier.
    assert "/staff/letters" not in overview.text
    # Searching by name does not reveal other cities either.
    assert "Mashhad" not in client.get("/staff/?q=mash").text


def test_secretariat_sees_every_city(app, client, world):
    sign_in(client)
    overview = client.get("/staff/")
    assert "Karmøy" in overview.text and "Mashhad" in overview.text
    for city in ("mine", "theirs"):
        assert client.get(f"/staff/cities/{world[city].id}").status_code == 200
    assert client.get("/staff/letters").status_code == 200
    assert client.get("/staff/cities/999999").status_code == 404
