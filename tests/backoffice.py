"""Back-office fixtures shared by the staff features: a submission in the queue, staff clients."""

import pytest
from sqlalchemy import select

from ato.core.access import Role
from ato.extensions import db
from ato.registration.models import Demande
from tests.registration.conftest import establishment_data, hidden_value
from tests.staff import csrf_of, login, make_user


@pytest.fixture
def submitted(app, client, smtp):
    html_page = client.get("/inscription/etablissement").get_data(as_text=True)
    data = establishment_data(
        csrf_token=hidden_value(html_page, "csrf_token"),
        idempotency_key=hidden_value(html_page, "idempotency_key"),
        nom="Clinique <script>alert(1)</script> fictive",
    )
    response = client.post("/inscription/etablissement", data=data)
    assert response.status_code == 303
    with app.app_context():
        return db.session.scalars(select(Demande)).one().id


def decide(client, demande_id, action, message=""):
    page = client.get(f"/admin/demandes/{demande_id}").get_data(as_text=True)
    return client.post(
        f"/admin/demandes/{demande_id}/{action}",
        data={"csrf_token": csrf_of(page), "message": message},
    )


@pytest.fixture
def staff(app, client):
    """A moderator's logged-in client."""
    make_user(app)
    login(client)
    return client


@pytest.fixture
def admin(app, client):
    """An administrator's logged-in client."""
    make_user(app, email="admin@ato.invalid", role=Role.ADMINISTRATEUR)
    login(client, email="admin@ato.invalid")
    return client


def post(client, url, data=None, page="/admin/"):
    """POST as a form of the back office would (with the CSRF token of a page)."""
    token = csrf_of(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})
