"""Nothing but published entries leaves through the API: no pending, refused or archived
entry, no contact person, no pending revision, no staff data — in any answer."""

import json

import pytest

from ato.core.models import utcnow
from ato.directory.models import Statut
from ato.extensions import db
from ato.registration.models import Demande, NatureDemande, StatutDemande
from tests.factories import make_requis, make_service
from tests.staff import make_user

SECRETS = [
    "Camille Privée",
    "camille.privee@exemple.fr",
    "RECOURS-EN-ATTENTE",
    "RECOURS-REFUSE",
    "RECOURS-ARCHIVE",
    "REVISION-EN-ATTENTE",
    "moderatrice.secrete@ato.invalid",
    "NOTE-DE-L-EQUIPE",
]


@pytest.fixture
def directory(app, app_ctx):
    staff_id = make_user(app, email="moderatrice.secrete@ato.invalid")
    shown = make_requis(
        nom="CH fictif de Cahors",
        departement="46",
        contact_nom="Camille Privée",
        contact_email="camille.privee@exemple.fr",
        services=[make_service("cardiologie", description="Insuffisance cardiaque.")],
    )
    hidden = [
        make_requis(
            nom=f"{name} cardiologie",
            statut=statut,
            departement="46",
            services=[make_service("cardiologie")],
            commit=False,
        )
        for name, statut in (
            ("RECOURS-EN-ATTENTE", "en_attente"),
            ("RECOURS-REFUSE", "refusee"),
            ("RECOURS-ARCHIVE", "publiee"),  # archived below, once published
        )
    ]
    db.session.commit()
    hidden[2].statut = Statut.ARCHIVEE
    db.session.add(
        Demande(
            nature=NatureDemande.MODIFICATION,
            statut=StatutDemande.REFUSEE,
            requis_id=shown.id,
            payload={"nom": "REVISION-EN-ATTENTE"},
            token_hash="a" * 64,
            idempotency_key="b" * 64,
            contact_email="camille.privee@exemple.fr",
            message="NOTE-DE-L-EQUIPE",
            decided_by_id=staff_id,
            decided_at=utcnow(),
        )
    )
    db.session.commit()
    return shown, hidden


def everything(api, shown, hidden) -> list:
    urls = [
        "/api/v1/recours",
        "/api/v1/recours?q=cardiologie",
        "/api/v1/recours?departement=46&situe=1",
        "/api/v1/recours?specialite=cardiologie",
        "/api/v1/recours?modifie_depuis=2000-01-01T00:00:00Z",
        f"/api/v1/recours/{shown.id}",
        *(f"/api/v1/recours/{h.id}" for h in hidden),
        "/api/v1/specialites",
        "/api/v1/departements",
        "/api/v1/outils",
        "/api/v1/openapi.json",
    ]
    return [api.get(url) for url in urls]


def test_no_answer_shows_anything_private(api, directory):
    shown, hidden = directory
    responses = everything(api, shown, hidden)
    text = "\n".join(r.get_data(as_text=True) for r in responses)
    assert "CH fictif de Cahors" in text  # the published entry is there
    for secret in SECRETS:
        assert secret not in text
        assert json.dumps(secret)[1:-1] not in text  # nor escaped


def test_unpublished_entries_are_unknown_and_the_archived_one_is_a_tombstone(api, directory):
    shown, (pending, refused, archived) = directory
    assert api.get(f"/api/v1/recours/{pending.id}").status_code == 404
    assert api.get(f"/api/v1/recours/{refused.id}").status_code == 404
    gone = api.json(f"/api/v1/recours/{archived.id}", status=410)
    assert gone["supprime"] is True
    listed = {i["id"] for i in api.json("/api/v1/recours")["donnees"]}
    assert listed == {shown.id}
    synced = api.json("/api/v1/recours?modifie_depuis=2000-01-01T00:00:00Z")["donnees"]
    assert {i["id"]: i.get("supprime", False) for i in synced} == {
        shown.id: False,
        archived.id: True,
    }
