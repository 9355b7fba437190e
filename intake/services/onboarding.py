"""A city's first hour: a confirmed focal point address, its links e-mailed and found again."""

from __future__ import annotations

import time
import unicodedata

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from intake.extensions import db
from intake.i18n import normalise_language
from intake.models import City, JobRecord
from intake.models._types import utcnow
from intake.models.letter import Letter
from intake.services.letters import letter_urls
from intake.services.links import mail_base_url, workspace_url
from intake.services.mail import send_mail

CONFIRM_SALT = "confirm-focal-point-email"
CONFIRM_MAX_AGE = 14 * 24 * 3600
# One e-mail of each kind per city in this many seconds, however often it is asked for.
MAIL_INTERVAL = 10 * 60


# ------------------------------------------------------------------------------ addresses
def mask_email(address: str | None) -> str:
    """"k•••@example.org": enough for the owner to recognise, little for anyone else."""
    if not address or "@" not in address:
        return ""
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"


def same_address(one: str | None, other: str | None) -> bool:
    return bool(one and other) and one.strip().casefold() == other.strip().casefold()


def is_confirmed(city: City) -> bool:
    return city.email_confirmed_at is not None and bool(city.focal_point_email)


def focal_point_recipient(city: City) -> str | None:
    """The focal point's address if they confirmed it; nothing else is sent to it."""
    return city.focal_point_email if is_confirmed(city) else None


def _language(city: City) -> str:
    return normalise_language(city.locale) or "en"


def _bucket() -> int:
    return int(time.time() // MAIL_INTERVAL)


def _sent_recently(key: str) -> bool:
    return db.session.execute(
        select(JobRecord.id).where(JobRecord.key == f"mail:{key}")).first() is not None


# ------------------------------------------------------------------------------ confirmation
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirmation_token(city: City) -> str:
    # Bound to the address and the city's key: a changed address or a rotated key needs a
    # new confirmation.
    return _serializer().dumps({"city": city.id, "key": city.access_key[:16],
                                "email": (city.focal_point_email or "").casefold()})


def city_from_confirmation(token: str) -> City | None:
    """The city whose address this genuine, unexpired confirmation link names."""
    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("city"), int):
        return None
    city = db.session.get(City, data["city"])
    if (city is None or city.access_key[:16] != data.get("key")
            or (city.focal_point_email or "").casefold() != data.get("email")):
        return None
    return city


def send_confirmation(city: City, *, base: str | None = None, first: bool = False) -> bool:
    """The short fixed-text e-mail asking the focal point to confirm the address.

    It carries nothing a visitor typed (not even the city's name), so the public assistant
    cannot be used to send someone else's words to any address.
    """
    if not city.focal_point_email:
        return False
    key = f"confirm-email:{city.id}:" + ("first" if first else str(_bucket()))
    if _sent_recently(key):
        return False
    link = f"{mail_base_url(base)}/confirm-email/{confirmation_token(city)}"
    with force_locale(_language(city)):
        subject = _("Please confirm your e-mail address for U4SSC")
        body = _("Someone registered a city in the U4SSC KPI programme (United for Smart "
                 "Sustainable Cities) with this e-mail address as its focal point.\n\n"
                 "If it was you, open this link to confirm the address; we will then e-mail "
                 "you the participation letter and the link to your city's workspace:\n\n"
                 "%(link)s\n\nIf it was not you, ignore this message: nothing more will be "
                 "sent to you.\n\nThe U4SSC secretariat", link=link)
    send_mail(to=[city.focal_point_email], subject=subject, body=body, key=key)
    return True


def confirm_email(city: City, *, base: str | None = None) -> bool:
    """Record the confirmed address and e-mail the links; True the first time."""
    first = city.email_confirmed_at is None
    if first:
        city.email_confirmed_at = utcnow()
        db.session.commit()
    send_links(city, base=base, reason="confirmed" if first else None)
    return first


# ------------------------------------------------------------------------------ the links
def latest_letter(city_id: int) -> Letter | None:
    return db.session.execute(
        select(Letter).where(Letter.city_id == city_id)
        .order_by(Letter.created_at.desc(), Letter.id.desc()).limit(1)
    ).scalar_one_or_none()


def send_links(city: City, *, base: str | None = None, reason: str | None = None) -> bool:
    """E-mail the letter and workspace links to the confirmed focal point address only.

    `reason` keys a one-off e-mail (the one right after confirmation); without it, at most
    one such e-mail per city leaves in each ten minutes.
    """
    recipient = focal_point_recipient(city)
    if recipient is None:
        return False
    key = f"links:{city.id}:" + (reason or str(_bucket()))
    if _sent_recently(key):
        return False
    base = mail_base_url(base)
    letter = latest_letter(city.id)
    with force_locale(_language(city)):
        context = {"city": city, "workspace_url": workspace_url(city, base),
                   "resume_url": f"{base}/resume",
                   "letter": letter_urls(letter, base) if letter is not None else None}
        subject = _("Your U4SSC links for %(city)s", city=city.name)
        body = render_template("letter/mail_links.txt", **context)
    send_mail(to=[recipient], subject=subject, body=body, key=key)
    return True


def resume_by_email(address: str, *, base: str | None = None) -> None:
    """Send what is held for this address; says nothing about whether anything is.

    A confirmed city gets its links; a city whose address was never confirmed gets the
    confirmation e-mail again (its links follow the confirmation).
    """
    address = (address or "").strip()
    if not address or len(address) > 320:
        return
    cities = db.session.execute(
        select(City).where(func.lower(City.focal_point_email) == address.lower())
        .order_by(City.id)
    ).scalars().all()
    for city in cities:
        if not same_address(city.focal_point_email, address):
            continue
        if is_confirmed(city):
            send_links(city, base=base)
        else:
            send_confirmation(city, base=base)


def resend(city: City, *, base: str | None = None) -> str:
    """Staff's "send the link again": "links", "confirmation" or "no-email"."""
    if not city.focal_point_email:
        return "no-email"
    if is_confirmed(city):
        send_links(city, base=base, reason=f"staff-{time.time_ns()}")
        return "links"
    send_confirmation(city, base=base, first=False)
    return "confirmation"


# ------------------------------------------------------------------------------ duplicates
def name_key(name: str | None) -> str:
    """A city name as compared for duplicates: case, accents, spaces and dashes ignored."""
    text = unicodedata.normalize("NFKD", name or "").casefold()
    return "".join(char for char in text
                   if char.isalnum() and not unicodedata.combining(char))


def find_registered(*, name: str | None = None, country: str | None = None,
                    email: str | None = None, exclude: int | None = None
                    ) -> list[tuple[City, str]]:
    """Cities already registered with this name and country ("name") or address ("email")."""
    found: dict[int, tuple[City, str]] = {}
    key = name_key(name)
    if key and country:
        for city in db.session.execute(
                select(City).where(City.country == country.strip().upper()[:2])
                .order_by(City.id)).scalars():
            if name_key(city.name) == key:
                found.setdefault(city.id, (city, "name"))
    if email and email.strip():
        for city in db.session.execute(
                select(City).where(func.lower(City.focal_point_email) == email.strip().lower())
                .order_by(City.id)).scalars():
            if same_address(city.focal_point_email, email):
                found.setdefault(city.id, (city, "email"))
    return [entry for city_id, entry in sorted(found.items()) if city_id != exclude]
