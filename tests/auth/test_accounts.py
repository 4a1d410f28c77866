"""Administrators invite and disable staff accounts."""

import html
import re

from sqlalchemy import select

from ato.auth.models import User
from ato.core.audit import AuditEntry
from ato.extensions import db
from tests.backoffice import post
from tests.staff import csrf_of, login


def _invite(admin, email="nouvelle@exemple.fr", role="moderateur"):
    return post(
        admin,
        "/admin/utilisateurs",
        {"email": email, "nom": "Nouvelle Personne", "role": role},
        page="/admin/utilisateurs",
    )


def _activation_link(smtp) -> str:
    body = smtp.messages[-1].get_payload(decode=True).decode()
    return re.search(r"https?://\S+/compte/activation/\S+", body).group(0)


def test_an_invitation_lets_the_person_choose_a_password_once(app, admin, smtp):
    assert _invite(admin).status_code == 303
    link = _activation_link(smtp)
    visitor = app.test_client()
    page = visitor.get(link).get_data(as_text=True)
    assert login(visitor, "nouvelle@exemple.fr", "!invitation").status_code == 401
    password = "une autre phrase de passe solide"
    data = {"csrf_token": csrf_of(page), "password": password, "confirm": password}
    assert visitor.post(link, data=data).status_code == 303
    assert app.test_client().get(link).status_code == 404  # single use
    assert login(visitor, "nouvelle@exemple.fr", password).status_code == 302
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"invitation", "activation_compte"} <= actions


def test_a_weak_or_mismatched_password_is_refused_in_french(app, admin, smtp):
    _invite(admin)
    link = _activation_link(smtp)
    visitor = app.test_client()
    page = visitor.get(link).get_data(as_text=True)
    short = visitor.post(
        link, data={"csrf_token": csrf_of(page), "password": "court", "confirm": "court"}
    )
    assert short.status_code == 422
    assert "12 caractères" in html.unescape(short.get_data(as_text=True))
    other = visitor.post(
        link,
        data={
            "csrf_token": csrf_of(page),
            "password": "une phrase assez longue",
            "confirm": "autre",
        },
    )
    assert "différentes" in html.unescape(other.get_data(as_text=True))


def test_inviting_an_existing_address_is_refused(app, admin, smtp):
    _invite(admin)
    response = _invite(admin, email="Nouvelle@Exemple.fr")
    assert response.status_code == 422
    assert "existe déjà" in html.unescape(response.get_data(as_text=True))


def test_an_invited_address_is_stored_in_its_normal_form(app, admin, smtp):
    assert _invite(admin, email="  Nouvelle@Exemple.FR\u00a0").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(User.email).where(User.nom == "Nouvelle Personne")) == (
            "nouvelle@exemple.fr"
        )
    assert smtp.messages[-1]["To"] == "nouvelle@exemple.fr"


def test_disabling_an_account_ends_its_open_sessions(app, admin, smtp):
    from tests.staff import make_user

    make_user(app, email="moderatrice@ato.invalid")
    other = app.test_client()
    login(other)
    assert other.get("/admin/").status_code == 200
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "moderatrice@ato.invalid"))
    assert (
        post(admin, f"/admin/utilisateurs/{uid}/desactiver", page="/admin/utilisateurs").status_code
        == 303
    )
    assert other.get("/admin/").status_code == 302
    assert login(app.test_client()).status_code == 401
    post(admin, f"/admin/utilisateurs/{uid}/reactiver", page="/admin/utilisateurs")
    assert login(app.test_client()).status_code == 302


def test_an_administrator_cannot_disable_their_own_account(app, admin):
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == "admin@ato.invalid"))
    post(admin, f"/admin/utilisateurs/{uid}/desactiver", page="/admin/utilisateurs")
    with app.app_context():
        assert db.session.get(User, uid).active
