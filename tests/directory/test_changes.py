"""The database logs each change of the published directory; ``changes`` reads it for followers."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from ato.core.models import utcnow
from ato.directory import changes
from ato.directory.models import (
    Canal,
    ChangeKind,
    DirectoryChange,
    Requis,
    Service,
    Statut,
)
from ato.extensions import db
from tests.factories import make_requis, make_service


def kinds(requis_id: int) -> list[str]:
    return [
        c.kind.value
        for c in db.session.scalars(
            select(DirectoryChange)
            .where(DirectoryChange.requis_id == requis_id)
            .order_by(DirectoryChange.id)
        )
    ]


def test_a_published_entry_is_logged_as_added_with_its_name_and_departement(app_ctx):
    requis = make_requis(nom="CH fictif de Rodez", departement="12")
    db.session.commit()
    first = db.session.scalars(
        select(DirectoryChange).where(DirectoryChange.requis_id == requis.id)
    ).first()
    assert (first.kind, first.nom, first.departement_code) == (
        ChangeKind.AJOUT,
        "CH fictif de Rodez",
        "12",
    )


def test_a_pending_entry_leaves_no_trace_until_published(app_ctx):
    requis = make_requis(statut="en_attente")
    db.session.commit()
    requis.nom = "Autre nom"
    requis.services[0].nom = "Autre service"
    db.session.commit()
    assert kinds(requis.id) == []
    requis.statut = Statut.PUBLIEE
    requis.published_at = utcnow()
    db.session.commit()
    assert kinds(requis.id) == ["ajout"]


def test_a_public_change_is_logged_and_a_private_one_is_not(app_ctx):
    requis = make_requis()
    db.session.commit()
    before = len(kinds(requis.id))
    requis.contact_email = "nouveau@exemple.fr"  # private: the contact is never published
    db.session.commit()
    assert len(kinds(requis.id)) == before
    requis.telephone = "05 61 00 00 09"
    db.session.commit()
    assert kinds(requis.id)[before:] == ["modification"]


@pytest.mark.parametrize("change", ["canal", "couverture", "service"])
def test_a_change_of_a_service_its_channels_or_its_coverage_is_logged(app_ctx, change):
    requis = make_requis(services=[make_service("dermatologie", couverture=["31"])])
    db.session.commit()
    before = len(kinds(requis.id))
    service = requis.services[0]
    if change == "canal":
        db.session.execute(
            update(Canal).where(Canal.service_id == service.id).values(adresse="https://x.fr/")
        )
    elif change == "couverture":
        db.session.execute(
            text("DELETE FROM service_departement WHERE service_id = :id"), {"id": service.id}
        )
    else:
        db.session.execute(update(Service).where(Service.id == service.id).values(nom="Autre"))
    db.session.commit()
    assert set(kinds(requis.id)[before:]) == {"modification"}


def test_withdrawal_and_deletion_are_logged_and_read_as_gone(app_ctx):
    archived = make_requis(nom="Archivée")
    deleted = make_requis(nom="Supprimée", departement="34")
    kept = make_requis(nom="Gardée")
    db.session.commit()
    moment = utcnow()
    archived.statut = Statut.ARCHIVEE
    db.session.execute(delete(Requis).where(Requis.id == deleted.id))  # raw: no ORM hook
    db.session.commit()
    got = {c.requis_id: c.published for c in changes.since(moment)}
    assert got == {archived.id: False, deleted.id: False}
    gone = db.session.scalars(
        select(DirectoryChange).where(DirectoryChange.requis_id == deleted.id)
    ).all()[-1]
    assert (gone.kind, gone.nom, gone.departement_code) == (ChangeKind.RETRAIT, "Supprimée", "34")
    everything = {c.requis_id: c.published for c in changes.since(None)}
    assert everything == {archived.id: False, deleted.id: False, kept.id: True}


def test_pages_of_a_sync_give_each_entry_once_in_the_order_of_their_last_change(app_ctx):
    ids = [make_requis(nom=f"Fiche {i}").id for i in range(7)]
    db.session.commit()
    first = db.session.get(Requis, ids[0])
    first.ville = "Albi"  # changed last: comes last
    db.session.commit()
    seen, cursor = [], None
    while True:
        page = changes.since(None, cursor=cursor, limit=3)
        if not page:
            break
        seen += [c.requis_id for c in page]
        cursor = (page[-1].at, page[-1].requis_id)
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
    assert seen[-1] == ids[0]


def test_last_modified_follows_the_newest_change(app_ctx):
    requis = make_requis()
    db.session.commit()
    published = changes.last_modified([requis.id])[requis.id]
    requis.services[0].canaux[0].adresse = "https://teleo.exemple.invalid/nouvelle"
    db.session.commit()
    assert changes.last_modified([requis.id])[requis.id] > published
    assert changes.latest() == changes.last_modified([requis.id])[requis.id]


def test_history_reads_a_publication_as_one_addition(app_ctx):
    requis = make_requis(
        services=[make_service("dermatologie"), make_service("cardiologie", couverture=["31"])]
    )
    db.session.commit()
    (event,) = changes.history(limit=10)
    assert (event.requis_id, event.kind, event.nom) == (requis.id, ChangeKind.AJOUT, requis.nom)


def test_prune_keeps_the_newest_row_of_every_entry_so_a_sync_stays_complete(app_ctx):
    requis = make_requis()
    gone = make_requis()
    db.session.commit()
    requis.ville = "Castres"
    gone.statut = Statut.ARCHIVEE
    db.session.commit()
    later = utcnow() + changes.KEEP + timedelta(days=1)
    assert changes.prune(now=later) > 0
    db.session.commit()
    assert {c.requis_id: c.published for c in changes.since(None)} == {
        requis.id: True,
        gone.id: False,
    }
    assert len(kinds(requis.id)) == 1 and kinds(gone.id) == ["retrait"]
