"""Loading reference and example data from ``seed/``.

Reference loading is idempotent: each row is matched on its natural key
(INSEE code, slug) and updated in place, so it is safe to run on every
deployment. Example loading creates only what is missing and is never part of
a production deployment. Like every service, these functions flush and leave
the commit to their caller.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from ato.core.models import utcnow
from ato.core.text import normalize_email
from ato.directory.models import (
    Canal,
    Departement,
    NatureOutil,
    NatureRequis,
    NatureSpecialite,
    Outil,
    Public,
    Requis,
    Service,
    Specialite,
    Statut,
)
from ato.extensions import db

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"


class SeedError(ValueError):
    """A seed file does not fit the reference data; the message says where."""


@dataclass
class SeedReport:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.created} créé(s), {self.updated} mis à jour"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _upsert(model: type, key: str, values: dict[str, Any], report: SeedReport) -> Any:
    obj = db.session.scalar(select(model).where(getattr(model, key) == values[key]))
    if obj is None:
        obj = model(**values)
        db.session.add(obj)
        report.created += 1
        return obj
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    report.updated += changed
    return obj


def load_reference(seed_dir: Path = SEED_DIR) -> dict[str, SeedReport]:
    """Départements, specialties (with synonyms and parents) and tools."""
    reports = {name: SeedReport() for name in ("departements", "specialites", "outils")}

    for row in _rows(seed_dir / "departements.csv"):
        _upsert(
            Departement,
            "code",
            {
                "code": row["code_insee"],
                "nom": row["nom"],
                "code_region": row["code_region"],
                "chef_lieu": row["code_commune_chef_lieu"] or None,
            },
            reports["departements"],
        )

    spec_rows = _rows(seed_dir / "specialites.csv")
    by_slug: dict[str, Specialite] = {}
    for row in spec_rows:
        synonymes = [s.strip() for s in row["synonymes"].split("|") if s.strip()]
        by_slug[row["slug"]] = _upsert(
            Specialite,
            "slug",
            {
                "slug": row["slug"],
                "libelle": row["libelle"],
                "nature": NatureSpecialite(row["nature"]),
                "code_r38": row["code_r38"] or None,
                "synonymes": synonymes,
            },
            reports["specialites"],
        )
    db.session.flush()
    for row in spec_rows:
        parent_slug = row.get("parent") or ""
        if parent_slug and parent_slug not in by_slug:
            raise SeedError(f"specialites.csv : parent inconnu {parent_slug!r} pour {row['slug']}")
        parent = by_slug.get(parent_slug)
        by_slug[row["slug"]].parent_id = parent.id if parent else None

    for row in _rows(seed_dir / "outils.csv"):
        _upsert(
            Outil,
            "slug",
            {
                "slug": row["slug"],
                "nom": row["nom"],
                "nature": NatureOutil(row["nature"]),
                "site": row["site"] or None,
                "description": row["description"] or None,
            },
            reports["outils"],
        )
    db.session.flush()
    return reports


def load_examples(path: Path = SEED_DIR / "exemples.json") -> SeedReport:
    """Create the fictional example requis that do not exist yet, published and marked."""
    report = SeedReport()
    entries = json.loads(path.read_text(encoding="utf-8"))
    specialites = {s.slug: s for s in db.session.scalars(select(Specialite))}
    outils = {o.slug: o for o in db.session.scalars(select(Outil))}
    departements = {d.code: d for d in db.session.scalars(select(Departement))}
    if not departements:
        raise SeedError("Chargez d'abord les données de référence (flask ato seed reference).")
    existing = set(
        db.session.execute(
            select(Requis.nom, Requis.departement_code).where(Requis.est_exemple)
        ).all()
    )
    now = utcnow()
    for index, entry in enumerate(entries, start=1):
        if (entry["nom"], entry["departement"]) in existing:
            continue
        try:
            db.session.add(_example_requis(entry, specialites, outils, departements, now))
        except KeyError as exc:
            raise SeedError(f"exemples.json, entrée {index} : référence inconnue {exc}") from exc
        report.created += 1
    db.session.flush()
    return report


def remove_examples() -> int:
    """Delete every example requis (their services and channels go with them)."""
    result = db.session.execute(delete(Requis).where(Requis.est_exemple))
    db.session.flush()
    return result.rowcount or 0


def _example_requis(
    entry: dict[str, Any],
    specialites: dict[str, Specialite],
    outils: dict[str, Outil],
    departements: dict[str, Departement],
    now: datetime,
) -> Requis:
    verified = entry.get("verified_at")
    requis = Requis(
        nature=NatureRequis(entry["nature"]),
        statut=Statut.PUBLISHED,
        nom=entry["nom"],
        civilite=entry.get("civilite"),
        prenom=entry.get("prenom"),
        profession_code=entry.get("profession_code"),
        finess=entry.get("finess"),
        rpps=entry.get("rpps"),
        adresse=entry.get("adresse"),
        code_postal=entry.get("code_postal"),
        ville=entry["ville"],
        departement=departements[entry["departement"]],
        telephone=entry.get("telephone"),
        site_web=entry.get("site_web"),
        contact_nom=entry.get("contact_nom"),
        contact_email=normalize_email(entry.get("contact_email")) or None,
        est_exemple=True,
        verified_at=datetime.fromisoformat(verified).replace(tzinfo=UTC) if verified else None,
        published_at=now,
    )
    for position, item in enumerate(entry["services"]):
        couverture = item["couverture"]
        regional = couverture == "region"
        service = Service(
            position=position,
            nom=item["nom"],
            specialite=specialites[item["specialite"]],
            thematiques=[specialites[s] for s in item.get("thematiques", [])],
            description=item.get("description"),
            demandeurs=item.get("demandeurs"),
            pieces_a_joindre=item.get("pieces"),
            delai_reponse_heures=item.get("delai_heures"),
            disponibilite=item.get("disponibilite"),
            public=Public(item.get("public", "tous")),
            couverture_regionale=regional,
            departements=[] if regional else [departements[c] for c in couverture],
            indisponible=bool(item.get("indisponible")),
            indisponible_message=item.get("indisponible"),
            canaux=[
                Canal(position=i, outil=outils[c["outil"]], adresse=c["adresse"])
                for i, c in enumerate(item["canaux"])
            ],
        )
        requis.services.append(service)
    return requis
