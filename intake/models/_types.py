"""Column helpers shared by the models."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum_class, length: int = 32):
    """A portable (VARCHAR + CHECK-free) enum column that stores the members' values."""
    from sqlalchemy import Enum

    return Enum(enum_class, native_enum=False, length=length, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])
