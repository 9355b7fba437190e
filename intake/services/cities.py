"""Creating and finding cities."""

from __future__ import annotations

import secrets

from intake.extensions import db
from intake.models import City
from intake.models._types import utcnow


def create_city(
    *,
    name: str,
    population: int,
    country: str | None = None,
    economy: str | None = None,
    package: str | None = None,
    locale: str = "en",
    commit: bool = True,
    email_confirmed: bool = True,
    **contacts: str | None,
) -> City:
    """Create a city; `contacts` are the focal point, representative and vision fields.

    Cities created by staff or commands have a known address; the public assistant passes
    `email_confirmed=False` so nothing but a confirmation request goes to it until then.
    """
    name = (name or "").strip()
    if not name:
        raise ValueError("name must not be empty")
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError("population must be a positive whole number")
    city = City(
        name=name[:200],
        population=population,
        country=(country or None) and country.upper()[:2],
        economy=economy,
        package=package,
        locale=locale,
        access_key=secrets.token_urlsafe(32),
        email_confirmed_at=utcnow() if email_confirmed else None,
        **contacts,
    )
    db.session.add(city)
    if commit:
        db.session.commit()
    return city
