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

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select

from ato.directory import changes, delays, schema
from ato.directory import services as directory
from ato.directory.models import Canal, NatureRequis, Requis, Service, Statut
from ato.extensions import db


def load(requis_ids: Iterable[int]) -> dict[int, Requis]:
    """The published entries among ``requis_ids``, with all they show (a constant number of
    queries whatever their number); an id missing from the answer is not published."""
    ids = list(requis_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Requis)
        .where(Requis.id.in_(ids), Requis.statut == Statut.PUBLIEE)
        .options(*directory.REQUIS_SHOWN)
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


# --- the shapes of many entries, from a per-process cache ---------------------------------------


class ShapeCache:
    """Recently served shapes, by (entry, its last change, day, base URL, reference data).

    Every public change of an entry writes its change log and moves its last
    change (:mod:`ato.directory.changes`), so a cached shape is never served
    after its entry changed; the day is in the key for closures, the reference
    data (specialty, tool and département names) for the labels. Each worker
    process keeps its own, bounded (``ATO_PUBLIC_CACHE_SIZE`` entries, the least
    recently used go first).
    """

    def __init__(self) -> None:
        self._items: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> dict[str, Any] | None:
        with self._lock:
            shape = self._items.get(key)
            if shape is not None:
                self._items.move_to_end(key)
            return shape

    def put(self, key: tuple, shape: dict[str, Any], size: int) -> None:
        with self._lock:
            self._items[key] = shape
            self._items.move_to_end(key)
            while len(self._items) > size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = ShapeCache()


def reference_version() -> str:
    """A fingerprint of the names a shape shows from the reference data."""
    names = (
        [(s.slug, s.libelle, s.nature.value, s.code_r38) for s in directory.specialites()],
        [(o.slug, o.nom, o.nature.value) for o in directory.outils()],
        [(d.code, d.nom) for d in directory.departements()],
    )
    return hashlib.sha256(repr(names).encode()).hexdigest()[:16]


def shapes(
    requis_ids: Iterable[int],
    *,
    today: date,
    base: str,
    url: Callable[[Requis], str],
    modified: dict[int, datetime] | None = None,
) -> dict[int, dict[str, Any]]:
    """The published entries among ``requis_ids`` in their shape, by id (a missing id is not
    published). Shapes of entries unchanged since they were last served come from
    :data:`CACHE`; the others are loaded at once (:func:`load`). Callers must not modify
    what they get: it is shared. ``modified`` gives the entries' last changes when the
    caller read them already (a page in the order of change), else they are read here."""
    ids = list(dict.fromkeys(requis_ids))
    if modified is None:
        modified = changes.last_modified(ids)
    size = current_app.config["ATO_PUBLIC_CACHE_SIZE"] if has_app_context() else 0
    version = reference_version() if size else ""
    found: dict[int, dict[str, Any]] = {}
    missing: list[int] = []
    for requis_id in ids:
        at = modified.get(requis_id)
        shape = CACHE.get((requis_id, at, today, base, version)) if at and size else None
        if shape is None:
            missing.append(requis_id)
        else:
            found[requis_id] = shape
    for requis_id, requis in load(missing).items():
        at = modified.get(requis_id)
        shape = recourse(requis, today=today, modified_at=at, url=url(requis))
        if at and size:
            CACHE.put((requis_id, at, today, base, version), shape, size)
        found[requis_id] = shape
    return {requis_id: found[requis_id] for requis_id in ids if requis_id in found}
