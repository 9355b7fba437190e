"""Who is at the workspace: the city by its link, or a colleague within what is theirs."""

from __future__ import annotations

from functools import wraps

from flask import (
    g,
    render_template,
    request,
    session,
)

from intake.extensions import db
from intake.models import City
from intake.permissions import (
    SESSION_MEMBER,
    current_city,
    current_member_state,
    forget_member,
    remember_city,
)
from intake.services import team as team_service
from intake.services.links import (
    LinkError,
    city_from_token,
    workspace_token,
)
from intake.wizard import team_access as rendering_team

SESSION_TOKEN = "workspace_token"


# ------------------------------------------------------------------------------ identity
def remember(city: City) -> None:
    forget_member()
    remember_city(city)
    # Re-issued on each visit: the link stays valid while it is used.
    session[SESSION_TOKEN] = workspace_token(city)


def city_from_session() -> City | None:
    return current_city()


def city_from_resume_field() -> City | None:
    token = request.form.get("resume", "")
    if not token or len(token) > 500:
        return None
    try:
        city = city_from_token(token)
    except LinkError:
        return None
    remember(city)
    return city


def city_required(view):
    """The city's focal point, or a colleague within what is handed to them."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.member = None
        city = city_from_session()
        if city is None and SESSION_MEMBER in session:
            member, state = current_member_state()
            if state != "ok":
                return rendering_team.stopped_link(member, state)
            g.member, g.scope = member, team_service.scope_of(member)
            g.city = db.session.get(City, member.city_id)
            if not rendering_team.member_may(request.endpoint, request.view_args or {}):
                return rendering_team.not_yours()
            return view(*args, **kwargs)
        if city is None and request.method == "POST":
            city = city_from_resume_field()
        if city is None:
            return render_template("wizard/no_session.html"), 401
        g.city = city
        return view(*args, **kwargs)

    return wrapper


def actor() -> str:
    """Who is acting, by name and department, for values, provenance, files and audit."""
    if g.get("member") is not None:
        return g.member.signature
    city = g.city
    return f"{city.focal_point_name or city.name} (focal point)"[:200]


def member_for_expired_form():
    """A colleague whose form expired keeps what they typed, within what is theirs."""
    g.member = None
    if SESSION_MEMBER not in session:
        return None
    member, state = current_member_state()
    if state != "ok":
        return None
    g.member, g.scope = member, team_service.scope_of(member)
    g.city = db.session.get(City, member.city_id)
    if not rendering_team.member_may(request.endpoint, request.view_args or {}):
        g.member = None
        return None
    return member


def posted_version() -> int | None:
    """The version the form was based on; None when garbled (or beyond any real version)."""
    value = request.form.get("version", "0").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    return int(value)
