"""The directory's data model: who answers a tele-expertise request, and how to reach them.

A *requis* (an establishment, a liberal professional or a coordination device)
offers one or more *services*; each service has a specialty, optional finer
*thématiques*, the départements it accepts requests from (or the whole region)
and one or more *canaux* — the ways to send it a request.

Invariants live in the database: status values, unique FINESS/RPPS among live
entries (pending or published), identifiers required by kind, and foreign keys
with an explicit ``ondelete``.
"""

from __future__ import annotations

import enum
import functools
from datetime import date, datetime, timedelta

from slugify import slugify
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ato.core.models import UTCDateTime, enum_column, utcnow
from ato.extensions import db


class Statut(enum.StrEnum):
    EN_ATTENTE = "en_attente"
    PUBLIEE = "publiee"
    REFUSEE = "refusee"
    ARCHIVEE = "archivee"

    @property
    def label(self) -> str:
        return {
            "en_attente": "En attente",
            "publiee": "Publiée",
            "refusee": "Refusée",
            "archivee": "Archivée",
        }[self.value]


LIVE_STATUTS = (Statut.EN_ATTENTE.value, Statut.PUBLIEE.value)
_LIVE_SQL = "statut IN ('en_attente', 'publiee')"


class Fraicheur(enum.StrEnum):
    """How recently an entry was verified: staff plan their checks with it, the public
    fiche says it (green only when recent, a warning past a year)."""

    JAMAIS = "jamais"
    PERIMEE = "perimee"
    A_ECHEANCE = "a_echeance"
    A_JOUR = "a_jour"

    @property
    def label(self) -> str:
        return {
            "jamais": "Jamais vérifiée",
            "perimee": "Vérifiée il y a plus de 12 mois",
            "a_echeance": "À revérifier dans les 3 mois",
            "a_jour": "À jour",
        }[self.value]


#: A verification older than this is stale (the "taux de récence" counts the others).
STALE_AFTER = timedelta(days=365)
#: Within this much of going stale, an entry is due for a new verification.
DUE_WITHIN = timedelta(days=90)


def fraicheur(verified_at: datetime | None, now: datetime) -> Fraicheur:
    if verified_at is None:
        return Fraicheur.JAMAIS
    if verified_at < now - STALE_AFTER:
        return Fraicheur.PERIMEE
    if verified_at < now - STALE_AFTER + DUE_WITHIN:
        return Fraicheur.A_ECHEANCE
    return Fraicheur.A_JOUR


class NatureRequis(enum.StrEnum):
    ETABLISSEMENT = "etablissement"
    LIBERAL = "liberal"
    DISPOSITIF = "dispositif"

    @property
    def label(self) -> str:
        return {
            "etablissement": "Établissement de santé",
            "liberal": "Professionnel libéral",
            "dispositif": "Dispositif de coordination ou régional",
        }[self.value]


class NatureSpecialite(enum.StrEnum):
    SPECIALITE = "specialite"  # an ordinal specialty (ANS TRE_R38)
    THEMATIQUE = "thematique"  # a pathology or sub-specialty, not ordinal


class NatureOutil(enum.StrEnum):
    PLATEFORME = "plateforme"  # a tele-expertise platform: the address is a URL
    MESSAGERIE = "messagerie"  # MSSanté: the address is an e-mail
    TELEPHONE = "telephone"
    FORMULAIRE = "formulaire"  # a web form: a URL
    AUTRE = "autre"  # any other process: a URL


class Public(enum.StrEnum):
    TOUS = "tous"
    ADULTE = "adulte"
    PEDIATRIQUE = "pediatrique"

    @property
    def label(self) -> str:
        return {
            "tous": "Adultes et enfants",
            "adulte": "Adultes",
            "pediatrique": "Enfants (pédiatrie)",
        }[self.value]


class Departement(db.Model):  # type: ignore[name-defined]
    __tablename__ = "departement"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    nom: Mapped[str] = mapped_column(String(80), unique=True)
    code_region: Mapped[str] = mapped_column(String(3))
    chef_lieu: Mapped[str | None] = mapped_column(String(5))
    # INSEE's article type (TNCC) as text: "le", "la", "les" or "l'".
    article: Mapped[str | None] = mapped_column(String(3))

    @property
    def slug(self) -> str:
        return slugify(self.nom)

    @property
    def avec_article(self) -> str:
        """« la Haute-Garonne », « l'Hérault », « le Gers », « les Pyrénées-Orientales »."""
        if not self.article:
            return self.nom
        return self.article + ("" if self.article.endswith("'") else " ") + self.nom

    @property
    def de(self) -> str:
        """« de la Haute-Garonne », « du Gers », « de l'Hérault », « des Hautes-Pyrénées »."""
        contracted = {"le": "du ", "les": "des "}
        if self.article in contracted:
            return contracted[self.article] + self.nom
        return "de " + self.avec_article

    @property
    def dans(self) -> str:
        """« en Haute-Garonne », « dans le Gers », « dans l'Hérault », « dans les Hautes-Pyrénées ».

        « en » only before a feminine name with « la » (« en Lozère »), where usage is
        settled; « dans » with the article everywhere else, which is always correct.
        """
        if self.article == "la":
            return "en " + self.nom
        return "dans " + self.avec_article

    @property
    def label(self) -> str:
        return f"{self.nom} ({self.code})"

    def __repr__(self) -> str:
        return f"<Departement {self.code}>"


class Specialite(db.Model):  # type: ignore[name-defined]
    """A specialty as requérants name it, with its ANS code when it is ordinal."""

    __tablename__ = "specialite"
    __table_args__ = (
        CheckConstraint("nature = 'thematique' OR code_r38 IS NOT NULL", name="ordinal_has_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    libelle: Mapped[str] = mapped_column(String(120), unique=True)
    nature: Mapped[NatureSpecialite] = mapped_column(enum_column(NatureSpecialite, "nature"))
    code_r38: Mapped[str | None] = mapped_column(String(10), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("specialite.id", ondelete="SET NULL"))
    synonymes: Mapped[list[str]] = mapped_column(JSON, default=list)

    parent: Mapped[Specialite | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Specialite {self.slug}>"


class Outil(db.Model):  # type: ignore[name-defined]
    """A channel or tool through which a request is sent (TéléO, Omnidoc, MSSanté…)."""

    __tablename__ = "outil"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    nom: Mapped[str] = mapped_column(String(80), unique=True)
    nature: Mapped[NatureOutil] = mapped_column(enum_column(NatureOutil, "nature"))
    site: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Outil {self.slug}>"


@functools.lru_cache(maxsize=20000)
def fiche_slug(name: str) -> str:
    """The words of a fiche's address (python-slugify is slow: a page of 100 entries spent
    13 ms in it; names repeat from page to page)."""
    return slugify(name)[:80] or "fiche"


def display_name(
    nature: NatureRequis, nom: str, prenom: str | None = None, civilite: str | None = None
) -> str:
    """How a requis is named on every page: "Dr Camille Martin" for a professional."""
    if nature == NatureRequis.LIBERAL:
        return " ".join(p for p in (civilite, prenom, nom) if p)
    return nom


class Requis(db.Model):  # type: ignore[name-defined]
    """Who gives tele-expertise opinions: an establishment, a professional or a device."""

    __tablename__ = "requis"
    __table_args__ = (
        CheckConstraint("nature != 'etablissement' OR finess IS NOT NULL", name="etab_finess"),
        CheckConstraint("nature != 'liberal' OR rpps IS NOT NULL", name="liberal_rpps"),
        CheckConstraint("nature = 'liberal' OR rpps IS NULL", name="rpps_liberal_only"),
        CheckConstraint("finess IS NULL OR length(finess) = 9", name="finess_length"),
        CheckConstraint("rpps IS NULL OR length(rpps) = 11", name="rpps_length"),
        CheckConstraint(
            "statut != 'publiee' OR published_at IS NOT NULL", name="published_has_date"
        ),
        # FINESS and RPPS are unique among live entries; an archived or
        # rejected entry does not block a new registration.
        Index(
            "uq_requis_finess_live",
            "finess",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        Index(
            "uq_requis_rpps_live",
            "rpps",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
        Index("ix_requis_statut_departement", "statut", "departement_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nature: Mapped[NatureRequis] = mapped_column(enum_column(NatureRequis, "nature"))
    statut: Mapped[Statut] = mapped_column(
        enum_column(Statut, "statut"),
        default=Statut.EN_ATTENTE,
        server_default=Statut.EN_ATTENTE.value,
    )
    nom: Mapped[str] = mapped_column(String(200))
    civilite: Mapped[str | None] = mapped_column(String(10))
    prenom: Mapped[str | None] = mapped_column(String(100))
    profession_code: Mapped[str | None] = mapped_column(String(4))
    finess: Mapped[str | None] = mapped_column(String(9))
    rpps: Mapped[str | None] = mapped_column(String(11))
    adresse: Mapped[str | None] = mapped_column(String(300))
    code_postal: Mapped[str | None] = mapped_column(String(5))
    ville: Mapped[str] = mapped_column(String(120))
    departement_code: Mapped[str] = mapped_column(
        ForeignKey("departement.code", ondelete="RESTRICT")
    )
    telephone: Mapped[str | None] = mapped_column(String(30))
    site_web: Mapped[str | None] = mapped_column(String(500))
    # Private: who registered the entry and receives update links; never shown.
    contact_nom: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    est_exemple: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the public content last changed (a revision applied), never by a verification,
    # a status change or the seeding; None while unchanged since publication.
    content_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    departement: Mapped[Departement] = relationship()
    services: Mapped[list[Service]] = relationship(
        back_populates="requis",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Service.position, Service.id",
    )

    @property
    def display_name(self) -> str:
        return display_name(self.nature, self.nom, self.prenom, self.civilite)

    @property
    def slug(self) -> str:
        return fiche_slug(self.display_name)

    @property
    def is_published(self) -> bool:
        return self.statut == Statut.PUBLIEE

    @property
    def content_changed_at(self) -> datetime | None:
        """When the published content changed, if it did after the publication."""
        changed = self.content_updated_at
        if changed is None or (self.published_at and changed <= self.published_at):
            return None
        return changed

    def fraicheur(self, now: datetime) -> Fraicheur:
        return fraicheur(self.verified_at, now)

    def __repr__(self) -> str:
        return f"<Requis {self.id} {self.nom!r} {self.statut}>"


UNAVAILABILITY_ORDER = (
    "indisponible_au IS NULL OR "
    "(indisponible_du IS NOT NULL AND indisponible_du <= indisponible_au)"
)

service_departement = Table(
    "service_departement",
    db.Model.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "departement_code",
        ForeignKey("departement.code", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)

service_thematique = Table(
    "service_thematique",
    db.Model.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "specialite_id",
        ForeignKey("specialite.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class Service(db.Model):  # type: ignore[name-defined]
    """One tele-expertise offer of a requis."""

    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint(
            "delai_reponse_minutes IS NULL OR delai_reponse_minutes > 0", name="delai_positive"
        ),
        # Enforced by a trigger on SQLite (see migration 0015).
        CheckConstraint(UNAVAILABILITY_ORDER, name="indisponibilite_ordre"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requis_id: Mapped[int] = mapped_column(ForeignKey("requis.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    nom: Mapped[str] = mapped_column(String(200))
    specialite_id: Mapped[int] = mapped_column(
        ForeignKey("specialite.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    demandeurs: Mapped[str | None] = mapped_column(Text)  # who may send a request
    pieces_a_joindre: Mapped[str | None] = mapped_column(Text)
    delai_reponse_minutes: Mapped[int | None] = mapped_column(Integer)  # declared answer time
    disponibilite: Mapped[str | None] = mapped_column(String(300))
    public: Mapped[Public] = mapped_column(
        enum_column(Public, "public"), default=Public.TOUS, server_default=Public.TOUS.value
    )
    couverture_regionale: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # A closure set by staff: Europe/Paris days, both included; no end = until further notice.
    indisponible_du: Mapped[date | None] = mapped_column(Date)
    indisponible_au: Mapped[date | None] = mapped_column(Date)
    indisponible_message: Mapped[str | None] = mapped_column(String(500))

    requis: Mapped[Requis] = relationship(back_populates="services")
    specialite: Mapped[Specialite] = relationship()
    thematiques: Mapped[list[Specialite]] = relationship(
        secondary=service_thematique, order_by="Specialite.libelle"
    )
    departements: Mapped[list[Departement]] = relationship(
        secondary=service_departement, order_by="Departement.code"
    )
    canaux: Mapped[list[Canal]] = relationship(
        back_populates="service",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Canal.position, Canal.id",
    )

    def accepts_from(self, code: str) -> bool:
        return self.couverture_regionale or any(d.code == code for d in self.departements)

    def unavailable_on(self, day: date) -> bool:
        """Whether the service is closed on ``day`` (a Europe/Paris calendar day)."""
        start, end = self.indisponible_du, self.indisponible_au
        return start is not None and start <= day and (end is None or day <= end)

    def closure_ahead(self, day: date) -> bool:
        """Whether a closure is planned after ``day``."""
        return self.indisponible_du is not None and self.indisponible_du > day

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.nom!r}>"


class Canal(db.Model):  # type: ignore[name-defined]
    """One way to send a request to a service: a tool and its address.

    The address is a URL for platforms and forms, an MSSanté e-mail for
    secure messaging and a phone number for the telephone.
    """

    __tablename__ = "canal"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    outil_id: Mapped[int] = mapped_column(ForeignKey("outil.id", ondelete="RESTRICT"))
    adresse: Mapped[str] = mapped_column(String(500))
    consigne: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    service: Mapped[Service] = relationship(back_populates="canaux")
    outil: Mapped[Outil] = relationship()

    @property
    def href(self) -> str:
        nature = self.outil.nature
        if nature == NatureOutil.MESSAGERIE:
            return "mailto:" + self.adresse
        if nature == NatureOutil.TELEPHONE:
            return "tel:" + "".join(c for c in self.adresse if c.isdigit() or c == "+")
        # Defence in depth: forms accept only http(s) here, never javascript:.
        return self.adresse if self.adresse.startswith(("https://", "http://")) else "#"

    def __repr__(self) -> str:
        return f"<Canal {self.outil_id} {self.adresse!r}>"


class ChangeKind(enum.StrEnum):
    """What happened to a published entry, as those who follow the directory see it."""

    AJOUT = "ajout"  # published (new, or published again)
    MODIFICATION = "modification"  # its public content changed while published
    RETRAIT = "retrait"  # no longer published: archived, refused on revision, or deleted

    @property
    def label(self) -> str:
        return {"ajout": "Ajout", "modification": "Modification", "retrait": "Retrait"}[self.value]


class DirectoryChange(db.Model):  # type: ignore[name-defined]
    """One change of the published directory, written by database triggers (migration 0017).

    The triggers write in the same transaction as the change, whatever writes it
    (a view, an import, a seed, raw SQL): publication and withdrawal of a
    requis, a change of its public columns, and any change of its services,
    channels, coverage or thématiques while it is published. A withdrawal keeps
    the entry's name and département, so it can be told even after a deletion.
    Those who sync or follow the directory (the API, FHIR, the open data and
    the feeds) read it through :mod:`ato.directory.changes`.
    """

    __tablename__ = "directory_change"
    __table_args__ = (Index("ix_directory_change_requis_created", "requis_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: a withdrawal must outlive the deleted requis it tells of.
    requis_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind, "change_kind"))
    nom: Mapped[str | None] = mapped_column(String(200))
    departement_code: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, server_default=text("CURRENT_TIMESTAMP"), index=True
    )

    def __repr__(self) -> str:
        return f"<DirectoryChange {self.id} {self.kind} requis {self.requis_id}>"


class DirectoryState(db.Model):  # type: ignore[name-defined]
    """Each entry's newest change and whether it is published now, kept by a trigger on the
    change log (migration 0017): what a sync or a page in the order of change reads."""

    __tablename__ = "directory_state"
    __table_args__ = (
        Index("ix_directory_state_published_changed", "published", "changed_at", "requis_id"),
        Index("ix_directory_state_changed", "changed_at", "requis_id"),
    )

    requis_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published: Mapped[bool] = mapped_column(Boolean)
