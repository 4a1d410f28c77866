"""One mapping of an entry to and from the database.

A valid entry (see :mod:`ato.directory.schema`) becomes a ``Requis`` with its
services and channels (:func:`new_requis`, :func:`apply`); a ``Requis`` becomes
an entry again (:func:`from_requis`) for forms, the export and the moderation
diff (:func:`diff`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ato.core.models import utcnow
from ato.directory import services as directory
from ato.directory.models import Canal, NatureRequis, Public, Requis, Service, Statut

# --- to and from the database -------------------------------------------------------------------


def from_requis(requis: Requis) -> dict[str, Any]:
    """The current content of an entry, in the entry shape."""
    return {
        "nature": requis.nature.value,
        "requis": {
            "nom": requis.nom,
            "finess": requis.finess,
            "rpps": requis.rpps,
            "civilite": requis.civilite,
            "prenom": requis.prenom,
            "profession": requis.profession_code,
            "type_dispositif": None,
            "adresse": requis.adresse,
            "code_postal": requis.code_postal,
            "ville": requis.ville,
            "departement": requis.departement_code,
            "site_web": requis.site_web,
            "telephone": requis.telephone,
        },
        "contact": {
            "nom": requis.contact_nom or "",
            "fonction": None,
            "email": requis.contact_email or "",
            "telephone": None,
        },
        "services": [
            {
                "nom": s.nom,
                "specialite": s.specialite.slug,
                "thematiques": [t.slug for t in s.thematiques],
                "description": s.description,
                "demandeurs": s.demandeurs,
                "pieces": s.pieces_a_joindre,
                "delai_minutes": s.delai_reponse_minutes,
                "disponibilite": s.disponibilite,
                "public": s.public.value,
                "regional": s.couverture_regionale,
                "departements": [d.code for d in s.departements],
                "canaux": [{"outil": c.outil.slug, "adresse": c.adresse} for c in s.canaux],
            }
            for s in requis.services
        ],
    }


def new_requis(entry: Mapping[str, Any], statut: Statut) -> Requis:
    """A requis holding ``entry`` (added to the session by the caller)."""
    requis = Requis(nature=NatureRequis(entry["nature"]), statut=statut)
    apply(requis, entry)
    return requis


def apply(requis: Requis, entry: Mapping[str, Any]) -> None:
    """Write an entry's content onto a requis (its services are replaced).

    A closure set by staff survives a revision of the same service (same name and
    specialty). A published entry whose public content changes records when
    (``content_updated_at``): the fiche's « mise à jour » says a real change.
    """
    if requis.id is not None and requis.statut == Statut.PUBLIEE:
        before = from_requis(requis)
        public_change = any(
            not key.startswith(("contact.", "requis.type_dispositif"))
            for key in diff(before, entry)
        )
        if public_change:
            requis.content_updated_at = utcnow()
    identity = entry["requis"]
    requis.nom = identity["nom"]
    requis.finess = identity.get("finess")
    requis.rpps = identity.get("rpps")
    requis.civilite = identity.get("civilite")
    requis.prenom = identity.get("prenom")
    requis.profession_code = identity.get("profession")
    for name in ("adresse", "code_postal", "ville", "site_web", "telephone"):
        setattr(requis, name, identity.get(name))
    requis.departement_code = identity["departement"]
    requis.contact_nom = entry["contact"]["nom"]
    requis.contact_email = entry["contact"]["email"]
    # Reference lists are read once per call, not once per service (an import applies many).
    specialites = {s.slug: s for s in directory.specialites()}
    outils = {o.slug: o for o in directory.outils()}
    departements = {d.code: d for d in directory.departements()}
    unavailable = {
        (s.nom, s.specialite_id): (s.indisponible_du, s.indisponible_au, s.indisponible_message)
        for s in requis.services
        if s.indisponible_du is not None
    }
    requis.services = [
        Service(
            position=i,
            nom=s["nom"],
            specialite=specialites[s["specialite"]],
            thematiques=[specialites[t] for t in s.get("thematiques", [])],
            description=s.get("description"),
            demandeurs=s.get("demandeurs"),
            pieces_a_joindre=s.get("pieces"),
            delai_reponse_minutes=s.get("delai_minutes"),
            disponibilite=s.get("disponibilite"),
            public=Public(s.get("public") or Public.TOUS.value),
            couverture_regionale=bool(s.get("regional")),
            departements=[departements[c] for c in s.get("departements", [])],
            canaux=[
                Canal(position=j, outil=outils[c["outil"]], adresse=c["adresse"])
                for j, c in enumerate(s["canaux"])
            ],
        )
        for i, s in enumerate(entry["services"])
    ]
    for service in requis.services:
        state = unavailable.get((service.nom, service.specialite.id))
        if state:
            (service.indisponible_du, service.indisponible_au, service.indisponible_message) = state


# --- differences --------------------------------------------------------------------------------


def _flat(entry: Mapping[str, Any]) -> dict[str, Any]:
    out = {f"requis.{k}": v for k, v in entry["requis"].items()}
    out.update({f"contact.{k}": v for k, v in entry["contact"].items()})
    for i, service in enumerate(entry["services"]):
        out.update({f"service {i + 1}.{k}": v for k, v in service.items()})
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field-by-field differences ``{field: [before, after]}`` (empty and missing are equal)."""
    old, new = _flat(before), _flat(after)
    return {
        k: [old.get(k), new.get(k)]
        for k in sorted(old.keys() | new.keys())
        if (old.get(k) or None) != (new.get(k) or None)
    }


def identifiers(entry: Mapping[str, Any]) -> Iterable[str]:
    """The national identifiers an entry carries (FINESS, RPPS)."""
    identity = entry["requis"]
    return [v for v in (identity.get("finess"), identity.get("rpps")) if v]
