"""Configuration refuses unsafe production settings."""

import pytest

from ato import create_app
from ato.config import ConfigError, load
from tests.conftest import PRODUCTION


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("ATO_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="ATO_SECRET_KEY"):
        load(
            str(tmp_path),
            {
                "ATO_ENV": "production",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                "ATO_BASE_URL": "https://ato.exemple.fr",
            },
        )


def test_production_refuses_to_start_without_a_base_url(tmp_path):
    with pytest.raises(ConfigError, match="ATO_BASE_URL"):
        load(
            str(tmp_path),
            {
                "ATO_ENV": "production",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                "SECRET_KEY": "cle-de-test-aleatoire-0123456789-abcdefgh",
            },
        )


@pytest.mark.parametrize(
    "secret", ["short", "dev-only-secret-not-for-production", "a" * 32, "ab" * 20]
)
def test_production_refuses_a_weak_secret_key(tmp_path, secret):
    with pytest.raises(ConfigError):
        load(
            str(tmp_path),
            {
                "ATO_ENV": "production",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                "SECRET_KEY": secret,
                "ATO_BASE_URL": "https://ato.exemple.fr",
            },
        )


def test_production_starts_with_a_real_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("ATO_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {
            **PRODUCTION,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            "SECRET_KEY": "cle-de-test-aleatoire-0123456789-abcdefgh",
            "ATO_BASE_URL": "https://ato.exemple.fr",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite3",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["ATO_HSTS"] is True


def test_development_has_a_default_secret_and_no_hsts(monkeypatch, tmp_path):
    monkeypatch.delenv("ATO_SECRET_KEY", raising=False)
    monkeypatch.delenv("ATO_HSTS", raising=False)
    config = load(str(tmp_path), {"ATO_ENV": "development"})
    assert config["SECRET_KEY"]
    assert config["ATO_HSTS"] is False


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        load(str(tmp_path), {"ATO_ENV": "staging"})


@pytest.mark.parametrize(
    "url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"]
)
def test_postgresql_urls_use_psycopg_3(monkeypatch, tmp_path, url):
    monkeypatch.setenv("DATABASE_URL", url)
    config = load(str(tmp_path), {"ATO_ENV": "test"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = load(str(tmp_path), {"ATO_ENV": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/ato.sqlite3"


def test_a_command_in_a_fresh_shell_says_what_to_do_without_a_traceback(tmp_path):
    """`flask --app ato …` with nothing set defaults to production: a French message, no stack."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    flask = Path(sys.executable).with_name("flask")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    result = subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [str(flask), "--app", "ato", "ato", "users", "create", "--email", "a@b.fr", "--nom", "X"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "est obligatoire en production" in result.stderr
    assert "export ATO_ENV=development" in result.stderr


def test_production_refuses_rate_limits_counted_in_memory(tmp_path):
    with pytest.raises(ConfigError, match="redis://"):
        load(
            str(tmp_path),
            {
                "ATO_ENV": "production",
                "SECRET_KEY": "cle-de-test-aleatoire-0123456789-abcdefgh",
                "ATO_BASE_URL": "https://ato.exemple.fr",
                "RATELIMIT_STORAGE_URI": "memory://",
            },
        )


def test_production_refuses_an_incomplete_legal_notice(tmp_path):
    """Nothing in brackets is ever served: production needs every value of the notice."""
    settings = {**PRODUCTION, "SECRET_KEY": "cle-de-test-aleatoire-0123456789-abcdefgh"}
    del settings["ATO_LEGAL_HOST"]
    with pytest.raises(ConfigError, match="ATO_LEGAL_HOST"):
        load(str(tmp_path), settings)


def test_the_legal_pages_show_the_configured_values_and_no_placeholder(client, app):
    import html

    app.config["ATO_LEGAL_HOST"] = "Hébergeur fictif, Toulouse"
    try:
        legal = html.unescape(client.get("/mentions-legales").get_data(as_text=True))
        accessibility = html.unescape(client.get("/accessibilite").get_data(as_text=True))
    finally:
        app.config["ATO_LEGAL_HOST"] = ""
    assert "Hébergeur fictif, Toulouse" in legal
    for page in (legal, accessibility):
        assert "Modèle à compléter" not in page and "[" not in page.split("<main", 1)[1]


@pytest.mark.parametrize("value", ["audit fictif, 80 %", "2026-13-01 80", "2026-01-01 120", "80"])
def test_an_accessibility_status_nobody_can_read_stops_the_start(tmp_path, value):
    with pytest.raises(ConfigError, match="ATO_ACCESSIBILITY_STATUS"):
        load(str(tmp_path), {"ATO_ENV": "development", "ATO_ACCESSIBILITY_STATUS": value})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "non conforme"),
        ("aucun", "non conforme"),
        ("2026-10-15 40", "non conforme"),
        ("2026-10-15 87,5", "partiellement conforme"),
        ("2026-10-15;100 %", "totalement conforme"),
    ],
)
def test_the_statement_says_the_conformity_its_audit_gives(client, app, value, expected):
    import html

    app.config["ATO_ACCESSIBILITY_STATUS"] = value
    try:
        page = html.unescape(client.get("/accessibilite").get_data(as_text=True))
    finally:
        app.config["ATO_ACCESSIBILITY_STATUS"] = ""
    state = page[page.index('id="conformite"') : page.index('id="non-accessibles"')]
    assert f"<strong>{expected}</strong>" in state
    if value.startswith("2026"):
        assert "réalisé le 15 octobre 2026" in state
        assert f"{value.split()[-1].split(';')[-1].rstrip(' %')} % des critères" in state
    else:
        assert "aucun audit de conformité n'a encore été réalisé" in state


def test_the_statement_has_every_section_the_rgaa_requires(client):
    import html

    page = html.unescape(client.get("/accessibilite").get_data(as_text=True))
    for title in (
        "État de conformité",
        "Contenus non accessibles",
        "Établissement de cette déclaration",
        "Retour d'information et contact",
        "Voies de recours",
        "Schéma pluriannuel et plan d'action",
    ):
        assert f">{title}</h2>" in page
    assert "Défenseur des droits" in page and "axe-core" in page
    assert "une fiche de quatre services au plus tient sur une page" in page


@pytest.mark.parametrize(
    ("plan", "shown"),
    [
        ("https://exemple.fr/schema", '<a href="https://exemple.fr/schema"'),
        ("Schéma 2026-2028 en cours d'adoption.", "Schéma 2026-2028 en cours d'adoption."),
        ("", "ne sont pas encore publiés"),
    ],
)
def test_the_statement_links_or_states_the_accessibility_plan(client, app, plan, shown):
    import html

    app.config["ATO_ACCESSIBILITY_PLAN"] = plan
    try:
        page = html.unescape(client.get("/accessibilite").get_data(as_text=True))
    finally:
        app.config["ATO_ACCESSIBILITY_PLAN"] = ""
    assert shown in page


def test_outside_production_an_unset_legal_value_says_this_is_a_demonstration(client):
    import html

    page = html.unescape(client.get("/mentions-legales").get_data(as_text=True))
    assert "Instance de démonstration : l'éditeur n'est pas renseigné." in page
    assert "Instance de démonstration : l'hébergeur n'est pas renseigné." in page
