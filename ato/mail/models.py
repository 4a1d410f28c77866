"""The outbox: every mail is written here in the transaction that decides to send it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ato.core.models import UTCDateTime, utcnow
from ato.extensions import db


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """A mail to deliver, identified by its Message-ID: never lost, delivered at least once.

    Written in the same transaction as the change that causes it (a
    submission, a decision), so a rollback drops it and a commit keeps it
    whatever happens to the SMTP server. The sender marks it sent as soon as
    the server has accepted it, and retries with backoff otherwise. SMTP cannot
    promise "exactly once": a process killed between the acceptance and that
    mark sends it again, with the same Message-ID (see ``mail.services``).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        Index("ix_outbox_message_due", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
