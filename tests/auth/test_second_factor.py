"""The second factor: TOTP codes (RFC 6238) after the password, required for administrators,
offered to moderators, with single-use recovery codes."""

import html
import re
from datetime import timedelta

import pyotp
from freezegun import freeze_time
from sqlalchemy import select

from ato.auth.models import User
from ato.core.access import Role
from ato.extensions import db
from tests.staff import PASSWORD, csrf_of, login, make_user, second_factor


def _enable(app, client) -> tuple[str, list[str]]:
    page = client.get("/admin/compte/double-authentification").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7 ]{16,})</code>", page).group(1).replace(" ", "")
    done = client.post(
        "/admin/compte/double-authentification",
        data={"csrf_token": csrf_of(page), "code": pyotp.TOTP(secret).now()},
    )
    assert done.status_code == 200
    codes = re.findall(
        r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.get_data(as_text=True)
    )
    return secret, codes


def _password_step(client):
    page = client.get("/connexion").get_data(as_text=True)
    return client.post(
        "/connexion",
        data={
            "csrf_token": csrf_of(page),
            "email": "moderatrice@ato.invalid",
            "password": PASSWORD,
        },
    )


def test_a_moderator_turns_it_on_and_then_logs_in_with_a_code(app):
    make_user(app)
    client = app.test_client()
    login(client)
    secret, codes = _enable(app, client)
    assert len(codes) == 10
    fresh = app.test_client()
    step = _password_step(fresh)
    assert step.headers["Location"].endswith("/connexion/code")
    assert fresh.get("/admin/").status_code == 302  # the password alone opens nothing
    wrong = second_factor(fresh, "moderatrice@ato.invalid", code="000000")
    assert wrong.status_code == 401
    with freeze_time(timedelta(seconds=31), tick=True):  # the next time step
        ok = second_factor(fresh, "x", code=pyotp.TOTP(secret).now())
        assert ok.status_code == 302, ok.get_data(as_text=True)[:300]
        assert fresh.get("/admin/").status_code == 200, fresh.get("/admin/").headers.get("Location")


def test_a_code_is_accepted_once(app):
    make_user(app)
    client = app.test_client()
    login(client)
    secret, _ = _enable(app, client)  # the enabling code is this step's code
    fresh = app.test_client()
    _password_step(fresh)
    replay = second_factor(fresh, "x", code=pyotp.TOTP(secret).now())
    assert replay.status_code == 401


def test_a_recovery_code_stands_in_once(app):
    make_user(app)
    client = app.test_client()
    login(client)
    _, codes = _enable(app, client)
    first, second = app.test_client(), app.test_client()
    _password_step(first)
    assert second_factor(first, "x", code=codes[0]).status_code == 302
    _password_step(second)
    assert second_factor(second, "x", code=codes[0]).status_code == 401


def test_an_administrator_without_a_second_factor_must_set_it_up_first(app):
    with app.app_context():
        from tests.staff import UserFactory

        UserFactory(email="chef@ato.invalid", role=Role.ADMINISTRATEUR, totp_secret=None)
        db.session.commit()
    client = app.test_client()
    assert login(client, email="chef@ato.invalid").status_code == 302
    for url in ("/admin/", "/admin/utilisateurs", "/admin/fiches"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].endswith("/admin/compte/double-authentification")
    page = html.unescape(client.get("/admin/compte/double-authentification").get_data(as_text=True))
    assert "saisi manuellement" in page


def test_only_recovery_code_hashes_are_stored(app):
    make_user(app)
    client = app.test_client()
    login(client)
    _, codes = _enable(app, client)
    from ato.auth.models import RecoveryCode

    with app.app_context():
        stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
        assert stored and not stored & set(codes)
        assert db.session.scalars(select(User.totp_secret)).one()
