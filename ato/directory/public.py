"""The published shape of an entry: what every door out of ATO may show of it.

The API, FHIR, the open data files and the change feeds all start here, so
that what leaves ATO is decided once: published entries only (the caller loads
them with :func:`load`), and no personal data beyond the professional channels
each requis chose to publish — never the contact person who registered the
entry, never staff data (who checked it, their notes), never a pending
revision.

:func:`recourse` gives plain JSON-ready values (ISO dates, codes with their
French labels); each door maps them to its own format.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ato.directory import delays, schema
from ato.directory.models import Canal, NatureRequis, Requis, Service, Statut
from ato.extensions import db

LOAD = (
    selectinload(Requis.departement),
    selectinload(Requis.services).selectinload(Service.specialite),
    selectinload(Requis.services).selectinload(Service.thematiques),
    selectinload(Requis.services).selectinload(Service.departements),
    selectinload(Requis.services).selectinload(Service.canaux).selectinload(Canal.outil),
)


def load(requis_ids: Iterable[int]) -> dict[int, Requis]:
    """The published entries among ``requis_ids``, with all they show (a constant number of
    queries whatever their number); an id missing from the answer is not published."""
    ids = list(requis_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Requis).where(Requis.id.in_(ids), Requis.statut == Statut.PUBLIEE).options(*LOAD)
    )
    return {requis.id: requis for requis in rows}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _coded(code: str, label: str) -> dict[str, str]:
    return {"code": code, "libelle": label}


def specialty(specialite) -> dict[str, Any]:  # noqa: ANN001
    return {
        "code": specialite.slug,
        "libelle": specialite.libelle,
        "nature": specialite.nature.value,
        "code_r38": specialite.code_r38,  # the ANS nomenclature TRE_R38, for an ordinal one
    }


def closure(service: Service, today: date) -> dict[str, Any] | None:
    """A dated closure, announced or in force (``None`` when there is none or it is over)."""
    if service.indisponible_du is None:
        return None
    if service.indisponible_au is not None and service.indisponible_au < today:
        return None
    return {
        "du": _iso(service.indisponible_du),
        "au": _iso(service.indisponible_au),
        "message": service.indisponible_message,
        "en_cours": service.unavailable_on(today),
    }


def channel(canal: Canal) -> dict[str, Any]:
    return {
        "outil": {
            "code": canal.outil.slug,
            "nom": canal.outil.nom,
            "nature": canal.outil.nature.value,
        },
        "adresse": canal.adresse,
        "lien": canal.href,  # https://…, mailto:… or tel:…
    }


def service(item: Service, today: date) -> dict[str, Any]:
    minutes = item.delai_reponse_minutes
    return {
        "id": item.id,
        "position": item.position,
        "nom": item.nom,
        "specialite": specialty(item.specialite),
        "thematiques": [specialty(t) for t in item.thematiques],
        "description": item.description,
        "demandeurs": item.demandeurs,
        "pieces_a_joindre": item.pieces_a_joindre,
        "delai_reponse": {
            "minutes": minutes,
            "texte": delays.words(minutes) if minutes else None,
        },
        "disponibilite": item.disponibilite,
        "public": _coded(item.public.value, item.public.label),
        "couverture": {
            "regionale": item.couverture_regionale,
            "departements": [d.code for d in item.departements],
        },
        "indisponibilite": closure(item, today),
        "disponible": not item.unavailable_on(today),
        "canaux": [channel(c) for c in item.canaux],
    }


def recourse(
    requis: Requis, *, today: date, modified_at: datetime | None, url: str
) -> dict[str, Any]:
    """One published entry and its services, as every door out shows it.

    ``modified_at`` is its last public change (:func:`ato.directory.changes.last_modified`);
    ``url`` the absolute address of its fiche.
    """
    profession = requis.profession_code
    return {
        "id": requis.id,
        "url": url,
        "nature": _coded(requis.nature.value, requis.nature.label),
        "nom": requis.display_name,
        # A liberal professional's name in parts (FHIR HumanName, vCard), else None.
        "personne": (
            {"civilite": requis.civilite, "prenom": requis.prenom, "nom": requis.nom}
            if requis.nature == NatureRequis.LIBERAL
            else None
        ),
        "finess": requis.finess,
        "rpps": requis.rpps,
        "profession": (
            _coded(profession, schema.professions().get(profession, profession))
            if profession
            else None
        ),
        "adresse": requis.adresse,
        "code_postal": requis.code_postal,
        "ville": requis.ville,
        "departement": _coded(requis.departement.code, requis.departement.nom),
        "telephone": requis.telephone,
        "site_web": requis.site_web,
        "exemple": requis.est_exemple,
        "verifie_le": _iso(requis.verified_at),
        "publie_le": _iso(requis.published_at),
        "modifie_le": _iso(modified_at),
        "services": [service(s, today) for s in requis.services],
    }
