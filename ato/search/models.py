"""What the search keeps in the database: the change log that feeds the index, and
the queries that found nothing (unmet demand)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from ato.core.models import UTCDateTime, utcnow
from ato.extensions import db


class SearchChange(db.Model):  # type: ignore[name-defined]
    """A requis whose index documents must follow a committed change.

    Written by database triggers (migration 0008) in the same transaction as
    the change, whatever made it: the ORM, a bulk statement, an import, raw SQL.
    Each host's index keeps its own position in this log (see ``sync``); rows
    are kept a week so that a host that was down can catch up.
    """

    __tablename__ = "search_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the row must outlive a deleted requis (its documents go too).
    requis_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, server_default=func.now(), index=True)


class SearchMiss(db.Model):  # type: ignore[name-defined]
    """A normalised query (text + filters) that found no recourse, and how often.

    No personal data: no IP, no session, only the normalised words and filters.
    """

    __tablename__ = "search_miss"
    __table_args__ = (UniqueConstraint("terms", "filters", name="uq_search_miss_query"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[str] = mapped_column(String(200))
    filters: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
