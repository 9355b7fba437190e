"""The programme steps: one step at a time, recorded, and the focal point told by e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import City, Consent, JobRecord, JobState, ProgrammeStage, StageChange
from intake.models._types import utcnow
from intake.services import accounts, pipeline
from intake.services.cities import create_city
from tests.intake.test_accounts import make_staff

S = ProgrammeStage


@pytest.fixture
def staff(app):
    return make_staff()


@pytest.fixture
def city(app):
    return create_city(name="Rana", population=26_000, country="NO", locale="fr",
                       focal_point_name="Ingrid", focal_point_email="ingrid@rana.example")


def mail_jobs() -> list[JobRecord]:
    return list(db.session.execute(
        select(JobRecord).where(JobRecord.kind == "mail.send").order_by(JobRecord.created_at)
    ).scalars())


def test_forward_move_is_recorded_and_mailed(app, staff, city):
    change = pipeline.move_city(city.id, S.SUBMITTED, actor=staff, note="All 24 complete")
    db.session.refresh(city)
    assert city.stage == S.SUBMITTED
    assert (change.from_stage, change.to_stage) == (S.DATA_COLLECTION, S.SUBMITTED)
    assert change.actor_id == staff.id and change.note == "All 24 complete"
    assert change.at is not None
    [job] = [j for j in mail_jobs() if j.key == f"mail:stage-change:{change.id}"]
    assert job.state == JobState.DONE
    assert job.payload["to"] == ["ingrid@rana.example"]
    assert "Rana" in job.payload["subject"]
    assert "All 24 complete" in job.payload["body"]
    # The job row holds a placeholder; the link back to the workspace is written
    # out when the e-mail is sent.
    assert "/w/" not in job.payload["body"]
    from intake.services.links import reveal_links

    assert "/w/" in reveal_links(job.payload["body"])


def test_the_mail_is_written_in_the_citys_language(app, staff, city):
    # The secretariat works in English; Rana's focal point reads French.
    with app.test_request_context("/?lang=en"):
        change = pipeline.move_city(city.id, S.SUBMITTED, actor=staff)
    [job] = [j for j in mail_jobs() if j.key == f"mail:stage-change:{change.id}"]
    assert job.payload["subject"] == (
        "Rana\u00a0: votre étape dans le programme U4SSC est désormais "
        "«\u00a0Données soumises\u00a0»")
    body = job.payload["body"]
    assert body.startswith("Bonjour Ingrid,\n")
    assert body.rstrip().endswith("Le secrétariat de l'U4SSC")
    assert "Dear" not in body and "Submitted" not in body


def test_full_walk_through_the_programme(app, staff):
    city = create_city(name="Aukra", population=3_600, country="NO",
                       focal_point_email="fp@aukra.example")
    db.session.execute(
        City.__table__.update().where(City.id == city.id).values(stage=S.LETTER_RECEIVED))
    # Publishing needs the city's consent (intake.services.gains).
    db.session.add(Consent(city_id=city.id, public_id="aukra-1", given_at=utcnow()))
    db.session.commit()
    for target in list(S)[1:]:
        pipeline.move_city(city.id, target, actor=staff)
    history = pipeline.history(city.id)
    assert [c.to_stage for c in reversed(history)] == list(S)[1:]
    assert len([j for j in mail_jobs() if j.key.startswith("mail:stage-change:")]) == 6
    with pytest.raises(pipeline.TransitionError, match="one step at a time|already"):
        pipeline.move_city(city.id, S.PUBLISHED, actor=staff)


def test_moving_back_needs_a_note(app, staff, city):
    with pytest.raises(pipeline.TransitionError, match="needs a note"):
        pipeline.move_city(city.id, S.ACKNOWLEDGED, actor=staff, note="   ")
    db.session.refresh(city)
    assert city.stage == S.DATA_COLLECTION
    change = pipeline.move_city(city.id, S.ACKNOWLEDGED, actor=staff,
                                note="The letter must be signed by the mayor")
    assert change.to_stage == S.ACKNOWLEDGED


@pytest.mark.parametrize("target, message", [
    (S.VERIFIED, "one step at a time"),
    (S.LETTER_RECEIVED, "one step at a time"),
    (S.DATA_COLLECTION, "already at the step"),
    ("finished", "is not a step"),
])
def test_bad_transitions_are_refused_with_a_message(app, staff, city, target, message):
    with pytest.raises(pipeline.TransitionError, match=message):
        pipeline.move_city(city.id, target, actor=staff, note="why not")
    db.session.refresh(city)
    assert city.stage == S.DATA_COLLECTION
    assert db.session.execute(select(StageChange)).first() is None
    assert mail_jobs() == []


def test_a_move_made_meanwhile_is_not_skipped_over(app, staff, city):
    pipeline.move_city(city.id, S.SUBMITTED, actor=staff, expected_stage=S.DATA_COLLECTION)
    # A second person, whose page still showed "data collection", presses "forward" too.
    with pytest.raises(pipeline.TransitionError, match="in the meantime"):
        pipeline.move_city(city.id, S.SUBMITTED, actor=staff, expected_stage=S.DATA_COLLECTION)
    db.session.refresh(city)
    assert city.stage == S.SUBMITTED
    assert len(pipeline.history(city.id)) == 1


def test_no_focal_point_address_means_no_mail(app, staff):
    city = create_city(name="Kyebi", population=30_000, country="GH")
    pipeline.move_city(city.id, S.SUBMITTED, actor=None)
    assert mail_jobs() == []
    assert pipeline.history(city.id)[0].actor_id is None


def test_missing_city_is_a_clear_error(app, staff):
    with pytest.raises(pipeline.TransitionError, match="does not exist"):
        pipeline.move_city(424242, S.SUBMITTED, actor=staff)


def test_overdue_rule(app):
    entered = utcnow() - timedelta(days=31)
    assert pipeline.stage_age(S.DATA_COLLECTION, entered).overdue
    assert pipeline.stage_age(S.DATA_COLLECTION, entered).days == 31
    assert not pipeline.stage_age(S.DATA_COLLECTION, utcnow() - timedelta(days=30)).overdue
    assert not pipeline.stage_age(S.PUBLISHED, utcnow() - timedelta(days=400)).overdue


def test_stage_entered_at_uses_the_latest_move(app, staff, city):
    assert pipeline.stage_entered_at([city.id])[city.id] == city.created_at
    change = pipeline.move_city(city.id, S.SUBMITTED, actor=staff)
    assert pipeline.stage_entered_at([city.id])[city.id] == change.at


# ------------------------------------------------------------------------ verifiers
def test_assign_verifier(app, staff, city):
    verifier = make_staff(email="vera@example.org", role="verifier")
    first = pipeline.assign_verifier(city.id, verifier.id, actor=staff)
    again = pipeline.assign_verifier(city.id, verifier.id, actor=staff)
    assert (first.city_id, first.user_id) == (again.city_id, again.user_id)
    assert [v.id for v in pipeline.verifiers_of(city.id)] == [verifier.id]
    [job] = [j for j in mail_jobs() if j.key.startswith("mail:verifier-assigned:")]
    assert job.payload["to"] == ["vera@example.org"]
    assert f"/staff/cities/{city.id}" in job.payload["body"]


def test_only_active_verifiers_can_be_assigned(app, staff, city):
    with pytest.raises(pipeline.TransitionError, match="verifier account"):
        pipeline.assign_verifier(city.id, staff.id, actor=staff)
    with pytest.raises(pipeline.TransitionError, match="verifier account"):
        pipeline.assign_verifier(city.id, 999_999, actor=staff)
    verifier = make_staff(email="vera@example.org", role="verifier")
    accounts.disable_user(verifier)
    with pytest.raises(pipeline.TransitionError, match="disabled"):
        pipeline.assign_verifier(city.id, verifier.id, actor=staff)
    assert pipeline.verifiers_of(city.id) == []
