"""Deadlines and reminders: the right days, once each, stoppable, and shown in the pipeline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from intake.extensions import db, mail
from intake.models import ReminderSent
from intake.models.city import ProgrammeStage
from intake.services import reminders
from intake.services import team as team_service
from intake.services.cities import create_city
from intake.services.values import mark_category_complete
from tests.conftest import csrf_token_from

DRAINAGE = "ec-drainage"
FOOD = "sc-food-security"


@pytest.fixture
def city(app):
    app.config["MAIL_SERVER"] = "localhost"  # Flask-Mail records instead of sending (TESTING)
    app.config["SECRETARIAT_EMAIL"] = "sec@example.org"
    city = create_city(name="Remindham", population=50_000, locale="en",
                       focal_point_name="Ana Focal", focal_point_email="ana@example.org")
    city.stage = ProgrammeStage.DATA_COLLECTION
    db.session.commit()
    reminders.set_deadline(city.id, date(2027, 3, 31))
    with mail.record_messages():
        team_service.invite(city.id, name="Bo Water", email="bo@example.org",
                            department="Water utility", categories=[DRAINAGE], kpis=[],
                            due_on=date(2027, 3, 10))
    return city


def sweep_on(day: date) -> list[tuple[str, str]]:
    """Run the sweep twice that day (as two workers would); what was e-mailed, to whom."""
    with time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                             tick=False), mail.record_messages() as outbox:
        first = reminders.send_due_reminders()
        second = reminders.send_due_reminders()
    assert second == 0, "a second sweep the same day sent again"
    assert first == len(outbox)
    return sorted((m.recipients[0], m.subject) for m in outbox)


def test_reminders_fire_on_the_right_days_once_each(city):
    assert sweep_on(date(2027, 3, 6)) == [
        ("ana@example.org", "Remindham: this week in your U4SSC data collection")]
    assert sweep_on(date(2027, 3, 7)) == [
        ("bo@example.org", "Remindham: your U4SSC figures are due on 2027-03-10")]
    assert sweep_on(date(2027, 3, 8)) == [  # Monday: a new week's digest
        ("ana@example.org", "Remindham: this week in your U4SSC data collection")]
    assert sweep_on(date(2027, 3, 9)) == []
    assert sweep_on(date(2027, 3, 10)) == []
    assert sweep_on(date(2027, 3, 11)) == [
        ("bo@example.org", "Remindham: your U4SSC figures are overdue")]
    assert sweep_on(date(2027, 3, 12)) == []
    assert sweep_on(date(2027, 3, 18)) == [
        ("ana@example.org", "Remindham: this week in your U4SSC data collection"),
        ("bo@example.org", "Remindham: your U4SSC figures are overdue")]
    assert sweep_on(date(2027, 4, 1)) == [
        ("ana@example.org", "Remindham: this week in your U4SSC data collection"),
        ("bo@example.org", "Remindham: your U4SSC figures are overdue"),
        ("sec@example.org", "U4SSC: Remindham is past its data-collection deadline")]
    # Bo finishes: no more reminders to Bo; the secretariat still hears the city is late.
    mark_category_complete(city.id, DRAINAGE, actor="Bo Water (Water utility)")
    db.session.commit()
    assert [who for who, _s in sweep_on(date(2027, 4, 8))] == [
        "ana@example.org", "sec@example.org"]
    rows = db.session.execute(select(ReminderSent)).scalars().all()
    assert len(rows) == len({(r.recipient, r.kind, r.period) for r in rows}) == 11


def test_the_digest_says_what_is_done_and_late_and_by_whom(city):
    with time_machine.travel(datetime(2027, 3, 15, 9, tzinfo=UTC), tick=False), \
            mail.record_messages() as outbox:
        reminders.send_due_reminders()
    digest = next(m for m in outbox if m.recipients == ["ana@example.org"])
    assert "Drainage: late, due 2027-03-10 (Bo Water (Water utility))" in digest.body
    assert "/w/reminders/stop/" in digest.body


def test_a_person_stops_their_reminders_from_the_link(app, city, client):
    with time_machine.travel(datetime(2027, 3, 7, 9, tzinfo=UTC), tick=False), \
            mail.record_messages() as outbox:
        reminders.send_due_reminders()
    message = next(m for m in outbox if m.recipients == ["bo@example.org"])
    path = message.body.split("http://localhost", 1)[1].split()[0]
    page = client.get(path + "?lang=en")
    assert page.status_code == 200 and "Stop my reminders" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert not reminders.stopped("bo@example.org")  # a GET (a mail scanner) stops nothing
    assert client.post(path).status_code == 400  # no CSRF token: refused
    done = client.post(path + "?lang=en", data={"csrf_token": csrf_token_from(page.text)})
    assert done.status_code == 200 and "no more reminders" in done.text
    assert reminders.stopped("bo@example.org")
    assert "bo@example.org" not in [who for who, _s in sweep_on(date(2027, 3, 11))]
    assert client.get("/w/reminders/stop/forged").status_code == 404


def test_due_dates_stay_within_the_citys_deadline(city):
    with pytest.raises(team_service.TeamError, match="2027-03-31"):
        team_service.invite(city.id, name="Cy", email="cy@example.org", department="",
                            categories=[FOOD], kpis=[], due_on=date(2027, 5, 1))
    member = team_service.invite(city.id, name="Cy", email="cy@example.org", department="",
                                 categories=[FOOD], kpis=[])
    assert member.assignments[0].due_on == date(2027, 3, 31)


def test_acknowledging_the_letter_sets_the_default_deadline(app):
    from intake.services import pipeline

    reminders.set_default_collection_days(90)
    city = create_city(name="Newham", population=9_000)
    city.stage = ProgrammeStage.LETTER_RECEIVED
    db.session.commit()
    with time_machine.travel(datetime(2027, 1, 10, 9, tzinfo=UTC), tick=False):
        pipeline.move_city(city.id, ProgrammeStage.ACKNOWLEDGED, actor=None)
    assert reminders.deadline(city.id) == date(2027, 4, 10)
    with pytest.raises(reminders.DeadlineError):
        reminders.set_default_collection_days(3)


def test_the_pipeline_shows_deadline_on_time_rate_and_last_activity(app, city):
    from tests.intake.test_accounts import make_staff, sign_in

    mark_category_complete(city.id, DRAINAGE, actor="Bo")
    db.session.commit()
    status = reminders.collection_status([city.id], today=date(2027, 4, 1))[city.id]
    assert status.deadline == date(2027, 3, 31)
    assert status.on_time_rate == 100
    make_staff()
    client = app.test_client()
    sign_in(client)
    page = client.get("/staff/?lang=en").text
    assert "Data deadline" in page and "2027-03-31" in page


def test_the_secretariat_sets_a_deadline_and_the_default_from_the_city_page(app, city):
    from tests.intake.test_accounts import make_staff, sign_in

    make_staff()
    client = app.test_client()
    sign_in(client)
    page = client.get(f"/staff/cities/{city.id}?lang=en")
    assert "Data-collection deadline" in page.text and "2027-03-31" in page.text
    token = csrf_token_from(page.text)
    client.post(f"/staff/cities/{city.id}/deadline",
                data={"csrf_token": token, "due_on": "2027-04-30"})
    assert reminders.deadline(city.id) == date(2027, 4, 30)
    refused = client.post(f"/staff/cities/{city.id}/default-deadline",
                          data={"csrf_token": token, "days": "2"})
    assert refused.status_code == 302 and reminders.default_collection_days() == 120
    client.post(f"/staff/cities/{city.id}/default-deadline",
                data={"csrf_token": token, "days": "60"})
    assert reminders.default_collection_days() == 60
