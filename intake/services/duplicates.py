"""Cities registered twice: the secretariat merges them into the older one or dismisses."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update

from intake.extensions import db
from intake.models import City, Conversation, PossibleDuplicate, User
from intake.models._types import utcnow
from intake.models.letter import Letter


class DuplicateError(ValueError):
    """A merge or dismissal that cannot be done; the message is for the user."""


def open_duplicates(city_ids: list[int]) -> dict[int, list[PossibleDuplicate]]:
    """Undecided flags touching each of these cities (as the newer or the older one)."""
    if not city_ids:
        return {}
    found: dict[int, list[PossibleDuplicate]] = {}
    rows = db.session.execute(
        select(PossibleDuplicate).where(
            PossibleDuplicate.resolution.is_(None),
            or_(PossibleDuplicate.city_id.in_(city_ids),
                PossibleDuplicate.original_id.in_(city_ids)))
        .order_by(PossibleDuplicate.id)).scalars()
    wanted = set(city_ids)
    for flag in rows:
        for city_id in {flag.city_id, flag.original_id} & wanted:
            found.setdefault(city_id, []).append(flag)
    return found


def _open_flag(flag_id: int) -> PossibleDuplicate:
    flag = db.session.get(PossibleDuplicate, flag_id)
    if flag is None or flag.resolution is not None:
        raise DuplicateError(_("This possible duplicate was already dealt with."))
    return flag


def dismiss(flag_id: int, *, actor: User) -> PossibleDuplicate:
    """Two different cities after all: the flag is kept, marked dismissed."""
    flag = _open_flag(flag_id)
    flag.resolution = "dismissed"
    flag.resolved_by_id = actor.id
    flag.resolved_at = utcnow()
    db.session.commit()
    return flag


def merge(flag_id: int, *, actor: User) -> City:
    """Keep the older city with its data; its twin's letters and conversations move to it
    and the twin (with whatever it entered) is removed. Returns the city kept."""
    flag = _open_flag(flag_id)
    kept_id, removed_id = flag.original_id, flag.city_id
    kept = db.session.get(City, kept_id)
    if kept is None or db.session.get(City, removed_id) is None:
        raise DuplicateError(_("One of the two cities no longer exists."))
    # Core statements: a letter's city is frozen for the ORM (see models.letter), and a merge
    # is the one move that keeps each document exactly as written.
    db.session.execute(update(Letter).where(Letter.city_id == removed_id)
                       .values(city_id=kept_id).execution_options(synchronize_session=False))
    db.session.execute(update(Conversation).where(Conversation.city_id == removed_id)
                       .values(city_id=kept_id).execution_options(synchronize_session=False))
    db.session.execute(delete(PossibleDuplicate).where(or_(
        PossibleDuplicate.city_id == removed_id, PossibleDuplicate.original_id == removed_id)))
    db.session.execute(delete(City).where(City.id == removed_id)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(City, kept_id)
