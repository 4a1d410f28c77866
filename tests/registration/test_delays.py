"""The registration form takes a response time as people write it."""

import html
import re

import pytest
from sqlalchemy import select

from ato.extensions import db
from ato.registration.models import Demande, StatutDemande
from tests.registration.test_views import post_form


def test_the_delay_is_a_text_field_with_examples(client, form_page):
    page, _, _ = form_page("etablissement")
    field = re.search(r"<input[^>]*id=\"services-0-delai\"[^>]*>", page)
    assert field and 'type="text"' in field.group(0)
    assert '<select id="services-0-delai"' not in page
    assert "ex. : 30 min, 48 h, 5 jours, 1 semaine" in html.unescape(page)


@pytest.mark.parametrize(
    ("typed", "minutes"), [("30 min", 30), ("1 h 30", 90), ("5 jours", 7200), ("", None)]
)
def test_a_delay_in_any_unit_is_stored_in_minutes(app, client, form_page, typed, minutes):
    response, _ = post_form(client, form_page, **{"services-0-delai": typed})
    assert response.status_code == 303
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        assert demande.payload["services"][0]["delai_minutes"] == minutes
        assert demande.requis.services[0].delai_reponse_minutes == minutes


def test_an_unreadable_delay_is_said_in_french_beside_the_field_and_kept(client, form_page):
    response, _ = post_form(client, form_page, **{"services-0-delai": "dès que possible"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    errors = page.split('id="services-0-delai-erreurs"')[1].split("</ul>")[0]
    assert "« dès que possible » n'est pas un délai reconnu" in errors
    assert 'value="dès que possible"' in page


def test_a_request_shown_again_says_its_delay_as_people_say_it(app, client, form_page):
    response, _ = post_form(client, form_page, **{"services-0-delai": "90 minutes"})
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        demande.statut, demande.message = StatutDemande.A_COMPLETER, "Précisez le délai."
        db.session.commit()
    page = client.get(response.headers["Location"].split("?")[0]).get_data(as_text=True)
    assert 'value="1 h 30"' in page
