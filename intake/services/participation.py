"""Confirming a city's participation: city, letter, e-mails — once per conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel import Locale
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intake.extensions import db
from intake.fees import ECONOMIES, PACKAGES, FeeQuote, quote_fee
from intake.i18n import LANGUAGES, normalise_language
from intake.letter.render import clean_text
from intake.letter.texts import letter_gettext
from intake.models import City, JobRecord, PossibleDuplicate, ProgrammeStage
from intake.models._types import utcnow
from intake.models.letter import Letter
from intake.services.cities import create_city
from intake.services.letters import (
    create_letter,
    enqueue_rendering,
    letter_for_conversation,
    letter_urls,
)
from intake.services.links import mail_base_url, workspace_url
from intake.services.mail import send_mail
from intake.services.onboarding import (
    find_registered,
    is_confirmed,
    mask_email,
    send_confirmation,
    send_links,
)

MAX_POPULATION = 100_000_000  # the largest city is well below; also fits a 32-bit column
TEXT_LIMITS = {"city_name": 200, "focal_point_name": 200, "representative_name": 200,
               "representative_title": 200, "focal_point_email": 320, "vision": 4000}
# Deliberately loose: one @, a dot in the domain, no spaces. The address is confirmed by
# the e-mail that follows, not by a pattern.
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"'.]{2,}$")


@dataclass(frozen=True)
class ParticipationResult:
    city_id: int
    fee: FeeQuote
    letter_id: int
    html_url: str
    pdf_url: str
    docx_url: str
    workspace_url: str
    # Where the confirmation e-mail went, masked ("k•••@example.org").
    confirmation_sent_to: str = ""


def _text(answers: dict, key: str, *, multiline: bool = False) -> str:
    value = answers.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text")
    text = clean_text(value, multiline=multiline)
    if not text:
        raise ValueError(f"{key} must not be empty")
    if len(text) > TEXT_LIMITS[key]:
        raise ValueError(f"{key} is too long (at most {TEXT_LIMITS[key]} characters)")
    return text


def validate_answers(answers: dict, locale: str) -> tuple[dict, str]:
    """Clean answers and the language, or ValueError naming the first bad field."""
    if not isinstance(answers, dict):
        raise ValueError("answers must be a dictionary")
    language = normalise_language(locale) if isinstance(locale, str) else None
    if language is None:
        raise ValueError(f"locale must be one of {', '.join(LANGUAGES)}")
    clean = {key: _text(answers, key) for key in
             ("city_name", "focal_point_name", "representative_name", "representative_title")}
    clean["vision"] = _text(answers, "vision", multiline=True)
    email = _text(answers, "focal_point_email")
    if not EMAIL.match(email):
        raise ValueError("focal_point_email is not a valid e-mail address")
    clean["focal_point_email"] = email
    country = answers.get("country")
    if not isinstance(country, str) or not re.fullmatch(r"[A-Za-z]{2}", country.strip()) \
            or country.strip().upper() not in Locale("en").territories:
        raise ValueError("country must be an ISO 3166-1 alpha-2 code such as NO or BR")
    clean["country"] = country.strip().upper()
    population = answers.get("population")
    if isinstance(population, bool) or not isinstance(population, int) \
            or not 1 <= population <= MAX_POPULATION:
        raise ValueError(f"population must be a whole number from 1 to {MAX_POPULATION:,}")
    clean["population"] = population
    if answers.get("economy") not in ECONOMIES:
        raise ValueError("economy must be 'developed' or 'developing'")
    clean["economy"] = answers["economy"]
    package = answers.get("package") or "verification"
    if package not in PACKAGES:
        raise ValueError("package must be 'verification' or 'case_study'")
    clean["package"] = package
    conversation_id = answers.get("conversation_id")
    if conversation_id is not None and (
            not isinstance(conversation_id, str) or not 1 <= len(conversation_id) <= 100):
        raise ValueError("conversation_id must be text of 1 to 100 characters")
    clean["conversation_id"] = conversation_id
    return clean, language


def _result(letter: Letter, base: str | None) -> ParticipationResult:
    fee = letter.fee
    quote = quote_fee(int(fee["population"]), fee["economy"], fee["package"])
    return ParticipationResult(city_id=letter.city_id, fee=quote, letter_id=letter.id,
                               workspace_url=workspace_url(letter.city, base),
                               confirmation_sent_to=mask_email(letter.city.focal_point_email),
                               **letter_urls(letter, base))


def assistant_cap_reached(now: datetime | None = None) -> bool:
    """Whether the public assistant created ASSISTANT_LETTERS_PER_HOUR letters in the last hour.

    One cap for everyone (not per address): a spammer rotating addresses cannot fill the
    pipeline, and the secretariat, who create cities by other paths, are never held back.
    """
    limit = current_app.config["ASSISTANT_LETTERS_PER_HOUR"]
    since = (now or utcnow()) - timedelta(hours=1)
    recent = db.session.scalar(select(func.count(Letter.id)).where(
        Letter.conversation_id.is_not(None), Letter.created_at >= since))
    return recent >= limit


def confirm_participation(answers: dict, *, locale: str, base_url: str | None = None
                          ) -> ParticipationResult:
    """Create the city and its letter, queue the rendering and the e-mails.

    With a `conversation_id` the call is idempotent: confirming the same conversation again
    (a double click, a retried request) returns the first result and creates nothing.
    `base_url` is the address the visitor is using: the result's links start with it, and
    so do the e-mailed ones unless PUBLIC_BASE_URL is set. The focal point is only asked to
    confirm the address; the links follow the confirmation (see services.onboarding).
    """
    clean, language = validate_answers(answers, locale)
    conversation_id = clean["conversation_id"]
    if conversation_id is not None:
        existing = letter_for_conversation(conversation_id)
        if existing is not None:
            return _finish(existing, base_url)
    fee = quote_fee(clean["population"], clean["economy"], clean["package"])
    try:
        city = create_city(
            name=clean["city_name"], population=clean["population"], country=clean["country"],
            economy=clean["economy"], package=clean["package"], locale=language, commit=False,
            vision=clean["vision"], focal_point_name=clean["focal_point_name"],
            focal_point_email=clean["focal_point_email"],
            representative_name=clean["representative_name"],
            representative_title=clean["representative_title"], email_confirmed=False,
        )
        city.stage = ProgrammeStage.LETTER_RECEIVED
        db.session.flush()
        _flag_duplicates(city)
        _keep_profile(city, clean)
        letter = create_letter(city, locale=language, fee=fee, content=clean,
                               conversation_id=conversation_id, commit=False)
        db.session.commit()
    except IntegrityError:
        # Another request confirmed the same conversation a moment ago: use its letter.
        db.session.rollback()
        letter = letter_for_conversation(conversation_id) if conversation_id else None
        if letter is None:
            raise
    return _finish(letter, base_url)


def _flag_duplicates(city: City) -> None:
    """Note for the secretariat the older cities this registration resembles."""
    for original, reason in find_registered(name=city.name, country=city.country,
                                            email=city.focal_point_email, exclude=city.id):
        if original.id < city.id:
            db.session.add(PossibleDuplicate(city_id=city.id, original_id=original.id,
                                             reason=reason))


ASSISTANT = "assistant"  # the actor of the figures given in the intake conversation


def _keep_profile(city, answers: dict) -> None:
    """The figures given to the assistant become the city's own (one city profile): the
    workspace shows them as the assistant's and does not ask for them again."""
    from intake.services.values import Entry, store_entries

    db.session.flush()  # the city's id
    population = answers["population"]
    store_entries(city.id, [Entry("pop", str(population), float(population))],
                  actor=ASSISTANT, reason="Given to the intake assistant")


def _finish(letter: Letter, base_url: str | None = None) -> ParticipationResult:
    """Queue what follows a letter; each step is keyed, so repeating it does nothing."""
    result = _result(letter, base_url)
    enqueue_rendering(letter)
    _notify_secretariat(letter, _result(letter, mail_base_url(base_url)))
    city: City = letter.city
    if is_confirmed(city):
        send_links(city, base=base_url, reason=f"letter-{letter.id}")
    else:
        send_confirmation(city, base=base_url, first=True)
    return result


def _already_queued(key: str) -> bool:
    return db.session.execute(
        select(JobRecord.id).where(JobRecord.key == f"mail:{key}")
    ).first() is not None


def _notify_secretariat(letter: Letter, result: ParticipationResult) -> None:
    key = f"letter-secretariat:{letter.id}"
    if _already_queued(key):
        return
    city: City = letter.city
    with force_locale("en"):
        context = {"city": city, "letter": letter, "result": result,
                   "_": letter_gettext("en", markup=False)}
        subject = render_template("letter/mail_secretariat_subject.txt", **context).strip()
        body = render_template("letter/mail_secretariat.txt", **context)
    send_mail(to=[current_app.config["SECRETARIAT_EMAIL"]], subject=subject, body=body, key=key)
