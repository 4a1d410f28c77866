"""The published shape of an entry: what every door out of ATO may show."""

import json
from datetime import date, timedelta

from ato.directory import public
from ato.extensions import db
from tests.factories import make_requis, make_service

TODAY = date(2026, 11, 29)


def test_only_published_entries_are_loaded(app_ctx):
    shown = make_requis()
    pending = make_requis(statut="en_attente")
    archived = make_requis(statut="archivee")
    db.session.commit()
    assert set(public.load([shown.id, pending.id, archived.id])) == {shown.id}


def test_the_contact_person_never_leaves(app_ctx):
    requis = make_requis(contact_nom="Camille Privée", contact_email="camille.privee@exemple.fr")
    db.session.commit()
    loaded = public.load([requis.id])[requis.id]
    text = json.dumps(public.recourse(loaded, today=TODAY, modified_at=None, url="https://x/"))
    assert "Camille Privée" not in text and "camille.privee" not in text


def test_a_service_says_its_delay_coverage_channels_and_closure(app_ctx):
    service = make_service(
        "cardiologie",
        couverture=["31", "32"],
        canaux=(("mssante", "cardio@ch.mssante.fr"), ("telephone", "05 36 49 10 10")),
    )
    service.delai_reponse_minutes = 30
    service.indisponible_du = TODAY + timedelta(days=15)
    service.indisponible_au = TODAY + timedelta(days=32)
    requis = make_requis(services=[service])
    db.session.commit()
    shown = public.recourse(
        public.load([requis.id])[requis.id], today=TODAY, modified_at=None, url="https://x/"
    )["services"][0]
    assert shown["delai_reponse"] == {"minutes": 30, "texte": "30 min"}
    assert shown["couverture"] == {"regionale": False, "departements": ["31", "32"]}
    assert [c["lien"] for c in shown["canaux"]] == ["mailto:cardio@ch.mssante.fr", "tel:0536491010"]
    assert shown["specialite"]["code_r38"]  # an ordinal specialty carries its ANS code
    assert shown["indisponibilite"]["en_cours"] is False and shown["disponible"] is True
    during = public.service(service, TODAY + timedelta(days=20))
    assert during["indisponibilite"]["en_cours"] is True and during["disponible"] is False
    assert public.service(service, TODAY + timedelta(days=40))["indisponibilite"] is None


def test_a_liberal_professional_is_named_in_parts_and_an_establishment_is_not(app_ctx):
    liberal = make_requis(nature="liberal", nom="Martin", prenom="Camille", civilite="Pr")
    hospital = make_requis(nom="CH fictif d'Albi")
    db.session.commit()
    loaded = public.load([liberal.id, hospital.id])
    shown = {
        i: public.recourse(r, today=TODAY, modified_at=None, url="https://x/")
        for i, r in loaded.items()
    }
    assert shown[liberal.id]["personne"] == {"civilite": "Pr", "prenom": "Camille", "nom": "Martin"}
    assert shown[liberal.id]["nom"] == "Pr Camille Martin"
    assert shown[hospital.id]["personne"] is None


def test_shapes_come_from_the_cache_until_the_entry_changes_or_leaves(app_ctx, monkeypatch):
    requis = make_requis(ville="Toulouse")
    db.session.commit()

    def shapes():
        return public.shapes([requis.id], today=TODAY, base="https://x/", url=lambda r: "u")

    assert shapes()[requis.id]["ville"] == "Toulouse"
    real_load = public.load
    monkeypatch.setattr(public, "load", lambda ids: real_load(ids) if list(ids) else {})
    calls = []
    monkeypatch.setattr(public, "recourse", lambda *a, **k: calls.append(1) or {})
    assert shapes()[requis.id]["ville"] == "Toulouse" and calls == []  # served from the cache
    monkeypatch.undo()
    requis.ville = "Albi"
    db.session.commit()
    assert shapes()[requis.id]["ville"] == "Albi"
    requis.statut = "archivee"
    db.session.commit()
    assert shapes() == {}
