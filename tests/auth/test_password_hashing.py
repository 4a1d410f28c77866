"""Password hashing cost: argon2-cffi's defaults everywhere but in the test suite.

The suite hashes with argon2's cheapest valid parameters (as cookiecutter-flask
lowers BCRYPT_LOG_ROUNDS in its test settings); these tests make sure that profile
never reaches production and that hashes made under either profile keep working.
"""

import pytest
from argon2 import extract_parameters, profiles
from sqlalchemy import select

from ato import create_app
from ato.auth import services
from ato.auth.models import User
from ato.config import ConfigError, load
from ato.core.access import Role
from ato.extensions import db
from tests.conftest import PRODUCTION
from tests.staff import PASSWORD, login

PRODUCTION = {
    **PRODUCTION,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": "cle-de-test-aleatoire-0123456789-abcdefgh",
    "ATO_BASE_URL": "https://ato.exemple.fr",
}
PROFILE_PARAMETERS = {
    "default": profiles.get_default_parameters(),
    "cheapest": profiles.CHEAPEST,
}


def test_production_hashes_with_the_argon2_library_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("ATO_ARGON2_PROFILE", raising=False)
    monkeypatch.setenv("ATO_INSTANCE_PATH", str(tmp_path))
    app = create_app({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    assert app.config["ATO_ARGON2_PROFILE"] == "default"
    with app.app_context():
        hashed = services.hash_password(PASSWORD)
    assert extract_parameters(hashed) == profiles.get_default_parameters()


def test_development_hashes_with_the_argon2_library_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("ATO_ARGON2_PROFILE", raising=False)
    assert load(str(tmp_path), {"ATO_ENV": "development"})["ATO_ARGON2_PROFILE"] == "default"


def test_production_refuses_the_cheap_profile_even_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("ATO_ARGON2_PROFILE", "cheapest")
    with pytest.raises(ConfigError, match="ATO_ARGON2_PROFILE"):
        load(str(tmp_path), PRODUCTION)


def test_an_unknown_profile_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="ATO_ARGON2_PROFILE"):
        load(str(tmp_path), {"ATO_ENV": "development", "ATO_ARGON2_PROFILE": "fast"})


def test_the_suite_hashes_with_the_cheapest_argon2id_parameters(app):
    assert app.config["ATO_ARGON2_PROFILE"] == "cheapest"
    with app.app_context():
        hashed = services.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert extract_parameters(hashed) == profiles.CHEAPEST


@pytest.mark.parametrize(
    ("made_with", "logged_in_with"), [("default", "cheapest"), ("cheapest", "default")]
)
def test_a_hash_from_either_profile_logs_in_and_is_rehashed_to_the_current_one(
    app, client, monkeypatch, made_with, logged_in_with
):
    monkeypatch.setitem(app.config, "ATO_ARGON2_PROFILE", made_with)
    with app.app_context():
        services.create_user("moderatrice@ato.invalid", "Équipe test", Role.MODERATEUR, PASSWORD)
        db.session.commit()
    monkeypatch.setitem(app.config, "ATO_ARGON2_PROFILE", logged_in_with)
    assert login(client).status_code == 302
    with app.app_context():
        hashed = db.session.scalars(select(User.password_hash)).one()
    assert extract_parameters(hashed) == PROFILE_PARAMETERS[logged_in_with]


@pytest.mark.parametrize(
    "path", ["inconnu", "désactivé", "invitation en attente", "mauvais", "bon"]
)
def test_every_login_path_costs_one_verification_at_the_same_parameters(app, monkeypatch, path):
    """Timing must not tell which addresses have an account (or a pending invitation)."""
    from argon2 import PasswordHasher, extract_parameters

    from ato.auth import services
    from ato.core.access import Role
    from ato.extensions import db

    with app.app_context():
        services.create_user("actif@ato.invalid", "Actif", Role.MODERATEUR, PASSWORD)
        services.set_active(
            services.create_user("parti@ato.invalid", "Parti", Role.MODERATEUR, PASSWORD), False
        )
        services.invite("invite@ato.invalid", "Invité", Role.MODERATEUR)
        db.session.commit()
        seen = []
        real = PasswordHasher.verify

        def counting(self, hash, password):  # noqa: A002
            seen.append(extract_parameters(hash))
            return real(self, hash, password)

        monkeypatch.setattr(PasswordHasher, "verify", counting)
        email, password = {
            "inconnu": ("personne@ato.invalid", PASSWORD),
            "désactivé": ("parti@ato.invalid", PASSWORD),
            "invitation en attente": ("invite@ato.invalid", PASSWORD),
            "mauvais": ("actif@ato.invalid", "pas le bon mot de passe"),
            "bon": ("actif@ato.invalid", PASSWORD),
        }[path]
        user = services.authenticate(email, password, "127.0.0.1")
        db.session.rollback()
    assert (user is not None) is (path == "bon")
    assert len(seen) == 1
    assert seen[0] == extract_parameters(services._decoy_hash("cheapest"))
