"""The resources: recourses as the site shows them, one per requis, and the reference lists."""

import pytest
from sqlalchemy import select

from ato.directory.models import Requis, Specialite, Statut
from ato.extensions import db
from tests.factories import make_requis, make_service


@pytest.fixture
def corpus(app_ctx):
    toulouse = make_requis(
        nom="CHU fictif de Toulouse",
        departement="31",
        services=[
            make_service("pediatrie", couverture=["31"], nom="Pédiatrie"),
            make_service(
                "dermatologie",
                couverture=["31", "32"],
                nom="Télédermatologie",
                description="Plaies chroniques et ulcères de jambe.",
            ),
        ],
    )
    beziers = make_requis(
        nom="CH fictif de Béziers",
        departement="34",
        ville="Béziers",
        services=[
            make_service(
                "cardiologie",
                nom="Cardiologie",
                description="Insuffisance cardiaque.",
                canaux=(("omnidoc", "https://omnidoc.exemple.invalid/b"),),
            )
        ],
    )
    liberal = make_requis(
        nom="Exemple",
        nature="liberal",
        departement="66",
        services=[make_service("pedopsychiatrie", couverture=["66"])],
    )
    return {"toulouse": toulouse.id, "beziers": beziers.id, "liberal": liberal.id}


def ids(body):
    return {item["id"] for item in body["donnees"]}


def test_the_list_gives_each_published_requis_once_with_its_services(api, corpus):
    body = api.json("/api/v1/recours")
    assert ids(body) == set(corpus.values())
    toulouse = next(i for i in body["donnees"] if i["id"] == corpus["toulouse"])
    assert [s["nom"] for s in toulouse["services"]] == ["Pédiatrie", "Télédermatologie"]
    assert toulouse["url"].endswith(f"/requis/{corpus['toulouse']}/chu-fictif-de-toulouse")
    assert toulouse["modifie_le"]


def test_one_recourse_is_the_shape_of_the_list(api, corpus):
    listed = next(i for i in api.json("/api/v1/recours")["donnees"] if i["id"] == corpus["beziers"])
    assert api.json(f"/api/v1/recours/{corpus['beziers']}") == listed


@pytest.mark.parametrize("url", ["/api/v1/recours/999999", "/api/v1/recours/abc", "/api/v1/rien"])
def test_an_unknown_recourse_or_address_is_a_json_404(api, corpus, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404


def test_a_never_published_entry_is_unknown_not_gone(api, app_ctx):
    pending = make_requis(statut="en_attente")
    assert api.get(f"/api/v1/recours/{pending.id}").status_code == 404


@pytest.mark.parametrize("how", ["archive", "delete"])
def test_a_withdrawn_recourse_is_gone_with_a_small_body(api, corpus, how):
    requis = db.session.get(Requis, corpus["beziers"])
    if how == "archive":
        requis.statut = Statut.ARCHIVEE
    else:
        db.session.delete(requis)
    db.session.commit()
    body = api.json(f"/api/v1/recours/{corpus['beziers']}", status=410)
    assert body["id"] == corpus["beziers"] and body["supprime"] is True
    assert body["modifie_le"] and "nom" not in body


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("q=cardio", {"beziers"}),
        ("q=plaies+chroniques", {"toulouse"}),
        ("q=dermato+gers", {"toulouse"}),
        ("departement=32", {"toulouse", "beziers"}),  # Béziers is region-wide
        ("departement=34&situe=1", {"beziers"}),
        ("specialite=pedopsychiatrie", {"liberal"}),
        ("type=liberal", {"liberal"}),
        ("outil=omnidoc", {"beziers"}),
        ("q=cardio&departement=31", {"beziers"}),
        ("q=cardio+pediatrie", set()),
    ],
)
def test_filters_and_words_find_what_the_site_finds(api, corpus, args, expected):
    assert ids(api.json(f"/api/v1/recours?{args}")) == {corpus[name] for name in expected}


def test_a_search_hands_back_no_sync_moment(api, corpus):
    assert "prochain_modifie_depuis" not in api.json("/api/v1/recours?q=cardio")
    assert "prochain_modifie_depuis" in api.json("/api/v1/recours")


def test_departements_say_code_name_and_article(api, app_ctx):
    body = api.json("/api/v1/departements")
    assert {"code": "31", "nom": "Haute-Garonne", "article": "la"} in body["donnees"]
    assert len(body["donnees"]) == 13


def test_specialites_carry_their_codes_and_parent(api, app_ctx):
    body = api.json("/api/v1/specialites")
    by_code = {s["code"]: s for s in body["donnees"]}
    assert by_code["cardiologie"]["code_r38"] and by_code["cardiologie"]["nature"] == "specialite"
    child = db.session.scalars(select(Specialite).where(Specialite.parent_id.is_not(None))).first()
    if child is not None:
        assert by_code[child.slug]["parent"] == child.parent.slug
    assert len(by_code) == db.session.query(Specialite).count()


def test_outils_list_the_tools(api, app_ctx):
    codes = {o["code"] for o in api.json("/api/v1/outils")["donnees"]}
    assert {"teleo", "omnidoc", "mssante"} <= codes
