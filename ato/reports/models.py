"""Report data: topics, key figures (indicateurs) and per-département datasets.

Every figure carries its source: the database refuses an indicator or a
dataset without one. A dataset is published only with its values (checked by
the service that publishes it) and a publication date (checked here).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ato.core.models import UTCDateTime, enum_column, utcnow
from ato.directory.models import Departement
from ato.extensions import db

# Enough digits for counts in the millions and two decimals of a percentage.
VALUE_TYPE = Numeric(16, 4)


class RequestSide(enum.StrEnum):
    """Which side of a tele-expertise request a département dataset counts.

    Stored in the column ``cote`` (and its CHECK constraint ``cote``), the name
    the first migration gave it; the values are those of the seed file.
    """

    REQUERANTS = "requerants"  # where requests are sent from: the demand
    REQUIS = "requis"  # where requests are received
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return {
            "requerants": "Sites requérants (demandes émises)",
            "requis": "Sites requis (demandes reçues)",
            "autre": "Autre",
        }[self.value]


class Rapport(db.Model):  # type: ignore[name-defined]
    """A report topic for one period, e.g. « Téléconsultation — 2023»."""

    __tablename__ = "rapport"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    theme: Mapped[str] = mapped_column(String(200))
    periode: Mapped[str] = mapped_column(String(80))
    resume: Mapped[str | None] = mapped_column(Text)
    # The directory's own topic also shows the live statistics.
    statistiques_annuaire: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    indicateurs: Mapped[list[Indicateur]] = relationship(
        back_populates="rapport",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Indicateur.position, Indicateur.id",
    )
    jeux: Mapped[list[JeuDepartemental]] = relationship(
        back_populates="rapport",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="JeuDepartemental.position, JeuDepartemental.id",
    )

    @property
    def titre(self) -> str:
        return f"{self.theme} — {self.periode}"

    def __repr__(self) -> str:
        return f"<Rapport {self.slug}>"


class Indicateur(db.Model):  # type: ignore[name-defined]
    """One key figure, with its unit, period, evolution and source."""

    __tablename__ = "indicateur"
    __table_args__ = (
        CheckConstraint("length(trim(source)) > 0", name="has_source"),
        CheckConstraint("length(trim(unite)) > 0", name="has_unit"),
        CheckConstraint(
            "evolution IS NULL OR evolution_reference IS NOT NULL", name="evolution_has_reference"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rapport_id: Mapped[int] = mapped_column(
        ForeignKey("rapport.id", ondelete="CASCADE"), index=True
    )
    cle: Mapped[str] = mapped_column(String(80), unique=True)  # natural key of the seed
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    libelle: Mapped[str] = mapped_column(String(300))
    valeur: Mapped[Decimal] = mapped_column(VALUE_TYPE)
    unite: Mapped[str] = mapped_column(String(80))
    periode: Mapped[str] = mapped_column(String(80))
    # Percentage change against ``evolution_reference`` (the previous period).
    evolution: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    evolution_reference: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(500))
    source_url: Mapped[str | None] = mapped_column(String(500))
    extrait: Mapped[str | None] = mapped_column(Text)  # the sentence of the source, verbatim
    note: Mapped[str | None] = mapped_column(Text)
    publie: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # Set when staff edit the figure: seeding never overwrites it afterwards.
    modifie_par_equipe_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rapport: Mapped[Rapport] = relationship(back_populates="indicateurs")

    def __repr__(self) -> str:
        return f"<Indicateur {self.cle} {self.valeur}>"


class JeuDepartemental(db.Model):  # type: ignore[name-defined]
    """Values per département: a choropleth map, its table and its CSV.

    ``legende`` lists the classes of the map, lowest first, as
    ``{"libelle": str, "min": number | None, "max": number | None}`` (min
    included, max excluded).
    """

    __tablename__ = "jeu_departemental"
    __table_args__ = (
        CheckConstraint("length(trim(source)) > 0", name="has_source"),
        CheckConstraint("length(trim(unite)) > 0", name="has_unit"),
        CheckConstraint("NOT publie OR published_at IS NOT NULL", name="published_has_date"),
        UniqueConstraint("rapport_id", "slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rapport_id: Mapped[int] = mapped_column(
        ForeignKey("rapport.id", ondelete="CASCADE"), index=True
    )
    cle: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80))  # the chart's URL inside its topic
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    titre: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    side: Mapped[RequestSide] = mapped_column("cote", enum_column(RequestSide, "cote"))
    unite: Mapped[str] = mapped_column(String(80))
    periode: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(500))
    source_url: Mapped[str | None] = mapped_column(String(500))
    extrait: Mapped[str | None] = mapped_column(Text)
    legende: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    publie: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the values were last replaced (an upload), None until the first one.
    valeurs_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rapport: Mapped[Rapport] = relationship(back_populates="jeux")
    valeurs: Mapped[list[ValeurDepartementale]] = relationship(
        back_populates="jeu",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ValeurDepartementale.departement_code",
    )

    def __repr__(self) -> str:
        return f"<JeuDepartemental {self.cle}>"


class ValeurDepartementale(db.Model):  # type: ignore[name-defined]
    __tablename__ = "valeur_departementale"

    jeu_id: Mapped[int] = mapped_column(
        ForeignKey("jeu_departemental.id", ondelete="CASCADE"), primary_key=True
    )
    departement_code: Mapped[str] = mapped_column(
        ForeignKey("departement.code", ondelete="RESTRICT"), primary_key=True
    )
    valeur: Mapped[Decimal] = mapped_column(VALUE_TYPE)

    jeu: Mapped[JeuDepartemental] = relationship(back_populates="valeurs")
    departement: Mapped[Departement] = relationship()
