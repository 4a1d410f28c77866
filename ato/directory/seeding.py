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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from ato.core.models import paris_day, utcnow
from ato.core.text import normalize_email, plural
from ato.directory import entries, schema
from ato.directory.models import (
    Departement,
    NatureOutil,
    NatureSpecialite,
    Outil,
    Requis,
    Specialite,
    Statut,
)
from ato.extensions import db

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"


class SeedError(ValueError):
    """A seed file does not fit the reference data; the message says where."""


@dataclass
class SeedSummary:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{plural(self.created, 'créé')}, {self.updated} mis à jour"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _upsert(model: type, key: str, values: dict[str, Any], summary: SeedSummary) -> Any:
    obj = db.session.scalar(select(model).where(getattr(model, key) == values[key]))
    if obj is None:
        obj = model(**values)
        db.session.add(obj)
        summary.created += 1
        return obj
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    summary.updated += changed
    return obj


def load_reference(seed_dir: Path = SEED_DIR) -> dict[str, SeedSummary]:
    """Départements, specialties (with synonyms and parents) and tools."""
    summaries = {name: SeedSummary() for name in ("departements", "specialites", "outils")}

    for row in _rows(seed_dir / "departements.csv"):
        _upsert(
            Departement,
            "code",
            {
                "code": row["code_insee"],
                "nom": row["nom"],
                "code_region": row["code_region"],
                "chef_lieu": row["code_commune_chef_lieu"] or None,
                "article": row["article"] or None,
            },
            summaries["departements"],
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
            summaries["specialites"],
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
            summaries["outils"],
        )
    db.session.flush()
    return summaries


def load_examples(path: Path = SEED_DIR / "exemples.json") -> SeedSummary:
    """Create the fictional example requis that do not exist yet, published and marked.

    Each example goes through the entry mapping and its checks, as a
    submission would: an example that a requis could not register is refused
    with the entry and the field named.
    """
    summary = SeedSummary()
    examples = json.loads(path.read_text(encoding="utf-8"))
    if not db.session.scalar(select(Departement.code).limit(1)):
        raise SeedError("Chargez d'abord les données de référence (flask ato seed reference).")
    reference = schema.Reference.load()
    existing = set(
        db.session.execute(
            select(Requis.nom, Requis.departement_code).where(Requis.est_exemple)
        ).all()
    )
    now = utcnow()
    for index, example in enumerate(examples, start=1):
        if (example["nom"], example["departement"]) in existing:
            continue
        try:
            entry = schema.validate(_example_entry(example), reference=reference, fictional=True)
        except schema.InvalidEntry as exc:
            where = "; ".join(
                f"{'.'.join(map(str, location))} : {' '.join(messages)}"
                for location, messages in exc.errors.items()
            )
            raise SeedError(f"exemples.json, entrée {index} ({example['nom']}) : {where}") from exc
        requis = entries.new_requis(entry, Statut.PUBLIEE)
        verified = example.get("verified_at")
        requis.est_exemple = True
        requis.published_at = now
        requis.verified_at = (
            datetime.fromisoformat(verified).replace(tzinfo=UTC) if verified else None
        )
        for service, item in zip(requis.services, example["services"], strict=True):
            # A message without dates: closed from the day of loading, until further notice.
            message, start, end = (
                item.get(k) for k in ("indisponible", "indisponible_du", "indisponible_au")
            )
            if start or message:
                service.indisponible_du = date.fromisoformat(start) if start else paris_day(now)
                service.indisponible_au = date.fromisoformat(end) if end else None
                service.indisponible_message = message
        db.session.add(requis)
        summary.created += 1
    db.session.flush()
    return summary


def remove_examples() -> int:
    """Delete every example requis (their services and channels go with them)."""
    result = db.session.execute(delete(Requis).where(Requis.est_exemple))
    db.session.flush()
    return result.rowcount or 0


def _example_entry(example: dict[str, Any]) -> dict[str, Any]:
    """An example of ``exemples.json`` in the entry shape."""
    identity = {
        key: example.get(key)
        for key in schema.IDENTITY
        if key not in ("profession", "type_dispositif")
    }
    identity["profession"] = example.get("profession_code")
    return {
        "nature": example["nature"],
        "requis": identity,
        "contact": {
            "nom": example.get("contact_nom"),
            "email": normalize_email(example.get("contact_email")) or None,
        },
        "services": [
            {
                **{
                    key: item.get(key)
                    for key in (
                        "nom",
                        "specialite",
                        "description",
                        "demandeurs",
                        "pieces",
                        "disponibilite",
                    )
                },
                "delai_minutes": item.get("delai"),  # as people write it: "48 h", "3 jours"
                "thematiques": item.get("thematiques", []),
                "public": item.get("public", "tous"),
                "regional": item["couverture"] == "region",
                "departements": [] if item["couverture"] == "region" else item["couverture"],
                "canaux": item["canaux"],
            }
            for item in example["services"]
        ],
    }
