"""Staff sessions end on the server: a copied cookie opens nothing once its session is over."""

from sqlalchemy import select

from ato.auth import services
from ato.auth.models import StaffSession, User
from ato.extensions import db
from tests.staff import csrf_of, login, make_user


def _copy_cookies(source, target):
    """What someone who copied the browser's cookies (a shared post, malware) would hold."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _logged_in_twice(app):
    make_user(app)
    first, stolen = app.test_client(), app.test_client()
    login(first)
    _copy_cookies(first, stolen)
    assert stolen.get("/admin/").status_code == 200  # the copy works while the session lives
    return first, stolen


def _post(client, url):
    token = csrf_of(client.get("/admin/").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token})


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(app):
    first, stolen = _logged_in_twice(app)
    assert _post(first, "/deconnexion").status_code == 302
    response = stolen.get("/admin/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_logging_out_on_one_browser_leaves_the_others_open(app):
    first, _ = _logged_in_twice(app)
    other = app.test_client()
    login(other)
    _post(first, "/deconnexion")
    assert other.get("/admin/").status_code == 200


def test_logging_out_everywhere_ends_every_session_of_the_account(app):
    first, stolen = _logged_in_twice(app)
    other = app.test_client()
    login(other)
    response = _post(first, "/deconnexion/partout")
    assert response.status_code == 302
    for client in (first, stolen, other):
        assert client.get("/admin/").status_code == 302
    with app.app_context():
        assert all(s.revoked_at for s in db.session.scalars(select(StaffSession)))


def test_disabling_an_account_or_changing_its_password_ends_its_sessions(app):
    for change in (
        lambda user: services.set_active(user, False),
        lambda user: services.set_password(user, "une-autre-phrase-de-passe-longue"),
    ):
        first, stolen = _logged_in_twice(app)
        with app.app_context():
            user = db.session.scalars(select(User)).one()
            change(user)
            db.session.commit()
        assert stolen.get("/admin/").status_code == 302
        with app.app_context():
            db.session.execute(db.delete(StaffSession))
            db.session.execute(db.delete(User))
            db.session.commit()


def test_only_a_hash_of_the_session_token_is_stored(app):
    first, _ = _logged_in_twice(app)
    with first.session_transaction() as flask_session:
        token = flask_session["staff_session"]
    with app.app_context():
        (row,) = db.session.scalars(select(StaffSession)).all()
        assert row.token_hash != token and len(row.token_hash) == 64
