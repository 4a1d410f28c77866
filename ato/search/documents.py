"""From database rows to index documents: the one place that decides what is indexed.

Only services of published requis become documents, and only public fields go
into them (no contact e-mail, no status). Rows are read with Core queries in
bulk so that a full rebuild of 100,000 services stays within a minute.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, replace

from sqlalchemy import Connection, select

from ato.directory.models import (
    Canal,
    Departement,
    NatureRequis,
    Outil,
    Requis,
    Service,
    Specialite,
    Statut,
    display_name,
    service_departement,
    service_thematique,
)
from ato.search.analysis import fold, town_key, weighted_text

#: What requérants call a coordination dispositif, whatever its own name says.
DISPOSITIF_WORDS = "dispositif d'appui à la coordination ; DAC"

REGIONAL = "*"


@dataclass(frozen=True)
class Facets:
    """What filtering, facet counts and name sorting need of one document."""

    service_id: int
    accepts: frozenset[str]  # département codes, or {REGIONAL}
    located: str
    nature: str
    outils: frozenset[str]
    specialites: frozenset[str]  # slugs: main specialty and thématiques
    sort_name: str
    digest: str
    # A closure (Europe/Paris days as ordinals, both included; 0 = none / no end). Stored,
    # not evaluated: whether it applies is decided at query time (FacetTable.closed_on),
    # so that a closure starts and ends at midnight without any reindexing. No default:
    # an index written before these fields fails to load and is rebuilt.
    closed_from: int
    closed_to: int


@dataclass(frozen=True)
class Reference:
    specialites: dict[int, tuple[str, str, list[str]]]  # id -> slug, label, synonyms
    outils: dict[int, str]
    departements: dict[str, str]

    @classmethod
    def load(cls, conn: Connection) -> Reference:
        return cls(
            specialites={
                r.id: (r.slug, r.libelle, list(r.synonymes or []))
                for r in conn.execute(
                    select(Specialite.id, Specialite.slug, Specialite.libelle, Specialite.synonymes)
                )
            },
            outils=dict(conn.execute(select(Outil.id, Outil.slug)).all()),
            departements=dict(conn.execute(select(Departement.code, Departement.nom)).all()),
        )


def _grouped(rows: Iterable[tuple[int, object]]) -> dict[int, list]:
    result: dict[int, list] = defaultdict(list)
    for key, value in rows:
        result[key].append(value)
    return result


def published_service_count(conn: Connection) -> int:
    from sqlalchemy import func

    return (
        conn.scalar(
            select(func.count(Service.id))
            .join(Requis, Requis.id == Service.requis_id)
            .where(Requis.statut == Statut.PUBLIEE)
        )
        or 0
    )


def load_documents(
    conn: Connection, requis_ids: Iterable[int] | None = None, batch: int = 5000
) -> Iterator[dict]:
    """Index documents of the published services (of ``requis_ids`` only, if given)."""
    ref = Reference.load(conn)
    query = (
        select(
            Service.id,
            Service.requis_id,
            Service.nom,
            Service.description,
            Service.demandeurs,
            Service.pieces_a_joindre,
            Service.disponibilite,
            Service.couverture_regionale,
            Service.specialite_id,
            Service.indisponible_du,
            Service.indisponible_au,
            Requis.nature,
            Requis.nom.label("requis_nom"),
            Requis.prenom,
            Requis.civilite,
            Requis.ville,
            Requis.departement_code,
        )
        .join(Requis, Requis.id == Service.requis_id)
        .where(Requis.statut == Statut.PUBLIEE)
        .order_by(Service.id)
    )
    if requis_ids is not None:
        ids = sorted(set(requis_ids))
        if not ids:
            return
        query = query.where(Service.requis_id.in_(ids))
    rows = conn.execute(query).all()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        service_ids = [r.id for r in chunk]
        accepts = _grouped(
            conn.execute(
                select(
                    service_departement.c.service_id, service_departement.c.departement_code
                ).where(service_departement.c.service_id.in_(service_ids))
            ).all()
        )
        tags = _grouped(
            conn.execute(
                select(service_thematique.c.service_id, service_thematique.c.specialite_id).where(
                    service_thematique.c.service_id.in_(service_ids)
                )
            ).all()
        )
        tools = _grouped(
            conn.execute(
                select(Canal.service_id, Canal.outil_id).where(Canal.service_id.in_(service_ids))
            ).all()
        )
        for row in chunk:
            yield make_document(
                row, ref, accepts.get(row.id, []), tags.get(row.id, []), tools.get(row.id, [])
            )


def make_document(
    row, ref: Reference, accepts: list[str], tags: list[int], tools: list[int]
) -> dict:  # noqa: ANN001
    """One service row (with its requis columns) as a Whoosh document.

    The text's parts are weighted in the index (``analysis.weighted_text``): names,
    specialty labels and their synonyms count more than the description.
    """
    nature = NatureRequis(row.nature)
    display = display_name(nature, row.requis_nom, row.prenom, row.civilite)
    main = ref.specialites[row.specialite_id]
    specs = [main] + [ref.specialites[t] for t in sorted(tags) if t != row.specialite_id]
    spec_text = " ; ".join(" ; ".join([label, *synonyms]) for _, label, synonyms in specs)
    departement = ref.departements.get(row.departement_code, "")
    names = f"{display} ; {row.nom}"
    if nature == NatureRequis.DISPOSITIF:
        spec_text += f" ; {DISPOSITIF_WORDS}"
    body = row.description or ""
    # Who may ask, what to attach, when: a word met there does not say what the service does.
    annexe = " ; ".join(p for p in (row.demandeurs, row.pieces_a_joindre, row.disponibilite) if p)
    place = f"{row.ville} ; {departement}"
    facets = Facets(
        service_id=row.id,
        accepts=frozenset([REGIONAL]) if row.couverture_regionale else frozenset(accepts),
        located=row.departement_code,
        nature=nature.value,
        outils=frozenset(ref.outils[t] for t in tools),
        specialites=frozenset(slug for slug, _, _ in specs),
        sort_name=fold(display),
        digest="",
        closed_from=row.indisponible_du.toordinal() if row.indisponible_du else 0,
        closed_to=row.indisponible_au.toordinal() if row.indisponible_au else 0,
    )
    stable = [sorted(v) if isinstance(v, frozenset) else v for v in astuple(facets)]
    # Sets sorted: their order changes from one process to the next (hash randomisation).
    content = "\x1f".join([names, spec_text, body, annexe, place, repr(stable)])
    digest = hashlib.sha1(content.encode(), usedforsecurity=False).hexdigest()[:16]
    return {
        "id": str(row.id),
        "requis": str(row.requis_id),
        "spec": main[0],
        "specs": " ".join(sorted(facets.specialites)),
        "situe": row.departement_code,
        "accepte": " ".join(sorted(facets.accepts - {REGIONAL})),
        "tout": weighted_text(f"{names} ; {spec_text}", f"{body} ; {place}", annexe),
        "ville": town_key(row.ville),
        "paires": f"{names} ; {body}",
        "mots": f"{names} {spec_text} {body} {annexe} {row.ville}",
        "facets": astuple(replace(facets, digest=digest)),
    }
