"""A consumer keeps a copy of the directory through the API: a full walk, then syncs."""

import math
from datetime import timedelta

from sqlalchemy import select

from ato.api.forms import MAX_LIMIT
from ato.core.models import utcnow
from ato.directory import changes, public
from ato.directory.models import DirectoryChange, Requis, Statut
from ato.extensions import db
from tests.factories import make_requis, make_service


def database_copy() -> dict[int, dict]:
    """The published entries as the API must show them (what the copy must equal)."""
    db.session.expire_all()
    ids = db.session.scalars(select(Requis.id).where(Requis.statut == Statut.PUBLIEE)).all()
    return {i: r.id for i, r in public.load(ids).items()}


def backdate(minutes: int) -> None:
    """Move every logged change into the past, as if the first sync had run long ago."""
    for row in db.session.scalars(select(DirectoryChange)):
        row.created_at -= timedelta(minutes=minutes)
    db.session.commit()


def apply(copy: dict[int, dict], items: list[dict]) -> None:
    for item in items:
        if item.get("supprime"):
            copy.pop(item["id"], None)
        else:
            copy[item["id"]] = item


def test_a_consumer_syncs_the_directory_and_ends_equal_to_it(api, app_ctx):
    kept = [make_requis(nom=f"Recours {n}", commit=False) for n in range(7)]
    doomed = make_requis(nom="À supprimer", commit=False)
    archived = make_requis(nom="À archiver", commit=False)
    db.session.commit()
    backdate(60)  # published long before the walk: the changes below come after it
    first = api.json("/api/v1/recours?limite=3")
    copy: dict[int, dict] = {}
    apply(copy, first["donnees"])
    apply(copy, api.follow(first["suivant"]))
    since = first["prochain_modifie_depuis"]
    assert set(copy) == {r.id for r in [*kept, doomed, archived]}

    added = make_requis(nom="Nouveau recours", services=[make_service("cardiologie")])
    kept[2].services[0].nom = "Service renommé"
    archived.statut = Statut.ARCHIVEE
    db.session.delete(doomed)
    db.session.commit()

    body = api.json(f"/api/v1/recours?modifie_depuis={since}&limite=2")
    items = body["donnees"] + api.follow(body["suivant"])
    assert {i["id"] for i in items if i.get("supprime")} == {doomed.id, archived.id}
    apply(copy, items)
    assert set(copy) == set(database_copy())
    assert copy[kept[2].id]["services"][0]["nom"] == "Service renommé"
    assert added.id in copy
    for requis_id, item in copy.items():  # the copy's content is the database's
        assert item == api.json(f"/api/v1/recours/{requis_id}")


def test_every_page_hands_back_the_moment_the_walk_started(api, app_ctx):
    for n in range(5):
        make_requis(nom=f"Recours {n}", commit=False)
    db.session.commit()
    first = api.json("/api/v1/recours?limite=2")
    second = api.json(first["suivant"])
    assert second["prochain_modifie_depuis"] == first["prochain_modifie_depuis"]


def test_a_sync_answers_what_changed_since_in_order_of_change(api, app_ctx):
    old = make_requis(nom="Ancien")
    backdate(120)
    moment = utcnow() - timedelta(minutes=60)
    recent = make_requis(nom="Récent")
    old.telephone = "05 61 00 00 01"
    db.session.commit()
    body = api.json("/api/v1/recours", query_string={"modifie_depuis": moment.isoformat()})
    assert [i["id"] for i in body["donnees"]] == [recent.id, old.id]
    assert body["prochain_modifie_depuis"] <= changes.next_since().isoformat()


def test_a_sync_of_a_thousand_changes_takes_a_single_digit_number_of_requests(api, app_ctx):
    for n in range(1000):
        make_requis(nom=f"Recours {n}", services=[make_service()], commit=False)
        if n % 250 == 249:
            db.session.commit()
    moment = (utcnow() - timedelta(hours=1)).isoformat()
    before = api.requests
    first = api.json(
        "/api/v1/recours", query_string={"modifie_depuis": moment, "limite": MAX_LIMIT}
    )
    items = first["donnees"] + api.follow(first["suivant"])
    assert len({i["id"] for i in items}) == 1000
    assert api.requests - before == math.ceil(1000 / MAX_LIMIT) <= 9
