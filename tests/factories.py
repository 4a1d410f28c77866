"""Factories for directory rows: valid by default, every field overridable."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from stdnum import luhn

from ato.core.models import utcnow
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

_sequence = itertools.count(1)
_batch_open = False  # rows flushed by make_requis(commit=False), not committed yet


def valid_finess(departement: str = "31") -> str:
    body = f"{departement[:2]}{next(_sequence):06d}"
    return body + luhn.calc_check_digit(body)


def valid_rpps() -> str:
    body = f"1{next(_sequence):09d}"
    return body + luhn.calc_check_digit(body)


def specialite(slug: str) -> Specialite:
    spec = db.session.scalar(select(Specialite).where(Specialite.slug == slug))
    assert spec is not None, f"unknown specialty {slug}"
    return spec


def outil(slug: str) -> Outil:
    return db.session.scalars(select(Outil).where(Outil.slug == slug)).one()


def make_service(
    specialite_slug: str = "dermatologie",
    couverture: str | list[str] = "region",
    thematiques: tuple[str, ...] = (),
    canaux: tuple[tuple[str, str], ...] = (
        ("teleo", "https://teleo.exemple.invalid/demande/test"),
    ),
    **fields: Any,
) -> Service:
    regional = couverture == "region"
    values: dict[str, Any] = {
        "nom": f"Service de test {next(_sequence)}",
        "delai_reponse_heures": 48,
        "demandeurs": "Médecins généralistes",
        "pieces_a_joindre": "Photographies",
    }
    values.update(fields)
    return Service(
        specialite=specialite(specialite_slug),
        thematiques=[specialite(s) for s in thematiques],
        couverture_regionale=regional,
        departements=[] if regional else [db.session.get(Departement, c) for c in couverture],
        canaux=[
            Canal(position=i, outil=outil(slug), adresse=adresse)
            for i, (slug, adresse) in enumerate(canaux)
        ],
        **values,
    )


def make_requis(
    *,
    nature: str = "etablissement",
    statut: str = "published",
    departement: str = "31",
    services: list[Service] | None = None,
    commit: bool = True,
    **fields: Any,
) -> Requis:
    global _batch_open
    if not _batch_open:
        # Like a new request: do not write from a read snapshot another writer outdated.
        db.session.rollback()
    nature_enum = NatureRequis(nature)
    values: dict[str, Any] = {
        "nom": f"Établissement de test {next(_sequence)}",
        "ville": "Toulouse",
        "finess": valid_finess(departement) if nature_enum != NatureRequis.LIBERAL else None,
        "rpps": valid_rpps() if nature_enum == NatureRequis.LIBERAL else None,
        "contact_email": "contact@exemple.invalid",
        "published_at": utcnow() if statut == "published" else None,
    }
    if nature_enum == NatureRequis.LIBERAL:
        values.update(civilite="Dr", prenom="Camille")
    values.update(fields)
    requis = Requis(
        nature=nature_enum,
        statut=Statut(statut),
        departement_code=departement,
        services=services if services is not None else [make_service()],
        **values,
    )
    db.session.add(requis)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    _batch_open = not commit
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
