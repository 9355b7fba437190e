"""The signed participation letter: uploaded by the city, received and acknowledged by staff."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intake.extensions import db
from intake.models import City, ProgrammeStage, User
from intake.models._types import utcnow
from intake.models.letter import Letter
from intake.services import evidence
from intake.services.evidence import EvidenceError

# A scan, never a spreadsheet: what a signed sheet of paper becomes.
ACCEPTED_KINDS = ("pdf", "jpeg", "png")


class SignedLetterError(EvidenceError):
    """A refused upload; `text` says why, in the user's language."""


def max_bytes() -> int:
    return evidence.max_bytes()


def current_letter(city_id: int) -> Letter | None:
    """The city's latest participation letter: the one to sign."""
    return db.session.execute(
        select(Letter).where(Letter.city_id == city_id)
        .order_by(Letter.created_at.desc(), Letter.id.desc()).limit(1)
    ).scalar_one_or_none()


def _folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "signed-letters"


def signed_path(letter: Letter) -> Path | None:
    if not letter.signed_stored_name:
        return None
    return _folder() / letter.signed_stored_name


def upload_signed_letter(city_id: int, filename: str, stream: BinaryIO) -> Letter:
    """Keep the signed scan on the city's letter and tell the secretariat it arrived.

    Checked like evidence files: by content (PDF, JPEG or PNG), with a name that matches,
    under the same size cap. A new upload replaces the previous one until the secretariat
    has acknowledged it.
    """
    letter = current_letter(city_id)
    if letter is None:
        raise SignedLetterError(_l("Your city has no participation letter yet: prepare it "
                                   "with the assistant first."))
    if letter.signed_acknowledged_at is not None:
        raise SignedLetterError(_l("The secretariat has already acknowledged your signed "
                                   "letter; there is nothing more to send."))
    data = evidence.read_limited(stream, max_bytes())
    if not data:
        raise SignedLetterError(_l("The file is empty. Choose the file again."))
    original = evidence._plain_name(filename)
    kind = evidence.sniff(data)
    if kind not in ACCEPTED_KINDS or not original.lower().endswith(
            evidence.NAME_EXTENSIONS[kind]):
        raise SignedLetterError(_l("Send the signed letter as a PDF, JPEG or PNG file (a "
                                   "scan or a photo of the signed page), under its usual "
                                   "name (.pdf, .jpg, .png)."))
    content_type, extension = evidence.KINDS[kind]
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + extension
    with open(folder / stored_name, "xb") as handle:
        handle.write(data)
    previous = signed_path(letter)
    letter.signed_name = original[:255]
    letter.signed_stored_name = stored_name
    letter.signed_content_type = content_type
    letter.signed_size = len(data)
    letter.signed_at = utcnow()
    db.session.commit()
    if previous is not None:
        previous.unlink(missing_ok=True)
    _tell_secretariat(letter)
    return letter


def _tell_secretariat(letter: Letter) -> None:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from intake.services.links import mail_base_url
    from intake.services.mail import send_mail

    city: City = letter.city
    with force_locale("en"):
        subject = _("Signed participation letter received: %(city)s", city=city.name)
        body = _("%(city)s uploaded its signed participation letter. Acknowledge it on the "
                 "city's page: %(url)s", city=city.name,
                 url=f"{mail_base_url()}/staff/cities/{city.id}")
    send_mail(to=[current_app.config["SECRETARIAT_EMAIL"]], subject=subject, body=body,
              key=f"signed-letter:{letter.id}:{letter.signed_stored_name}")


def acknowledge(letter_id: int, *, actor: User) -> Letter | None:
    """Mark the signed letter acknowledged; a city still at "letter received" moves on."""
    from intake.services import pipeline

    letter = db.session.get(Letter, letter_id)
    if letter is None or letter.signed_at is None:
        return None
    if letter.signed_acknowledged_at is None:
        letter.signed_acknowledged_at = utcnow()
        letter.signed_acknowledged_by_id = actor.id
        db.session.commit()
        city = db.session.get(City, letter.city_id)
        if city is not None and city.stage == ProgrammeStage.LETTER_RECEIVED:
            try:
                pipeline.move_city(city.id, ProgrammeStage.ACKNOWLEDGED, actor=actor,
                                   expected_stage=ProgrammeStage.LETTER_RECEIVED)
            except pipeline.TransitionError:
                db.session.rollback()  # someone moved it meanwhile: their move stands
    return letter
