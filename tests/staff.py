"""Staff accounts and logged-in clients for the back-office tests."""

from __future__ import annotations

import re

import factory
import pyotp
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select

from ato.auth import services
from ato.auth.models import User
from ato.core.access import Role
from ato.core.text import normalize_email
from ato.extensions import db

PASSWORD = "une-phrase-de-passe-solide"  # noqa: S105


class UserFactory(SQLAlchemyModelFactory):
    """An active staff account whose password is ``password`` (default :data:`PASSWORD`).

    The hash comes from the application's own ``hash_password``, so it has the
    configured cost (the cheap test profile in the suite) and logs in for real.
    """

    class Meta:
        model = User
        sqlalchemy_session = db.session
        sqlalchemy_session_persistence = "flush"

    class Params:
        password = PASSWORD

    email = factory.Sequence(lambda n: f"equipe{n}@ato.invalid")
    nom = "Équipe test"
    role = Role.MODERATEUR
    password_hash = factory.LazyAttribute(lambda o: services.hash_password(o.password))
    # Administrators cannot work without a second factor: theirs is set up already.
    totp_secret = factory.LazyAttribute(
        lambda o: pyotp.random_base32() if o.role == Role.ADMINISTRATEUR else None
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # noqa: ANN001, ANN206
        kwargs["email"] = normalize_email(kwargs["email"])  # as the accounts are stored
        return super()._create(model_class, *args, **kwargs)


def make_user(app, email="moderatrice@ato.invalid", role=Role.MODERATEUR):
    """Commit an account in its own app context; return its id."""
    with app.app_context():
        user = UserFactory(email=email, role=role)
        db.session.commit()
        return user.id


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, email="moderatrice@ato.invalid", password=PASSWORD, next_url=None):
    page = client.get("/connexion" + (f"?next={next_url}" if next_url else ""))
    html = page.get_data(as_text=True)
    data = {"csrf_token": csrf_of(html), "email": email, "password": password}
    found = re.search(r'name="next"[^>]*value="([^"]*)"', html)
    if found:
        data["next"] = found.group(1)
    response = client.post("/connexion", data=data)
    if response.status_code == 302 and response.headers["Location"].endswith("/connexion/code"):
        return second_factor(client, email)
    return response


def current_code(email: str) -> str:
    """The code the account's authenticator app shows now.

    A code is accepted once: tests that log the same account in twice within
    thirty seconds start each login as if the previous code were older.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    user.totp_last_step = None
    db.session.commit()
    return pyotp.TOTP(user.totp_secret).now()


def second_factor(client, email: str, code: str | None = None):
    """The login's second step, with the current code of the account (or ``code``)."""
    app = client.application
    with app.app_context():
        code = code or current_code(email)
    page = client.get("/connexion/code").get_data(as_text=True)
    return client.post("/connexion/code", data={"csrf_token": csrf_of(page), "code": code})
