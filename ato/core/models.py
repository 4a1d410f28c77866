"""Column types and clocks shared by every feature's models."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

PARIS = ZoneInfo("Europe/Paris")  # the only time zone pages, mails and filters show


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (the only time the database stores)."""
    return datetime.now(UTC)


def paris_day(moment: datetime | None = None) -> date:
    """The calendar day in Europe/Paris at ``moment`` (now by default): the day a closure,
    an audit date or a verification age is counted in."""
    return (moment or utcnow()).astimezone(PARIS).date()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no time zone type and returns naive datetimes; PostgreSQL's
    ``timestamptz`` returns aware ones. Both come back aware in UTC here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime stored: use ato.core.models.utcnow()")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def enum_column(enum_cls: type[enum.Enum], name: str, *, length: int = 20) -> Enum:
    """A portable enum column: a VARCHAR with a named CHECK constraint on its values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def enum_string(enum_cls: type[enum.Enum], *, length: int = 50) -> Enum:
    """A VARCHAR holding an enum's values, checked in Python only.

    For open-ended vocabularies (audit actions) that grow with features: a new
    value needs no migration, and a typo still fails at write time.
    """
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
