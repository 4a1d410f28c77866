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
