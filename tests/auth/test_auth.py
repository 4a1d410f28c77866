"""Staff login: passwords, throttling shared by workers, sessions, timeouts, redirects."""

import os
from datetime import timedelta

import pytest
from freezegun import freeze_time

from ato import create_app
from ato.auth import services
from ato.core.access import Role
from tests.staff import PASSWORD, csrf_of, login, make_user


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("court", False),
        ("azertyuiop123", False),
        ("aaaaaaaaaaaaaaaa", False),
        ("moderatrice-2026!", False),  # contains the e-mail's local part
        ("azerty123456", False),  # a keyboard walk and digits: long, and guessed in seconds
        ("motdepasse2026", False),  # a French common word and a year
        ("camilleexemple2026", False),  # the account's own name and a year
        ("Kangourou violet du Lauragais", True),
        ("sans-regle-de-composition", True),
    ],
)
def test_password_policy_is_length_and_common_passwords(password, ok):
    problems = services.password_problems(password, "moderatrice@ato.invalid", "Camille Exemple")
    assert (problems == []) is ok


def test_passwords_are_hashed_with_argon2(app):
    make_user(app)
    with app.app_context():
        from ato.auth.models import User
        from ato.extensions import db

        user = db.session.scalars(db.select(User)).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_login_then_logout_by_post_only(app, client):
    make_user(app)
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200
    assert client.get("/deconnexion").status_code == 405
    page = client.get("/admin/").get_data(as_text=True)
    client.post("/deconnexion", data={"csrf_token": csrf_of(page)})
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(app, client):
    make_user(app)
    response = login(client, password="pas-le-bon-mot-de-passe")
    assert response.status_code == 401
    unknown = login(client, email="personne@ato.invalid")
    assert unknown.status_code == 401
    assert "Courriel ou mot de passe incorrect" in unknown.get_data(as_text=True)


def test_login_starts_a_fresh_session(app, client):
    make_user(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client)
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_open_redirects_are_refused(app, client, target):
    make_user(app)
    response = login(client, next_url=target)
    assert response.headers["Location"].endswith("/admin/")


def test_a_local_next_is_followed(app, client):
    make_user(app)
    response = login(client, next_url="/admin/journal")
    assert response.headers["Location"].endswith("/admin/journal")


@pytest.mark.parametrize(("minutes", "still_in"), [(29, True), (31, False)])
def test_idle_timeout(app, client, minutes, still_in):
    make_user(app)
    with freeze_time("2026-11-22 09:00:00") as frozen:
        login(client)
        frozen.tick(timedelta(minutes=minutes))
        assert (client.get("/admin/").status_code == 200) is still_in


def test_absolute_timeout_even_when_active(app, client):
    make_user(app)
    with freeze_time("2026-11-22 08:00:00") as frozen:
        login(client)
        for _ in range(21):  # active every 29 minutes for more than 10 hours
            frozen.tick(timedelta(minutes=29))
            client.get("/admin/")
        assert client.get("/admin/").status_code == 302


def test_throttle_holds_across_two_app_instances_sharing_the_database(
    app, app_config, instance_path
):
    make_user(app)
    os.environ["ATO_INSTANCE_PATH"] = instance_path
    other = create_app(app_config)  # a second gunicorn worker
    clients = [app.test_client(), other.test_client()]
    statuses = [
        login(clients[i % 2], password="mauvais-mot-de-passe-12").status_code for i in range(5)
    ]
    assert statuses == [401] * 5
    # Five failures were spread over both workers: the sixth attempt is refused by either,
    # even with the right password.
    try:
        assert login(clients[0]).status_code == 429
        assert login(clients[1]).status_code == 429
    finally:
        with other.app_context():
            from ato.extensions import db

            db.engine.dispose()


@pytest.mark.parametrize(
    "spelling",
    [" moderatrice@ato.invalid", "moderatrice@ato.invalid\t", "\u00a0Moderatrice@ATO.invalid "],
)
def test_the_throttle_holds_whatever_spaces_or_case_surround_the_address(app, client, spelling):
    make_user(app)
    for attempt in range(5):  # failures spelled this way and the plain way count together
        typed = spelling if attempt % 2 == 0 else "moderatrice@ato.invalid"
        assert login(client, email=typed, password="mauvais-mot-de-passe-12").status_code == 401
    assert login(client, email=spelling).status_code == 429
    assert login(client, email="moderatrice@ato.invalid").status_code == 429
    assert login(client, email="MODERATRICE@ato.invalid").status_code == 429


def test_failures_are_recorded_against_the_address_the_account_has(app, client):
    make_user(app)
    login(client, email="  Moderatrice@ATO.invalid ", password="mauvais-mot-de-passe-12")
    with app.app_context():
        from ato.auth.models import LoginAttempt
        from ato.extensions import db

        assert db.session.scalars(db.select(LoginAttempt.email)).all() == [
            "moderatrice@ato.invalid"
        ]


def test_the_right_password_logs_in_whatever_spaces_or_case_surround_the_address(app, client):
    make_user(app)
    assert login(client, email=" Moderatrice@ato.invalid\n").status_code == 302


def test_users_create_command_prompts_and_enforces_the_policy(runner):
    result = runner.invoke(
        args=[
            "ato",
            "users",
            "create",
            "--email",
            "a@ato.invalid",
            "--nom",
            "A",
            "--role",
            "administrateur",
        ],
        input="court\ncourt\n",
    )
    assert result.exit_code != 0 and "12 caractères" in result.output
    result = runner.invoke(
        args=[
            "ato",
            "users",
            "create",
            "--email",
            "a@ato.invalid",
            "--nom",
            "A",
            "--role",
            "administrateur",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0 and "Administrateur" in result.output
    assert Role.ADMINISTRATEUR.label == "Administrateur"


def _create(runner, email):
    return runner.invoke(
        args=["ato", "users", "create", "--email", email, "--nom", "A"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )


def test_users_create_stores_the_normal_form_of_the_address(app, runner):
    result = _create(runner, "  Quelqu.Un@ATO.invalid ")
    assert result.exit_code == 0 and "compte créé : quelqu.un@ato.invalid" in result.output


@pytest.mark.parametrize(
    ("email", "message"),
    [("pas-un-courriel", "Indiquez un courriel"), (" A@ato.invalid", "existe déjà")],
)
def test_users_create_refuses_a_bad_or_taken_address_in_french(app, runner, email, message):
    assert _create(runner, "a@ato.invalid").exit_code == 0
    result = _create(runner, email)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output
