"""Registration requests, their tracking, and error reports from the public."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ato.core.models import UTCDateTime, enum_column, utcnow
from ato.directory.models import Requis
from ato.extensions import db


class NatureDemande(enum.StrEnum):
    INSCRIPTION = "inscription"  # a new entry (its requis is pending)
    MODIFICATION = "modification"  # a revision of a published entry (applied on approval)

    @property
    def label(self) -> str:
        return {"inscription": "Inscription", "modification": "Mise à jour"}[self.value]


class StatutDemande(enum.StrEnum):
    RECUE = "recue"
    EN_COURS = "en_cours"
    A_COMPLETER = "a_completer"
    PUBLIEE = "publiee"
    REFUSEE = "refusee"

    @property
    def label(self) -> str:
        return {
            "recue": "Reçue",
            "en_cours": "En cours d'examen",
            "a_completer": "À compléter",
            "publiee": "Publiée",
            "refusee": "Refusée",
        }[self.value]


DECIDED_CHECK = (
    "(statut IN ('publiee', 'refusee') AND decided_at IS NOT NULL) OR "
    "(statut NOT IN ('publiee', 'refusee') AND decided_at IS NULL AND decided_by_id IS NULL)"
)


class Demande(db.Model):  # type: ignore[name-defined]
    """A request to be listed, or to change a listed entry, followed through a private link.

    ``payload`` keeps exactly what was submitted (normalised), so that staff see
    it and the submitter can edit it; for an inscription the pending requis
    holds the same content. The tracking link carries a token whose hash only
    is stored. ``idempotency_key`` comes from the form: the same form posted
    twice, or by two concurrent requests, is one request.
    """

    __tablename__ = "demande"
    __table_args__ = (
        CheckConstraint(
            "statut NOT IN ('refusee', 'a_completer') OR message IS NOT NULL",
            name="message_explains_decision",
        ),
        CheckConstraint(DECIDED_CHECK, name="decided_when_closed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nature: Mapped[NatureDemande] = mapped_column(enum_column(NatureDemande, "nature"))
    statut: Mapped[StatutDemande] = mapped_column(
        enum_column(StatutDemande, "statut"), default=StatutDemande.RECUE
    )
    requis_id: Mapped[int] = mapped_column(ForeignKey("requis.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    contact_email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str | None] = mapped_column(Text)
    submissions: Mapped[int] = mapped_column(Integer, default=1)
    # When the submitter last completed and sent it again ("à compléter"); null if never.
    resubmitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when staff edited the published entry themselves (a staff revision).
    auteur_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Who closed the request (published or refused) and when; null while it is open.
    # The account may be deleted later: the date stays, and the journal keeps the name.
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    requis: Mapped[Requis] = relationship()


class CategorieSignalement(enum.StrEnum):
    LIEN_CASSE = "lien_casse"
    COORDONNEES = "coordonnees"
    N_EXISTE_PLUS = "n_existe_plus"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return {
            "lien_casse": "Lien cassé",
            "coordonnees": "Coordonnées erronées",
            "n_existe_plus": "Ce recours n'existe plus",
            "autre": "Autre",
        }[self.value]


class Signalement(db.Model):  # type: ignore[name-defined]
    """An error reported by a visitor on a published entry, for the moderation queue."""

    __tablename__ = "signalement"

    id: Mapped[int] = mapped_column(primary_key=True)
    requis_id: Mapped[int] = mapped_column(ForeignKey("requis.id", ondelete="CASCADE"), index=True)
    categorie: Mapped[CategorieSignalement] = mapped_column(
        enum_column(CategorieSignalement, "categorie")
    )
    commentaire: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # dealt with by staff

    requis: Mapped[Requis] = relationship()


class ConfirmationLink(db.Model):  # type: ignore[name-defined]
    """A link mailed to an entry's registered contact by a confirmation campaign.

    Only the token's hash is stored. The link is single-use and expires: once
    the contact confirms, ``used_at`` is set and the link says so if opened
    again; a newer campaign replaces the entry's unused links.
    """

    __tablename__ = "confirmation_link"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_creation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requis_id: Mapped[int] = mapped_column(ForeignKey("requis.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))  # where it was sent
    sent_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requis: Mapped[Requis] = relationship()
