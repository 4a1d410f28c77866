"""FHIR fixtures: a small directory with every kind of entry, and a validating client.

Every resource and Bundle a test gets through :func:`fhir` is validated with
``fhir.resources`` (its R4B models: no release built on pydantic 2 ships R4 4.0.1
models, and R4B changed none of the resources served here).
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from fhir.resources.R4B import get_fhir_model_class

from ato.core.models import paris_day
from ato.extensions import db
from tests.factories import make_requis, make_service

PRIVATE = ("Camille Privée", "camille.privee@exemple.fr")
HIDDEN_NAMES = ("Clinique En Attente", "Cabinet Refusé", "Hôpital Archivé")


def validate(body: dict) -> dict:
    """Parse ``body`` with the R4 model of its type: unknown fields, missing required
    ones and bad values fail the test."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    return body


@pytest.fixture
def fhir(client):
    """``fhir(url, status=200, **headers)`` → the JSON body, validated, status checked."""

    def get(url: str, status: int = 200, **headers):
        response = client.get(url, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)[:500]
        assert response.mimetype == "application/fhir+json"
        return validate(response.get_json())

    return get


@pytest.fixture
def directory(app_ctx):
    """A CH with two services, a liberal professional, a DAC, and entries never shown."""
    today = paris_day()
    cardio = make_service(
        "cardiologie",
        couverture=["31", "32"],
        thematiques=("avc",),
        canaux=(
            ("teleo", "https://teleo.exemple.invalid/cardio"),
            ("mssante", "cardio@ch-fictif.mssante.fr"),
            ("telephone", "05 61 00 00 01"),
        ),
        nom="Avis cardiologique",
        description="Lecture d'ECG et avis sur une insuffisance cardiaque.",
        disponibilite="Du lundi au vendredi, 9 h - 17 h",
        indisponible_du=today + timedelta(days=10),
        indisponible_au=today + timedelta(days=20),
        indisponible_message="Fermeture pour congés",
    )
    dermato = make_service(
        "dermatologie", thematiques=("plaies-et-cicatrisation",), nom="Avis dermatologique"
    )
    hospital = make_requis(
        nom="CH fictif de Toulouse",
        services=[cardio, dermato],
        telephone="05 61 00 00 00",
        site_web="https://ch-fictif.exemple.fr/",
        adresse="1 rue de l'Exemple",
        code_postal="31000",
        contact_nom=PRIVATE[0],
        contact_email=PRIVATE[1],
    )
    liberal = make_requis(
        nature="liberal",
        nom="Martin",
        prenom="Lou",
        civilite="Dr",
        profession_code="10",
        ville="Albi",
        departement="81",
        services=[make_service("dermatologie", couverture=["81"], nom="Téléderm Albi")],
        contact_nom=PRIVATE[0],
        contact_email=PRIVATE[1],
    )
    dac = make_requis(
        nature="dispositif",
        finess=None,
        nom="DAC fictif du Gers",
        departement="32",
        ville="Auch",
        services=[make_service("geriatrie", couverture=["32"], nom="Appui gériatrique")],
    )
    pending = make_requis(statut="en_attente", nom=HIDDEN_NAMES[0])
    refused = make_requis(statut="refusee", nom=HIDDEN_NAMES[1])
    archived = make_requis(statut="archivee", nom=HIDDEN_NAMES[2])
    db.session.commit()
    return SimpleNamespace(
        hospital=hospital.id,
        liberal=liberal.id,
        dac=dac.id,
        pending=pending.id,
        refused=refused.id,
        archived=archived.id,
    )
