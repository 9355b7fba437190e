"""Who may see what: staff roles, verifier assignments, and a city user's own city."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, session
from flask_login import current_user
from sqlalchemy import select

from intake.extensions import db, login_manager
from intake.models.city import City, ProgrammeStage
from intake.models.user import User, UserRole, VerifierAssignment

# The steps a verifier may move a city between (on cities assigned to them); every other
# move is the secretariat's.
VERIFIER_STAGES = frozenset({ProgrammeStage.SUBMITTED, ProgrammeStage.IN_VERIFICATION,
                             ProgrammeStage.VERIFIED})


# A city user's session, opened by the workspace link: the city and the first characters of
# its access key, so rotating the key ends every session opened with an old link.
SESSION_CITY = "workspace_city"
SESSION_KEY = "workspace_key"


def remember_city(city: City) -> None:
    session.permanent = True
    session[SESSION_CITY] = city.id
    session[SESSION_KEY] = city.access_key[:16]


# A colleague's session, opened by their personal link: kept apart from the city's, so a
# colleague never holds the city's rights (see intake/services/team.py).
SESSION_MEMBER = "team_member"
SESSION_MEMBER_KEY = "team_member_key"


def remember_member(member) -> None:
    from intake.services.team import session_key

    session.permanent = True
    for name in (SESSION_CITY, SESSION_KEY, "workspace_token"):
        session.pop(name, None)
    session[SESSION_MEMBER] = member.id
    session[SESSION_MEMBER_KEY] = session_key(member)


def forget_member() -> None:
    session.pop(SESSION_MEMBER, None)
    session.pop(SESSION_MEMBER_KEY, None)


def current_member_state():
    """(colleague, state) of this session: state "ok", "revoked", "replaced" or "invalid"."""
    from intake.services.team import member_for_session

    if SESSION_MEMBER not in session:
        return None, "invalid"
    return member_for_session(session.get(SESSION_MEMBER), session.get(SESSION_MEMBER_KEY))


def current_member():
    """The colleague whose personal link opened this session, while that link is valid."""
    member, state = current_member_state()
    return member if state == "ok" else None


def current_city() -> City | None:
    """The city this session was opened for, if its link is still valid."""
    city_id = session.get(SESSION_CITY)
    if isinstance(city_id, bool) or not isinstance(city_id, int):
        return None
    city = db.session.get(City, city_id)
    if city is None or city.access_key[:16] != session.get(SESSION_KEY):
        return None
    return city


def current_city_id() -> int | None:
    """The id of the city this session was opened for, else None."""
    city = current_city()
    return city.id if city is not None else None


def current_staff_user():
    """The signed-in staff member (the real object, not Flask-Login's proxy)."""
    return current_user._get_current_object()


def staff_city_or_abort(city_id: int) -> City:
    """The city a staff page asks for: 404 when it does not exist, 403 when not theirs."""
    city = db.session.get(City, city_id)
    if city is None:
        abort(404)
    if not can_view_city(current_staff_user(), city_id):
        abort(403)
    return city


def is_staff(user) -> bool:
    return isinstance(user, User) and user.is_authenticated and user.is_active


def assigned_city_ids(user: User) -> set[int]:
    return set(db.session.execute(
        select(VerifierAssignment.city_id).where(VerifierAssignment.user_id == user.id)
    ).scalars())


def can_view_city(user, city_id: int) -> bool:
    """Staff rights on a city: secretariat every city, a verifier the cities assigned to them.

    Only the role and the assignment count, never a city session opened in the same
    browser: a workspace link gives a city's own pages, not staff pages about it.
    """
    if not is_staff(user):
        return False
    if user.role == UserRole.SECRETARIAT:
        return True
    return user.role == UserRole.VERIFIER and city_id in assigned_city_ids(user)


def can_move_city(user, city_id: int, from_stage: ProgrammeStage,
                  to_stage: ProgrammeStage) -> bool:
    """Secretariat: any move; verifier: within verification, on an assigned city.

    A verified city's figures are frozen: only the secretariat reopens its verification.
    """
    if not is_staff(user):
        return False
    if user.role == UserRole.SECRETARIAT:
        return True
    return (user.role == UserRole.VERIFIER and city_id in assigned_city_ids(user)
            and from_stage in VERIFIER_STAGES and to_stage in VERIFIER_STAGES
            and from_stage != ProgrammeStage.VERIFIED)


def can_manage(user) -> bool:
    """Assign verifiers, read the letters inbox, manage accounts."""
    return is_staff(user) and user.role == UserRole.SECRETARIAT


def staff_required(*roles: str | UserRole) -> Callable:
    """Let signed-in staff (of these roles, or any role) in; others are sent away.

    A visitor with no account is asked to sign in; a city user (their session holds a city)
    and staff of another role get the 403 page, so staff pages never open to a city.
    """
    allowed = {UserRole(role) for role in roles}

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not is_staff(current_user):
                if current_city_id() is not None or SESSION_MEMBER in session:
                    abort(403)
                return login_manager.unauthorized()
            if allowed and current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
