"""One check on every text field of every form: no invisible control character (a NUL byte
is refused by PostgreSQL and would otherwise be a server error)."""

import html
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import Form, HiddenField, PasswordField, StringField, TextAreaField

from ato.core.forms import FrenchMeta
from ato.core.text import CONTROL_MESSAGE
from ato.extensions import db
from ato.registration.models import Demande, Signalement
from tests.backoffice import decide
from tests.factories import make_requis
from tests.registration.conftest import establishment_data, hidden_value
from tests.staff import csrf_of

NUL = "avant\x00après"


class AnyForm(Form):
    Meta = FrenchMeta
    line = StringField()
    text = TextAreaField()
    secret = PasswordField()
    hidden = HiddenField()


@pytest.mark.parametrize("name", ["line", "text", "secret", "hidden"])
@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f"])
def test_every_text_field_refuses_control_characters(name, character):
    form = AnyForm(MultiDict({name: f"a{character}b"}))
    assert not form.validate()
    assert form.errors == {name: [CONTROL_MESSAGE]}


def test_tabs_and_line_breaks_stay_allowed_where_a_text_may_hold_them():
    assert AnyForm(MultiDict({"text": "une\r\nligne\tpuis une autre"})).validate()


def _page(response):
    return html.unescape(response.get_data(as_text=True))


def _beside_fields(page: str) -> str:
    """The page without its error summary, which repeats each error as a link to its field."""
    summary = re.search(r'<ul class="error-summary-list">.*?</ul>', page, re.S)
    return page.replace(summary.group(0), "") if summary else page


def test_a_nul_byte_in_the_login_address_is_refused_in_french(client):
    page = client.get("/connexion").get_data(as_text=True)
    response = client.post(
        "/connexion",
        data={"csrf_token": csrf_of(page), "email": f"a{NUL}@b.fr", "password": "x" * 12},
    )
    assert response.status_code == 200
    assert CONTROL_MESSAGE in _page(response)


def test_a_nul_byte_in_an_error_report_is_refused_in_french(app, client):
    with app.app_context():
        requis = make_requis(nom="CHU fictif")
        db.session.commit()
        url = f"/requis/{requis.id}/signaler"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"csrf_token": csrf_of(page), "categorie": "autre", "commentaire": NUL}
    )
    assert response.status_code == 422
    # said once beside the field, whatever else checks it, and listed once in the summary
    assert _beside_fields(_page(response)).count(CONTROL_MESSAGE) == 1
    assert _page(response).count(CONTROL_MESSAGE) == 2
    with app.app_context():
        assert db.session.scalars(select(Signalement)).all() == []


def test_a_nul_byte_in_a_service_description_is_refused_beside_the_field(app, client):
    page = client.get("/inscription/etablissement").get_data(as_text=True)
    data = establishment_data(
        csrf_token=hidden_value(page, "csrf_token"),
        idempotency_key=hidden_value(page, "idempotency_key"),
        **{"services-0-description": NUL},
    )
    response = client.post("/inscription/etablissement", data=data)
    assert response.status_code == 422
    assert _beside_fields(_page(response)).count(CONTROL_MESSAGE) == 1  # once, beside the field
    assert _page(response).count(CONTROL_MESSAGE) == 2  # and once in the summary
    with app.app_context():
        assert db.session.scalars(select(Demande)).all() == []


@pytest.mark.parametrize("action", ["refuser", "completer"])
def test_a_nul_byte_in_a_decision_message_changes_nothing(app, staff, submitted, action):
    response = decide(staff, submitted, action, message=NUL)
    assert response.status_code == 302
    assert CONTROL_MESSAGE in _page(staff.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.get(Demande, submitted).statut.value == "recue"
