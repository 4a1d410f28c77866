"""Security headers, error pages and template filters."""

from datetime import UTC, datetime, timedelta

import pytest

from ato import create_app
from ato.web import attente, date_fr, delai, nombre


def dispose(app):
    """Close the extra app's pooled connections (PostgreSQL warns about leaked ones)."""
    from ato.extensions import db

    with app.app_context():
        db.engine.dispose()


EXPECTED_CSP = {
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
}


def _assert_security_headers(response):
    csp = {part.strip() for part in response.headers["Content-Security-Policy"].split(";")}
    assert csp >= EXPECTED_CSP
    assert not any("unsafe-inline" in part for part in csp)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("path", ["/", "/departements", "/n-existe-pas", "/static/css/ato.css"])
def test_every_response_has_security_headers(client, path):
    response = client.get(path)
    _assert_security_headers(response)
    response.close()


@pytest.mark.parametrize(
    "path",
    [
        "/suivi/un-jeton",
        "/mise-a-jour/un-jeton",
        "/confirmation/un-jeton",
        "/confirmation/un-jeton/mise-a-jour",
        "/compte/activation/un-jeton",
    ],
)
def test_pages_behind_a_secret_link_are_not_cached_and_refer_to_their_own_site_only(client, path):
    """``same-origin``: their forms pass the HTTPS Referer check; other sites get no Referer."""
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_an_activation_form_posted_over_https_from_its_own_page_is_accepted(app, client):
    from ato.auth import services
    from ato.core.access import Role
    from ato.extensions import db
    from tests.staff import csrf_of

    with app.app_context():
        _, token = services.invite("invitee@exemple.fr", "Invitée", Role.MODERATEUR)
        db.session.commit()
    url = f"https://localhost/compte/activation/{token}"
    page = client.get(url).get_data(as_text=True)
    password = "une phrase de passe bien à moi"
    data = {"csrf_token": csrf_of(page), "password": password, "confirm": password}
    assert client.post(url, data=data).status_code == 400  # HTTPS without Referer: refused
    response = client.post(url, data=data, headers={"Referer": url})  # what same-origin sends
    assert response.status_code == 303


def test_no_hsts_in_tests_but_hsts_when_enabled(client, app_config, tmp_path, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/").headers
    monkeypatch.setenv("ATO_INSTANCE_PATH", str(tmp_path))
    app = create_app({**app_config, "ATO_HSTS": True})
    response = app.test_client().get("/n-existe-pas")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    dispose(app)


def test_server_error_page_is_french_and_has_security_headers(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("ATO_INSTANCE_PATH", str(tmp_path))
    app = create_app(app_config)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    dispose(app)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Erreur du serveur" in page
    assert "RuntimeError" not in page
    _assert_security_headers(response)


def test_not_found_page_is_french(client):
    response = client.get("/n-existe-pas")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
    assert '<html lang="fr">' in response.get_data(as_text=True)


def test_wrong_method_answers_405_with_a_french_page(client):
    response = client.post("/")
    assert response.status_code == 405
    assert "Méthode non autorisée" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (None, "non précisé"),
        (30, "sous 30 min"),
        (90, "sous 1 h 30"),
        (24 * 60, "sous 24 h"),
        (48 * 60, "sous 48 h"),
        (72 * 60, "sous 3 jours"),
        (168 * 60, "sous 1 semaine"),
        (100 * 60, "sous 100 h"),
    ],
)
def test_response_time_in_words(minutes, text):
    assert delai(minutes) == text


def test_dates_are_shown_in_paris_time():
    # 23:30 UTC on 31 December is already 1 January in Paris.
    assert date_fr(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "1er janvier 2026"
    assert date_fr(None) == ""


def test_numbers_use_french_grouping():
    assert nombre(87208).replace("\u202f", " ").replace("\xa0", " ") == "87 208"


@pytest.mark.parametrize(
    ("hours", "text"), [(2, "aujourd'hui"), (24, "1 jour"), (24 * 12 + 3, "12 jours")]
)
def test_waiting_time_in_words(hours, text):
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert attente(now - timedelta(hours=hours), now) == text


def test_periods_and_ages_are_said_in_french():
    from datetime import UTC, date, datetime

    from ato.web import anciennete, date_fr, mois_ecoules, periode_fr

    assert periode_fr(date(2026, 12, 14), date(2026, 12, 31)) == "du 14 au 31 décembre 2026"
    assert periode_fr(date(2026, 11, 23), date(2026, 12, 7)) == "du 23 novembre au 7 décembre 2026"
    assert (
        periode_fr(date(2026, 12, 21), date(2027, 1, 3)) == "du 21 décembre 2026 au 3 janvier 2027"
    )
    assert periode_fr(date(2026, 12, 14), None) == "à partir du 14 décembre 2026"
    assert periode_fr(date(2026, 12, 14), date(2026, 12, 14)) == "le 14 décembre 2026"
    assert date_fr(date(2026, 12, 1)) == "1er décembre 2026"
    now = datetime(2026, 11, 29, 9, tzinfo=UTC)
    assert anciennete(datetime(2026, 8, 10, tzinfo=UTC), now) == "il y a 3 mois"
    assert anciennete(datetime(2026, 11, 28, 9, tzinfo=UTC), now) == "hier"
    assert anciennete(datetime(2026, 11, 20, tzinfo=UTC), now) == "il y a 9 jours"
    assert anciennete(datetime(2024, 1, 1, tzinfo=UTC), now) == "il y a 2 ans"
    assert mois_ecoules(datetime(2025, 6, 30, tzinfo=UTC), now) == 16
