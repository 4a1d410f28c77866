"""Invariants the database itself enforces."""

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from ato.directory.models import Canal, Departement, Requis, Service
from ato.extensions import db
from tests.factories import make_requis, make_service, valid_finess, valid_rpps

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.mark.parametrize("first_statut", ["publiee", "en_attente"])
@pytest.mark.parametrize("second_statut", ["publiee", "en_attente"])
def test_finess_is_unique_among_live_entries(first_statut, second_statut):
    finess = valid_finess()
    make_requis(statut=first_statut, finess=finess)
    with pytest.raises(IntegrityError):
        make_requis(statut=second_statut, finess=finess)


@pytest.mark.parametrize("first_statut", ["publiee", "en_attente"])
def test_rpps_is_unique_among_live_entries(first_statut):
    rpps = valid_rpps()
    make_requis(nature="liberal", statut=first_statut, rpps=rpps, nom="Exemple")
    with pytest.raises(IntegrityError):
        make_requis(nature="liberal", statut="en_attente", rpps=rpps, nom="Exemple")


@pytest.mark.parametrize("old_statut", ["archivee", "refusee"])
def test_archived_or_rejected_entry_does_not_block_its_identifier(old_statut):
    finess = valid_finess()
    make_requis(statut=old_statut, finess=finess)
    make_requis(statut="en_attente", finess=finess)
    count = db.session.scalar(select(func.count()).where(Requis.finess == finess))
    assert count == 2


def test_establishment_requires_a_finess():
    with pytest.raises(IntegrityError):
        make_requis(nature="etablissement", finess=None)


def test_liberal_requires_an_rpps_and_only_liberals_have_one():
    with pytest.raises(IntegrityError):
        make_requis(nature="liberal", rpps=None, nom="Exemple")
    db.session.rollback()
    with pytest.raises(IntegrityError):
        make_requis(nature="etablissement", rpps=valid_rpps())


def test_published_entry_needs_a_publication_date():
    with pytest.raises(IntegrityError):
        make_requis(statut="publiee", published_at=None)


def test_unknown_status_is_refused_by_the_database():
    requis = make_requis()
    with pytest.raises(IntegrityError):
        db.session.execute(
            text("UPDATE requis SET statut = 'supprime' WHERE id = :id"), {"id": requis.id}
        )
        db.session.flush()


def test_unknown_status_is_refused_before_reaching_the_database():
    with pytest.raises(StatementError):
        db.session.execute(
            select(Requis).where(Requis.statut == "supprime")  # type: ignore[comparison-overlap]
        ).all()


def test_deleting_a_requis_deletes_its_services_and_channels_in_the_database():
    requis = make_requis(services=[make_service(), make_service()])
    db.session.execute(delete(Requis).where(Requis.id == requis.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0
    assert db.session.scalar(select(func.count()).select_from(Canal)) == 0


def test_a_departement_in_use_cannot_be_deleted():
    make_requis(departement="48", ville="Mende")
    with pytest.raises(IntegrityError):
        db.session.execute(delete(Departement).where(Departement.code == "48"))
        db.session.flush()


def test_response_time_must_be_positive():
    with pytest.raises(IntegrityError):
        make_requis(services=[make_service(delai_reponse_minutes=0)])


def test_timestamps_come_back_aware_in_utc():
    requis = make_requis()
    db.session.expire_all()
    stored = db.session.get(Requis, requis.id)
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset().total_seconds() == 0


def test_liberal_display_name_includes_civility_and_first_name():
    requis = make_requis(nature="liberal", civilite="Dr", prenom="Camille", nom="Exemple-Martin")
    assert requis.display_name == "Dr Camille Exemple-Martin"
    assert requis.slug == "dr-camille-exemple-martin"


@pytest.mark.parametrize(
    ("outil", "adresse", "href"),
    [
        ("teleo", "https://teleo.exemple.invalid/x", "https://teleo.exemple.invalid/x"),
        ("mssante", "derm@ch.mssante.fr", "mailto:derm@ch.mssante.fr"),
        ("telephone", "05 36 49 00 01", "tel:0536490001"),
        ("formulaire", "javascript:alert(1)", "#"),
    ],
)
def test_channel_link_depends_on_the_tool(outil, adresse, href):
    requis = make_requis(services=[make_service(canaux=((outil, adresse),))])
    assert requis.services[0].canaux[0].href == href
