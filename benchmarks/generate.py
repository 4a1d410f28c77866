"""A deterministic generator of a realistic French tele-expertise directory.

``generate(n_services, seed)`` fills an already migrated database (reference
data loaded) with about ``n_services`` published services: establishments,
liberal professionals and coordination devices across the 13 départements,
named after real towns but visibly fictional, with specialties, thématiques,
coverage, channels and descriptions of 20–60 French words. The same
arguments always give the same rows.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

from ato.directory.models import (
    Canal,
    Departement,
    Outil,
    Requis,
    Service,
    Specialite,
    service_departement,
    service_thematique,
)
from ato.extensions import db

SEED = Path(__file__).resolve().parents[1] / "seed"

FIRST_NAMES = [
    "Camille",
    "Claude",
    "Dominique",
    "Sacha",
    "Alix",
    "Lou",
    "Charlie",
    "Noa",
    "Jeanne",
    "Louis",
    "Marie",
    "Paul",
    "Inès",
    "Hugo",
    "Léa",
    "Jules",
    "Chloé",
    "Nathan",
    "Manon",
    "Arthur",
    "Émilie",
    "Théo",
    "Sarah",
    "Lucas",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
]
ESTABLISHMENTS = [
    "Centre hospitalier fictif de {v}",
    "Clinique fictive du {q} de {v}",
    "Hôpital fictif {q} de {v}",
    "Polyclinique fictive de {v}",
    "CHU fictif de {v}",
    "Institut fictif {q} de {v}",
    "Centre fictif {q}",
]
QUARTERS = [
    "Parc",
    "Pont",
    "Canal",
    "Lac",
    "Mont",
    "Val",
    "Moulin",
    "Château",
    "Pin",
    "Rivage",
    "Causse",
    "Pic",
    "Garrigue",
    "Vignoble",
    "Étang",
    "Plateau",
]
DEVICES = ["DAC fictif de {v}", "Dispositif fictif d'appui de {v}", "Réseau fictif {q} de {v}"]
# Words of any description (the process of a tele-expertise request).
GENERIC = [
    "avis",
    "demande",
    "requérant",
    "patient",
    "réponse",
    "délai",
    "dossier",
    "transmission",
    "compte",
    "rendu",
    "échange",
    "document",
    "pièce",
    "jointe",
    "ordonnance",
    "courrier",
    "résultat",
    "médecin",
    "traitant",
    "équipe",
    "service",
    "secrétariat",
    "astreinte",
    "créneau",
    "semaine",
    "jour",
    "ouvré",
    "heure",
    "orientation",
    "conseil",
    "prise",
    "en",
    "charge",
    "suivi",
    "coordination",
    "accompagnement",
    "évaluation",
    "organisation",
    "accès",
    "professionnel",
    "santé",
    "libéral",
    "établissement",
    "structure",
    "territoire",
    "proximité",
    "domicile",
    "hôpital",
    "clinique",
    "consultation",
    "rendez-vous",
    "recommandation",
    "protocole",
    "procédure",
    "formulaire",
    "plateforme",
    "messagerie",
    "sécurisée",
    "téléphone",
    "identification",
    "information",
    "question",
    "situation",
    "clinique",
    "contexte",
    "antécédents",
    "traitement",
    "en",
    "cours",
    "examen",
    "complémentaire",
    "imagerie",
    "biologie",
    "photographie",
    "qualité",
    "nette",
    "lisible",
    "complet",
    "urgent",
    "programmé",
    "rapide",
    "régulier",
    "mensuel",
    "collaboration",
    "réseau",
    "partenaire",
]
# Clinical words, a few common and many rare (Zipf-like), as in real descriptions.
CLINICAL = [
    "douleur",
    "chronique",
    "plaie",
    "ulcère",
    "escarre",
    "cicatrisation",
    "infection",
    "fièvre",
    "éruption",
    "lésion",
    "cutanée",
    "grain",
    "beauté",
    "diabète",
    "insuffisance",
    "cardiaque",
    "rénale",
    "respiratoire",
    "hypertension",
    "arythmie",
    "électrocardiogramme",
    "échographie",
    "scanner",
    "IRM",
    "radiographie",
    "fracture",
    "arthrose",
    "ostéoporose",
    "rhumatisme",
    "épilepsie",
    "migraine",
    "AVC",
    "démence",
    "mémoire",
    "troubles",
    "cognitifs",
    "sommeil",
    "apnée",
    "asthme",
    "BPCO",
    "allergie",
    "nutrition",
    "dénutrition",
    "obésité",
    "grossesse",
    "nouveau-né",
    "allaitement",
    "développement",
    "autisme",
    "comportement",
    "anxiété",
    "dépression",
    "addiction",
    "cancer",
    "tumeur",
    "chimiothérapie",
    "soins",
    "palliatifs",
    "fin",
    "vie",
    "gériatrie",
    "chute",
    "fragilité",
    "handicap",
    "rééducation",
    "vision",
    "glaucome",
    "rétine",
    "audition",
    "vertige",
    "thyroïde",
    "anémie",
    "thrombose",
    "phlébite",
    "néphropathie",
    "dialyse",
]


def _towns() -> dict[str, list[str]]:
    towns: dict[str, list[str]] = {}
    with (SEED / "communes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            towns.setdefault(row["departement"], []).append(row["nom"])
    return towns


_ZIPF = [1 / (rank + 1) for rank in range(len(CLINICAL))]


def _phrase(rng: random.Random, low: int, high: int, topic: list[str] | None = None) -> str:
    """Mostly process words, 2–5 words of the service's own specialty, a few clinical ones."""
    count = rng.randint(low, high)
    words = rng.choices(GENERIC, k=count)
    if topic:
        for word in rng.choices(topic, k=rng.randint(2, 5)):
            words.insert(rng.randrange(len(words) + 1), word)
        for word in rng.choices(CLINICAL, weights=_ZIPF, k=rng.randint(0, 3)):
            words.insert(rng.randrange(len(words) + 1), word)
    return (" ".join(words).capitalize() + ".").replace(" .", ".")


def generate(n_services: int, seed: int = 2026, batch: int = 2000) -> int:
    """Insert about ``n_services`` published services; returns the number inserted."""
    rng = random.Random(seed)
    towns = _towns()
    codes = [c for (c,) in db.session.execute(select(Departement.code).order_by(Departement.code))]
    specs = db.session.execute(
        select(Specialite.id, Specialite.nature, Specialite.libelle, Specialite.synonymes)
    ).all()
    topics = {
        s.id: (s.libelle.lower().split() + [w for syn in s.synonymes for w in syn.split()])
        for s in specs
    }
    ordinals = [s.id for s in specs if s.nature.value == "specialite"]
    themes = [s.id for s in specs if s.nature.value == "thematique"]
    outils = dict(db.session.execute(select(Outil.slug, Outil.id)).all())
    now = datetime.now(UTC)
    requis_rows, service_rows, dep_rows, theme_rows, canal_rows = [], [], [], [], []
    requis_id = db.session.scalar(select(Requis.id).order_by(Requis.id.desc()).limit(1)) or 0
    service_id = db.session.scalar(select(Service.id).order_by(Service.id.desc()).limit(1)) or 0
    made = 0
    while made < n_services:
        requis_id += 1
        code = rng.choice(codes)
        town = rng.choice(towns[code])
        kind = rng.choices(["etablissement", "liberal", "dispositif"], weights=[60, 32, 8])[0]
        q = rng.choice(QUARTERS)
        row = {
            "id": requis_id,
            "nature": kind,
            "statut": "publiee",
            "ville": town,
            "departement_code": code,
            "published_at": now,
            "created_at": now,
            "updated_at": now,
            "est_exemple": False,
            "finess": None,
            "rpps": None,
            "civilite": None,
            "prenom": None,
            "verified_at": now,
        }
        if kind == "liberal":
            row.update(
                nom=f"{rng.choice(LAST_NAMES)}-Fictif",
                prenom=rng.choice(FIRST_NAMES),
                civilite="Dr",
                rpps=f"{requis_id:011d}",
            )
            count = 1
        else:
            template = rng.choice(ESTABLISHMENTS if kind == "etablissement" else DEVICES)
            row.update(nom=template.format(v=town, q=q))
            row["finess"] = f"{requis_id:09d}"
            count = rng.randint(1, 6) if kind == "etablissement" else rng.randint(1, 2)
        requis_rows.append(row)
        for position in range(min(count, n_services - made)):
            service_id += 1
            made += 1
            spec = rng.choice(ordinals)
            regional = rng.random() < 0.08
            service_rows.append(
                {
                    "id": service_id,
                    "requis_id": requis_id,
                    "position": position,
                    "nom": f"Service {q.lower()} {position + 1}",
                    "specialite_id": spec,
                    "description": _phrase(rng, 18, 50, topics[spec]),
                    "demandeurs": _phrase(rng, 3, 8),
                    "pieces_a_joindre": _phrase(rng, 3, 10),
                    "delai_reponse_minutes": 60 * rng.choice([24, 48, 72, 168]),
                    "disponibilite": "Du lundi au vendredi",
                    "public": rng.choice(["tous", "adulte", "pediatrique"]),
                    "couverture_regionale": regional,
                }
            )
            if not regional:
                for dep in {code, *rng.sample(codes, rng.randint(0, 3))}:
                    dep_rows.append({"service_id": service_id, "departement_code": dep})
            for theme in rng.sample(themes, rng.randint(0, 2)):
                theme_rows.append({"service_id": service_id, "specialite_id": theme})
            for i, tool in enumerate(rng.sample(list(outils), rng.randint(1, 3))):
                address = {
                    "mssante": f"s{service_id}@fictif.mssante.fr",
                    "telephone": "05 36 49 00 00",
                }.get(tool, f"https://{tool}.exemple.invalid/{service_id}")
                canal_rows.append(
                    {
                        "service_id": service_id,
                        "outil_id": outils[tool],
                        "adresse": address,
                        "position": i,
                    }
                )
        if len(service_rows) >= batch or made >= n_services:
            _flush(requis_rows, service_rows, dep_rows, theme_rows, canal_rows)
    return made


def _flush(*tables: list[dict]) -> None:
    requis_rows, service_rows, dep_rows, theme_rows, canal_rows = tables
    for model, rows in (
        (Requis, requis_rows),
        (Service, service_rows),
        (service_departement, dep_rows),
        (service_thematique, theme_rows),
        (Canal, canal_rows),
    ):
        if rows:
            target = model.__table__ if hasattr(model, "__table__") else model
            db.session.execute(insert(target), rows)
        rows.clear()
