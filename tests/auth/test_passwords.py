"""A staff member changes their password, resets a forgotten one by mail, and confirms it
again before administering accounts."""

import html
import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from ato.auth.models import User
from ato.core.access import Role
from ato.extensions import db
from tests.staff import PASSWORD, csrf_of, login, make_user

NEW = "girafe-orage-carnet-tulipe"


def _form(client, url, **data):
    token = csrf_of(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_changing_ones_password_keeps_this_browser_and_ends_the_others(app):
    make_user(app)
    here, elsewhere = app.test_client(), app.test_client()
    login(here), login(elsewhere)
    wrong = _form(
        here, "/admin/compte/mot-de-passe", current="pas le bon", password=NEW, confirm=NEW
    )
    assert wrong.status_code == 422 and "rien n'a changé" in html.unescape(
        wrong.get_data(as_text=True)
    )
    done = _form(here, "/admin/compte/mot-de-passe", current=PASSWORD, password=NEW, confirm=NEW)
    assert done.status_code == 303
    assert here.get("/admin/").status_code == 200  # this browser stays in
    assert elsewhere.get("/admin/").status_code == 302  # the others are out
    assert login(app.test_client(), password=PASSWORD).status_code == 401
    assert login(app.test_client(), password=NEW).status_code == 302


def test_a_weak_new_password_is_refused(app):
    make_user(app)
    client = app.test_client()
    login(client)
    response = _form(
        client,
        "/admin/compte/mot-de-passe",
        current=PASSWORD,
        password="azerty123456",
        confirm="azerty123456",
    )
    assert response.status_code == 422 and "trop facile à deviner" in response.get_data(
        as_text=True
    )


def _reset_link(smtp) -> str:
    body = smtp.messages[-1].get_content()
    return re.search(r"https?://\S+/connexion/nouveau-mot-de-passe/\S+", body).group(0)


def test_a_forgotten_password_is_reset_by_a_single_use_link(app, client, smtp):
    make_user(app)
    page = _form(client, "/connexion/mot-de-passe-oublie", email="Moderatrice@ATO.invalid")
    assert "Si un compte" in page.get_data(as_text=True)
    path = "/" + _reset_link(smtp).split("://", 1)[1].split("/", 1)[1]
    assert _form(client, path, password=NEW, confirm=NEW).status_code == 303
    assert login(app.test_client(), password=NEW).status_code == 302
    assert client.get(path).status_code == 404  # used: the hash it was bound to changed


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client, smtp):
    make_user(app)
    known = _form(client, "/connexion/mot-de-passe-oublie", email="moderatrice@ato.invalid")
    unknown = _form(client, "/connexion/mot-de-passe-oublie", email="personne@ato.invalid")
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    assert [m["To"] for m in smtp.messages] == ["moderatrice@ato.invalid"]


def test_a_reset_link_expires_after_an_hour(app, client, smtp):
    make_user(app)
    _form(client, "/connexion/mot-de-passe-oublie", email="moderatrice@ato.invalid")
    path = "/" + _reset_link(smtp).split("://", 1)[1].split("/", 1)[1]
    with freeze_time(timedelta(hours=1, minutes=1), tick=True):
        assert client.get(path).status_code == 404


def test_account_administration_asks_for_the_password_again_after_ten_minutes(app):
    make_user(app, email="chef@ato.invalid", role=Role.ADMINISTRATEUR)
    client = app.test_client()
    login(client, email="chef@ato.invalid")
    assert client.get("/admin/utilisateurs").status_code == 200
    with freeze_time(timedelta(minutes=11), tick=True):
        client.get("/admin/")  # keep the session alive (idle timeout is longer)
        response = client.get("/admin/utilisateurs")
        assert (
            response.status_code == 302
            and "/admin/compte/confirmer" in response.headers["Location"]
        )
        confirm_url = response.headers["Location"]
        bad = _form(client, confirm_url, password="pas le bon", next="/admin/utilisateurs")
        assert bad.status_code == 401
        good = _form(client, confirm_url, password=PASSWORD, next="/admin/utilisateurs")
        assert good.status_code == 303 and good.headers["Location"].endswith("/admin/utilisateurs")
        assert client.get("/admin/utilisateurs").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(User)).one().email == "chef@ato.invalid"
