"""The audit log: who did what to which object, when, with before/after values per field.

Any feature records an action with :func:`log`; actions and object kinds are
enums, so a misspelt action fails when it is written, not months later when
someone filters the journal. ``log`` adds the entry to the session and never
commits: it lands with the change it describes, or not at all.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, Integer, Select, String, and_, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ato.core.models import PARIS, UTCDateTime, enum_string, utcnow
from ato.extensions import db


class Action(enum.StrEnum):
    """Every action the journal records, with the label staff read in the journal."""

    # requests and entries
    EXAMEN = "examen"
    PUBLICATION = "publication"
    REFUS = "refus"
    DEMANDE_DE_COMPLEMENT = "demande_de_complement"
    CORRECTION = "correction"
    MODIFICATION_EQUIPE = "modification_equipe"
    INDISPONIBILITE = "indisponibilite"
    DISPONIBILITE = "disponibilite"
    ARCHIVAGE = "archivage"
    REPUBLICATION = "republication"
    SUPPRESSION = "suppression"
    VERIFICATION = "verification"
    CONFIRMATION = "confirmation"
    CAMPAGNE_CONFIRMATION = "campagne_confirmation"
    SIGNALEMENT_TRAITE = "signalement_traite"
    IMPORT = "import"
    LIEN_SIGNALE = "lien_signale"
    # staff accounts
    CONNEXION = "connexion"
    CONNEXION_ECHOUEE = "connexion_echouee"
    INVITATION = "invitation"
    ACTIVATION_COMPTE = "activation_compte"
    COMPTE_DESACTIVER = "compte_desactiver"
    COMPTE_REACTIVER = "compte_reactiver"
    CHANGEMENT_MOT_DE_PASSE = "changement_mot_de_passe"
    REINITIALISATION_MOT_DE_PASSE = "reinitialisation_mot_de_passe"
    DECONNEXION_PARTOUT = "deconnexion_partout"
    DOUBLE_AUTHENTIFICATION = "double_authentification"
    CODE_DE_SECOURS = "code_de_secours"
    # report pages
    MODIFICATION_INDICATEUR = "modification_indicateur"
    PUBLICATION_INDICATEUR = "publication_indicateur"
    DEPUBLICATION_INDICATEUR = "depublication_indicateur"
    IMPORT_JEU_DEPARTEMENTAL = "import_jeu_departemental"
    PUBLICATION_JEU_DEPARTEMENTAL = "publication_jeu_departemental"
    DEPUBLICATION_JEU_DEPARTEMENTAL = "depublication_jeu_departemental"
    # retention
    PURGE = "purge"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.EXAMEN: "Prise en charge d'une demande",
    Action.PUBLICATION: "Publication",
    Action.REFUS: "Refus",
    Action.DEMANDE_DE_COMPLEMENT: "Demande de complément",
    Action.CORRECTION: "Correction avant décision",
    Action.MODIFICATION_EQUIPE: "Modification par l'équipe",
    Action.INDISPONIBILITE: "Service indisponible",
    Action.DISPONIBILITE: "Service de nouveau disponible",
    Action.ARCHIVAGE: "Archivage",
    Action.REPUBLICATION: "Nouvelle publication",
    Action.SUPPRESSION: "Suppression",
    Action.VERIFICATION: "Vérification par l'équipe",
    Action.CONFIRMATION: "Confirmation par le contact",
    Action.CAMPAGNE_CONFIRMATION: "Lien de confirmation envoyé",
    Action.SIGNALEMENT_TRAITE: "Signalement traité",
    Action.IMPORT: "Import CSV",
    Action.LIEN_SIGNALE: "Lien indisponible signalé au contact",
    Action.CONNEXION: "Connexion",
    Action.CONNEXION_ECHOUEE: "Connexion échouée",
    Action.INVITATION: "Invitation",
    Action.ACTIVATION_COMPTE: "Activation du compte",
    Action.COMPTE_DESACTIVER: "Compte désactivé",
    Action.COMPTE_REACTIVER: "Compte réactivé",
    Action.CHANGEMENT_MOT_DE_PASSE: "Changement de mot de passe",
    Action.REINITIALISATION_MOT_DE_PASSE: "Réinitialisation du mot de passe",
    Action.DECONNEXION_PARTOUT: "Déconnexion de tous les appareils",
    Action.DOUBLE_AUTHENTIFICATION: "Double authentification activée",
    Action.CODE_DE_SECOURS: "Code de secours utilisé",
    Action.MODIFICATION_INDICATEUR: "Modification d'un indicateur",
    Action.PUBLICATION_INDICATEUR: "Publication d'un indicateur",
    Action.DEPUBLICATION_INDICATEUR: "Retrait d'un indicateur",
    Action.IMPORT_JEU_DEPARTEMENTAL: "Import d'un jeu départemental",
    Action.PUBLICATION_JEU_DEPARTEMENTAL: "Publication d'un jeu départemental",
    Action.DEPUBLICATION_JEU_DEPARTEMENTAL: "Retrait d'un jeu départemental",
    Action.PURGE: "Purge (durées de conservation)",
}


class Subject(enum.StrEnum):
    """The kinds of object an audit entry is about."""

    REQUIS = "requis"
    DEMANDE = "demande"
    USER_ACCOUNT = "user_account"
    INDICATEUR = "indicateur"
    JEU_DEPARTEMENTAL = "jeu_departemental"

    @property
    def label(self) -> str:
        return {
            "requis": "Fiche",
            "demande": "Demande",
            "user_account": "Compte",
            "indicateur": "Indicateur",
            "jeu_departemental": "Jeu départemental",
        }[self.value]


class Actor(Protocol):
    """A staff account as the journal needs it (the auth feature's ``User`` is one)."""

    id: int
    email: str


class AuditEntry(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(254))  # kept if the account is deleted
    action: Mapped[Action] = mapped_column(enum_string(Action))
    object_type: Mapped[Subject] = mapped_column(enum_string(Subject))
    object_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> [before, after]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def log(
    actor: Actor | None,
    action: Action,
    subject: Subject,
    object_id: int | None,
    changes: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Record ``action`` on ``subject`` #``object_id`` with ``{field: [before, after]}``.

    Adds the entry to the session, no flush, no commit. ``actor`` is None for
    an anonymous act (a failed login, a contact confirming an entry); then
    ``actor_label`` says who it was, as far as ATO knows.
    """
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=(actor.email if actor else actor_label or "anonyme")[:254],
        action=Action(action),
        object_type=Subject(subject),
        object_id=object_id,
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def history(subject: Subject, object_id: int) -> list[AuditEntry]:
    """Everything recorded about one object, newest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == subject, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


def query(
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Select:
    """The journal, newest first, filtered; ``start``/``end`` are days in Paris time."""
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == Action(action))
    if actor:
        stmt = stmt.where(AuditEntry.actor_label.icontains(actor, autoescape=True))
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == Subject(object_type))
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if start:
        stmt = stmt.where(AuditEntry.created_at >= _paris_midnight(start))
    if end:
        stmt = stmt.where(AuditEntry.created_at < _paris_midnight(end + timedelta(days=1)))
    return stmt


def _paris_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=PARIS).astimezone(UTC)


def recorded_actions() -> list[Action]:
    """The actions present in the journal (for its filter), in alphabetical order."""
    return list(
        db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


FORGOTTEN = "(effacé)"


def forget(words: Iterable[str], about: Iterable[tuple[Subject, int]]) -> int:
    """Erase ``words`` (a contact's name, address, phone) from what the journal says about
    these objects, in the changes and in the actor's label. Returns the entries changed.

    Used when an entry or a request is deleted: the journal keeps what happened,
    not who the contact was.
    """
    words = sorted({w for w in words if w and len(w) >= 3}, key=len, reverse=True)
    pairs = list(about)
    if not words or not pairs:
        return 0
    changed = 0
    conditions = [
        and_(AuditEntry.object_type == subject, AuditEntry.object_id == object_id)
        for subject, object_id in pairs
    ]
    for entry in db.session.scalars(select(AuditEntry).where(or_(*conditions))):
        text, label = json.dumps(entry.changes, ensure_ascii=False), entry.actor_label
        for word in words:
            text = text.replace(json.dumps(word, ensure_ascii=False)[1:-1], FORGOTTEN)
            label = label.replace(word, FORGOTTEN)
        if text != json.dumps(entry.changes, ensure_ascii=False) or label != entry.actor_label:
            entry.changes, entry.actor_label = json.loads(text), label
            changed += 1
    db.session.flush()
    return changed
