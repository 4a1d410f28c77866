"""What the last checks of each web address said, and which contacts were told."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ato.core.models import UTCDateTime, enum_column, utcnow
from ato.extensions import db


class LinkState(enum.StrEnum):
    OK = "ok"
    BROKEN = "rompu"

    @property
    def label(self) -> str:
        return {"ok": "Fonctionne", "rompu": "Indisponible"}[self.value]


class LinkCheck(db.Model):  # type: ignore[name-defined]
    """One distinct URL of the published directory and its last check.

    A broken link has a reason, a count of consecutive failures and the time of
    the first of them; a working one has none of these (the database says so).
    """

    __tablename__ = "link_check"
    __table_args__ = (
        CheckConstraint("consecutive_failures >= 0", name="failures_positive"),
        CheckConstraint(
            "(state = 'ok' AND consecutive_failures = 0 AND failing_since IS NULL) OR "
            "(state = 'rompu' AND consecutive_failures > 0 AND failing_since IS NOT NULL "
            "AND reason IS NOT NULL)",
            name="state_coherent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500), unique=True)
    state: Mapped[LinkState] = mapped_column(enum_column(LinkState, "state"))
    http_status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(120))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notices: Mapped[list[LinkNotice]] = relationship(
        back_populates="link", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_broken(self) -> bool:
        return self.state == LinkState.BROKEN

    def __repr__(self) -> str:
        return f"<LinkCheck {self.url!r} {self.state}>"


class LinkNotice(db.Model):  # type: ignore[name-defined]
    """An entry's contact was told that this link fails (once per failure episode)."""

    __tablename__ = "link_notice"
    __table_args__ = (UniqueConstraint("link_id", "requis_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link_check.id", ondelete="CASCADE"))
    requis_id: Mapped[int] = mapped_column(ForeignKey("requis.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    link: Mapped[LinkCheck] = relationship(back_populates="notices")
