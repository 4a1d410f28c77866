"""Loading the report topics, key figures and dataset descriptions from ``seed/rapports.json``.

Idempotent: rows are matched on their natural key (topic slug, figure or
dataset key); a row is created when missing and updated from the seed only
while staff have not edited it (an edited figure, an uploaded dataset stay as
staff left them). The seed holds no per-département values: the reports give
the maps only as legend classes, so datasets start empty and unpublished.
Like every service, this flushes and leaves the commit to its caller.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ato.directory.seeding import SEED_DIR, SeedError, SeedSummary
from ato.extensions import db
from ato.reports.models import Indicateur, JeuDepartemental, Rapport, RequestSide

SEED_FILE = SEED_DIR / "rapports.json"


def read_seed(path: Path = SEED_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def source_of(seed: dict[str, Any], citation: dict[str, str]) -> tuple[str, str | None]:
    """The public source line of a figure (document and section) and its address."""
    try:
        document = seed["sources"][citation["source"]]
    except KeyError as exc:
        raise SeedError(f"rapports.json : source inconnue {exc}") from exc
    return f"{document['source']}, section « {citation['section']} »", document.get("source_url")


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        current = getattr(obj, name)
        same = (
            current.compare(value) == 0
            if isinstance(current, Decimal) and isinstance(value, Decimal)
            else current == value
        )
        if not same:
            setattr(obj, name, value)
            changed = True
    return changed


def _decimal(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)


def load_reports(path: Path = SEED_FILE) -> dict[str, SeedSummary]:
    """Create or update the topics, figures and datasets of the seed file.

    Returns, per kind of row, how many were created and updated (the summary
    the CLI prints). Raises :class:`SeedError` for a citation of an unknown
    source document, ``KeyError`` or ``ValueError`` for a malformed entry.
    """
    seed = read_seed(path)
    summary = {name: SeedSummary() for name in ("rapports", "indicateurs", "jeux")}
    for r_index, item in enumerate(seed["rapports"]):
        rapport = db.session.scalar(select(Rapport).where(Rapport.slug == item["slug"]))
        values = {
            "slug": item["slug"],
            "theme": item["theme"],
            "periode": item["periode"],
            "resume": item.get("resume"),
            "statistiques_annuaire": bool(item.get("statistiques_annuaire")),
            "position": item.get("position", r_index),
        }
        if rapport is None:
            rapport = Rapport(**values)
            db.session.add(rapport)
            summary["rapports"].created += 1
        else:
            summary["rapports"].updated += _apply(rapport, values)
        db.session.flush()

        for position, fig in enumerate(item.get("indicateurs", [])):
            source, url = source_of(seed, fig["citation"])
            values = {
                "rapport_id": rapport.id,
                "cle": fig["cle"],
                "position": position,
                "libelle": fig["libelle"],
                "valeur": Decimal(fig["valeur"]),
                "unite": fig["unite"],
                "periode": fig["periode"],
                "evolution": _decimal(fig.get("evolution")),
                "evolution_reference": fig.get("evolution_reference"),
                "source": source,
                "source_url": url,
                "extrait": fig["citation"]["extrait"],
                "note": fig.get("note"),
            }
            row = db.session.scalar(select(Indicateur).where(Indicateur.cle == fig["cle"]))
            if row is None:
                db.session.add(Indicateur(**values))
                summary["indicateurs"].created += 1
            elif row.modifie_par_equipe_at is None:
                summary["indicateurs"].updated += _apply(row, values)

        for position, jeu in enumerate(item.get("jeux", [])):
            source, url = source_of(seed, jeu["citation"])
            values = {
                "rapport_id": rapport.id,
                "cle": jeu["cle"],
                "slug": jeu["slug"],
                "position": position,
                "titre": jeu["titre"],
                "description": jeu.get("description"),
                "side": RequestSide(jeu["cote"]),
                "unite": jeu["unite"],
                "periode": jeu["periode"],
                "source": source,
                "source_url": url,
                "extrait": jeu["citation"]["extrait"],
                "legende": jeu["legende"],
            }
            row = db.session.scalar(
                select(JeuDepartemental).where(JeuDepartemental.cle == jeu["cle"])
            )
            if row is None:
                db.session.add(JeuDepartemental(**values))
                summary["jeux"].created += 1
            elif row.valeurs_at is None:
                summary["jeux"].updated += _apply(row, values)
    db.session.flush()
    return summary
