"""Factories for directory rows (factory_boy): valid by default, every field overridable.

``RequisFactory()`` adds a requis with its services to the session and flushes;
the caller commits, as with a service. ``ServiceFactory.build()`` and
``CanalFactory.build()`` give rows that are saved with the requis they are
attached to. Reference rows (spécialités, outils, départements) are looked up by
slug or code, never created: the seeded reference data is the only one.

The ``make_*`` and ``valid_*`` functions are the names the tests call; they keep
their historical signatures (plain strings for enums, ``commit``) and delegate to
the factories.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select
from stdnum import luhn

from ato.core.models import utcnow
from ato.directory.entries import from_requis
from ato.directory.models import (
    Canal,
    Departement,
    NatureRequis,
    Outil,
    Requis,
    Service,
    Specialite,
    Statut,
)
from ato.extensions import db
from ato.registration.models import Demande, NatureDemande, StatutDemande

DEFAULT_CANAL = ("teleo", "https://teleo.exemple.invalid/demande/test")


def specialite(slug: str) -> Specialite:
    spec = db.session.scalar(select(Specialite).where(Specialite.slug == slug))
    assert spec is not None, f"unknown specialty {slug}"
    return spec


def outil(slug: str) -> Outil:
    return db.session.scalars(select(Outil).where(Outil.slug == slug)).one()


def _departements(couverture: str | list[str]) -> list[Departement]:
    return [] if couverture == "region" else [db.session.get(Departement, c) for c in couverture]


def _with_check_digit(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def _finess(departement: str, numero: int) -> str:
    return _with_check_digit(f"{departement[:2]}{numero:06d}")


def _rpps(numero: int) -> str:
    return _with_check_digit(f"1{numero:09d}")


class FinessFactory(factory.Factory):
    """A FINESS number with a valid check digit, a new one at each call.

    Requis made by :class:`RequisFactory` draw theirs from the same sequence, so
    a number made here for a test never collides with one a factory made.
    """

    class Meta:
        model = _finess

    departement = "31"
    numero = factory.Sequence(lambda n: n + 1)


class RppsFactory(factory.Factory):
    """An RPPS number with a valid check digit, a new one at each call."""

    class Meta:
        model = _rpps

    numero = factory.Sequence(lambda n: n + 1)


class _Factory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = db.session  # scoped: the current app context's session
        sqlalchemy_session_persistence = "flush"  # services flush, callers commit


class CanalFactory(_Factory):
    class Meta:
        model = Canal

    class Params:
        outil_slug = DEFAULT_CANAL[0]

    position = 0
    outil = factory.LazyAttribute(lambda o: outil(o.outil_slug))
    adresse = DEFAULT_CANAL[1]


class ServiceFactory(_Factory):
    """A service; ``couverture`` is ``"region"`` or a list of département codes."""

    class Meta:
        model = Service

    class Params:
        specialite_slug = "dermatologie"
        couverture = "region"
        thematique_slugs = ()
        canal_pairs = (DEFAULT_CANAL,)  # (outil slug, adresse), in order

    nom = factory.Sequence(lambda n: f"Service de test {n}")
    delai_reponse_minutes = 48 * 60
    demandeurs = "Médecins généralistes"
    pieces_a_joindre = "Photographies"
    specialite = factory.LazyAttribute(lambda o: specialite(o.specialite_slug))
    thematiques = factory.LazyAttribute(lambda o: [specialite(s) for s in o.thematique_slugs])
    couverture_regionale = factory.LazyAttribute(lambda o: o.couverture == "region")
    departements = factory.LazyAttribute(lambda o: _departements(o.couverture))
    canaux = factory.LazyAttribute(
        lambda o: [
            CanalFactory.build(position=i, outil_slug=slug, adresse=adresse)
            for i, (slug, adresse) in enumerate(o.canal_pairs)
        ]
    )


class RequisFactory(_Factory):
    """A published établissement in Haute-Garonne with one regional service.

    A libéral (``nature=NatureRequis.LIBERAL``) gets an RPPS, a civilité and a
    first name instead of a FINESS; a requis that is not published has no
    publication date.
    """

    class Meta:
        model = Requis

    class Params:
        liberal = factory.LazyAttribute(lambda o: o.nature == NatureRequis.LIBERAL)

    nature = NatureRequis.ETABLISSEMENT
    statut = Statut.PUBLIEE
    departement_code = "31"
    nom = factory.Sequence(lambda n: f"Établissement de test {n}")
    ville = "Toulouse"
    finess = factory.Maybe(
        "liberal",
        yes_declaration=None,
        no_declaration=factory.LazyAttribute(
            lambda o: FinessFactory(departement=o.departement_code)
        ),
    )
    rpps = factory.Maybe("liberal", yes_declaration=factory.LazyFunction(RppsFactory))
    civilite = factory.Maybe("liberal", yes_declaration="Dr")
    prenom = factory.Maybe("liberal", yes_declaration="Camille")
    contact_email = "contact@exemple.invalid"
    published_at = factory.LazyAttribute(lambda o: utcnow() if o.statut == Statut.PUBLIEE else None)
    services = factory.LazyFunction(lambda: [ServiceFactory.build()])


# --- the helpers the tests call ---------------------------------------------------------------

_BATCH_OPEN = "tests.factories.batch_open"  # rows flushed by make_requis(commit=False)


def valid_finess(departement: str = "31") -> str:
    return FinessFactory(departement=departement)


def valid_rpps() -> str:
    return RppsFactory()


def make_service(
    specialite_slug: str = "dermatologie",
    couverture: str | list[str] = "region",
    thematiques: tuple[str, ...] = (),
    canaux: tuple[tuple[str, str], ...] = (DEFAULT_CANAL,),
    **fields: Any,
) -> Service:
    """A service not yet in the session: it is saved with the requis it is given to."""
    return ServiceFactory.build(
        specialite_slug=specialite_slug,
        couverture=couverture,
        thematique_slugs=thematiques,
        canal_pairs=canaux,
        **fields,
    )


def make_requis(
    *,
    nature: str = "etablissement",
    statut: str = "publiee",
    departement: str = "31",
    services: list[Service] | None = None,
    commit: bool = True,
    **fields: Any,
) -> Requis:
    """A requis, committed (or only flushed with ``commit=False``, to commit a batch at once).

    Each call but those that continue a batch starts like a new request, with a
    rollback: it does not write from a read snapshot that another writer outdated.
    """
    session = db.session()
    if not session.info.pop(_BATCH_OPEN, False):
        session.rollback()
    if services is not None:
        fields["services"] = services
    requis = RequisFactory(
        nature=NatureRequis(nature),
        statut=Statut(statut),
        departement_code=departement,
        **fields,
    )
    if commit:
        session.commit()
    else:
        session.info[_BATCH_OPEN] = True
    return requis


def make_lozere_geriatric_unit() -> Requis:
    """A geriatric unit in Mende (Lozère) that says "troubles cognitifs", never "Alzheimer"."""
    return make_requis(
        nom="CH fictif de Mende",
        departement="48",
        ville="Mende",
        services=[
            make_service(
                "geriatrie",
                nom="Équipe mobile de gériatrie",
                couverture=["48"],
                description="Évaluation des troubles cognitifs et du risque de chute.",
            )
        ],
    )


class DemandeFactory(_Factory):
    """A registration request for a new pending entry, received now (override the dates).

    A decided request (``statut`` publiee or refusee) needs ``decided_at``;
    a refused or sent-back one needs a ``message``: the database says so.
    """

    class Meta:
        model = Demande

    nature = NatureDemande.INSCRIPTION
    statut = StatutDemande.RECUE
    requis = factory.LazyFunction(lambda: RequisFactory(statut=Statut.EN_ATTENTE))
    payload = factory.LazyAttribute(lambda o: from_requis(o.requis))
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    idempotency_key = factory.Sequence(lambda n: f"cle-de-test-{n:012d}")
    contact_email = "contact@exemple.invalid"
