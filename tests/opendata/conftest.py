"""A directory with one entry of each state the open doors must tell apart."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ato.core.models import utcnow
from ato.directory.models import Statut
from ato.extensions import db
from tests.factories import make_requis, make_service

# What must never leave ATO: each appears in exactly one private place below.
SECRETS = (
    "Camille Secrète",
    "camille.secrete@exemple.invalid",
    "Clinique en attente",
    "Clinique refusée",
    "Cardiologie refusée",
    "Description d'une fiche retirée",
)


@dataclass
class Site:
    published: int
    liberal: int
    archived: int
    archived_name: str


@pytest.fixture
def site(app) -> Site:
    with app.app_context():
        shown = make_requis(
            nom="CHU fictif de Toulouse",
            contact_nom="Camille Secrète",
            contact_email="camille.secrete@exemple.invalid",
            services=[
                make_service(
                    "cardiologie",
                    nom="Cardiologie adulte",
                    couverture=["31", "32"],
                    thematiques=("insuffisance-cardiaque",),
                    canaux=(
                        ("mssante", "cardio@chu-fictif.mssante.fr"),
                        ("telephone", "05 61 00 00 01"),
                    ),
                ),
                make_service("dermatologie", nom="Dermatologie", couverture="region"),
            ],
        )
        liberal = make_requis(
            nature="liberal",
            nom="Martin",
            departement="34",
            ville="Montpellier",
            services=[make_service("dermatologie", couverture=["34"])],
        )
        make_requis(nom="Clinique en attente", statut="en_attente")
        make_requis(
            nom="Clinique refusée",
            statut="refusee",
            services=[make_service("cardiologie", nom="Cardiologie refusée")],
        )
        archived = make_requis(
            nom="Centre fictif de Rodez",
            departement="12",
            ville="Rodez",
            services=[
                make_service(
                    "cardiologie", couverture=["12"], description="Description d'une fiche retirée"
                )
            ],
        )
        archived.statut = Statut.ARCHIVEE
        archived.updated_at = utcnow()
        db.session.commit()
        return Site(shown.id, liberal.id, archived.id, "Centre fictif de Rodez")
