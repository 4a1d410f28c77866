"""HTTP behaviour: caching validators, read-only CORS, methods, rate limit, bad inputs."""

import pytest

from ato.extensions import db
from tests.factories import make_requis

URLS = [
    "/api/v1/recours",
    "/api/v1/recours?q=dermato&limite=5",
    "/api/v1/specialites",
    "/api/v1/departements",
    "/api/v1/outils",
    "/api/v1/openapi.json",
]


@pytest.fixture
def entry(app_ctx):
    return make_requis(nom="CH fictif d'Albi", departement="81")


@pytest.mark.parametrize("url", [*URLS, "RECOURS"])
def test_every_get_is_json_with_validators_and_no_cookie(api, entry, url):
    url = f"/api/v1/recours/{entry.id}" if url == "RECOURS" else url
    response = api.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Last-Modified"]
    assert "Set-Cookie" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("url", [*URLS, "RECOURS"])
def test_a_current_copy_gets_a_bodiless_304(api, entry, url):
    url = f"/api/v1/recours/{entry.id}" if url == "RECOURS" else url
    first = api.get(url)
    again = api.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    since = api.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


def test_a_change_of_the_directory_changes_the_etag(api, entry):
    first = api.get("/api/v1/recours")
    entry.telephone = "05 63 00 00 00"
    db.session.commit()
    again = api.get("/api/v1/recours", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


def test_another_query_has_another_etag(api, entry):
    assert (
        api.get("/api/v1/recours?limite=1").headers["ETag"]
        != api.get("/api/v1/recours?limite=2").headers["ETag"]
    )


def test_a_cors_preflight_is_answered_for_reading_only(api, entry):
    headers = {"Origin": "https://autre.exemple.fr", "Access-Control-Request-Method": "GET"}
    preflight = api.open("/api/v1/recours", method="OPTIONS", headers=headers)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    headers["Access-Control-Request-Method"] = "DELETE"
    refused = api.open("/api/v1/recours", method="OPTIONS", headers=headers)
    assert refused.status_code == 405
    assert "Access-Control-Allow-Methods" not in refused.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", ["/api/v1/recours", "/api/v1/recours/1", "/api/v1/outils"])
def test_writing_methods_are_refused_in_json(api, entry, method, url):
    response = api.open(url, method=method, json={"nom": "x"})
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "lecture seule" in response.json["detail"]
    assert "POST" not in response.headers["Allow"]


def test_head_answers_like_get_without_a_body(api, entry):
    response = api.open("/api/v1/recours", method="HEAD")
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["ETag"] == api.get("/api/v1/recours").headers["ETag"]


def test_the_api_has_its_own_rate_limit(app, api, entry):
    previous = app.config["ATO_API_RATE_LIMIT"]
    app.config["ATO_API_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [api.get("/api/v1/outils").status_code for _ in range(4)]
        over = api.get("/api/v1/recours")
    finally:
        app.config["ATO_API_RATE_LIMIT"] = previous
    assert statuses == [200, 200, 200, 429]
    assert over.status_code == 429
    assert over.mimetype == "application/problem+json"
    assert over.json["title"] == "Trop de demandes"
    assert api.client.get("/recherche?q=x").status_code == 200  # the site's own budget


@pytest.mark.parametrize(
    ("args", "parametre", "words"),
    [
        ("departement=99", "departement", "Département inconnu"),
        ("specialite=astrologie", "specialite", "Spécialité inconnue"),
        ("type=robot", "type", "Type de recours inconnu"),
        ("outil=pigeon", "outil", "Outil inconnu"),
        ("situe=peut-etre", "situe", "1 (oui) ou 0 (non)"),
        ("limite=0", "limite", "nombre entier de 1 à 200"),
        ("limite=201", "limite", "nombre entier de 1 à 200"),
        ("limite=%C2%B2", "limite", "nombre entier"),
        ("limite=99999999999999999999", "limite", "nombre entier"),
        ("curseur=abc", "curseur", "Curseur invalide"),
        ("modifie_depuis=hier", "modifie_depuis", "Date invalide"),
        ("modifie_depuis=2026-13-01T00:00:00", "modifie_depuis", "Date invalide"),
        ("modifie_depuis=0001-01-01T00:00:00%2B05:00", "modifie_depuis", "Date invalide"),
        ("modifie_depuis=2026-01-01&q=cardio", "modifie_depuis", "ne se combine"),
        ("departemnt=31", "departemnt", "Paramètre inconnu"),
        ("limite=1&limite=2", "limite", "plusieurs fois"),
    ],
)
def test_a_bad_input_is_a_400_in_french_naming_the_parameter(api, entry, args, parametre, words):
    response = api.get(f"/api/v1/recours?{args}")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == 400 and body["title"] == "Paramètre invalide"
    assert body["parametre"] == parametre
    assert words in body["detail"]


def test_a_tampered_cursor_is_refused_not_obeyed(api, app_ctx):
    for n in range(3):
        make_requis(nom=f"Recours {n}", commit=False)
    db.session.commit()
    following = api.json("/api/v1/recours?limite=1")["suivant"]
    token = following.split("curseur=")[1].split("&")[0]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = api.get(f"/api/v1/recours?limite=1&curseur={forged}")
    assert response.status_code == 400 and response.json["parametre"] == "curseur"


@pytest.mark.parametrize(
    "text", ["%00", "%F0%9F%92%A9" * 300, "((((", "*", "le la les", "%22unclosed"]
)
def test_any_text_is_answered_never_a_500(api, entry, text):
    assert api.get(f"/api/v1/recours?q={text}").status_code == 200


def test_a_date_with_its_plus_read_as_a_space_is_understood(api, entry):
    response = api.get("/api/v1/recours?modifie_depuis=2026-01-01T00:00:00+00:00")
    assert response.status_code == 200


def test_the_next_page_is_in_the_body_and_a_link_header(api, app_ctx):
    for n in range(3):
        make_requis(nom=f"Recours {n}", commit=False)
    db.session.commit()
    response = api.get("/api/v1/recours?limite=2&type=etablissement")
    following = response.json["suivant"]
    assert "type=etablissement" in following and "limite=2" in following
    assert response.headers["Link"] == f'<{following}>; rel="next"'
    last = api.get(following)
    assert last.json["suivant"] is None and "Link" not in last.headers
