"""Import jobs: a file checked (or imported) in the background, its progress and its result."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ato.core.models import UTCDateTime, enum_column, utcnow
from ato.extensions import db


class NatureImport(enum.StrEnum):
    VERIFICATION = "verification"  # a dry run: nothing is written
    IMPORT = "import"  # the entries are created (only a file without any error)


class EtatImport(enum.StrEnum):
    EN_ATTENTE = "en_attente"
    EN_COURS = "en_cours"
    TERMINE = "termine"
    ECHOUE = "echoue"


class ImportJob(db.Model):  # type: ignore[name-defined]
    """One run over one uploaded file. Progress is committed as it goes, so that the page
    that follows it (and refreshes itself, without JavaScript) shows where it is."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    nature: Mapped[NatureImport] = mapped_column(enum_column(NatureImport, "nature"))
    etat: Mapped[EtatImport] = mapped_column(
        enum_column(EtatImport, "etat"), default=EtatImport.EN_ATTENTE
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def running(self) -> bool:
        return self.etat in (EtatImport.EN_ATTENTE, EtatImport.EN_COURS)
