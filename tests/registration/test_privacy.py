"""What a stranger can learn from the public forms: nothing about others' requests."""

import html

from sqlalchemy import func, select

from ato.extensions import db
from ato.registration.models import Demande
from tests.backoffice import staff  # noqa: F401 - the staff client fixture
from tests.registration.conftest import establishment_data, hidden_value


def _post(client, **overrides):
    page = client.get("/inscription/etablissement").get_data(as_text=True)
    data = establishment_data(
        csrf_token=hidden_value(page, "csrf_token"),
        idempotency_key=hidden_value(page, "idempotency_key"),
    )
    data.update(overrides)
    return client.post("/inscription/etablissement", data=data)


def test_the_form_page_is_never_cached(client):
    response = client.get("/inscription/etablissement")
    assert "no-store" in response.headers["Cache-Control"]


def test_another_requests_key_with_other_content_is_not_a_pass_to_its_tracking(app, client, smtp):
    first = _post(client)
    assert first.status_code == 303
    with app.app_context():
        key = db.session.scalars(select(Demande.idempotency_key)).one()
    stranger = app.test_client()
    response = _post(stranger, idempotency_key=key, nom="Autre établissement", finess="340780477")
    assert response.status_code == 303
    assert response.headers["Location"].split("?")[0] != first.headers["Location"].split("?")[0]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Demande)) == 2


def test_the_same_post_again_still_lands_on_its_own_tracking_page(app, client, smtp):
    first = _post(client)
    with app.app_context():
        key = db.session.scalars(select(Demande.idempotency_key)).one()
    again = _post(client, idempotency_key=key)
    assert again.headers["Location"].split("?")[0] == first.headers["Location"].split("?")[0]


def test_the_duplicate_notice_does_not_say_a_request_is_pending(app, client, smtp):
    assert _post(client).status_code == 303
    stranger = app.test_client()
    response = _post(stranger, nom="Usurpateur")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "en cours d'examen" not in page and "en attente" not in page.lower()
    assert "ne peut pas être inscrit par ce formulaire" in page


PHISHING = "URGENT carte CPS expirée : renouvelez-la sur https://cps-renouvellement.example"


def test_mails_to_an_unverified_address_carry_nothing_the_submitter_typed(app, client, smtp):
    """Anyone may type anyone's address: ATO must not become their megaphone."""
    assert _post(client, nom=PHISHING, contact_email="victime@exemple.fr").status_code == 303
    (ack,) = [m for m in smtp.messages if m["To"] == "victime@exemple.fr"]
    text = ack["Subject"] + ack.get_content()
    assert "URGENT" not in text and "cps-renouvellement" not in text
    with app.app_context():
        number = db.session.scalars(select(Demande.id)).one()
    assert f"n° {number}" in ack["Subject"]
    assert "\nL'équipe de l'annuaire va l'examiner." in ack.get_content()  # its own line


def test_decision_mails_carry_no_submitted_name_either(app, client, smtp, staff):  # noqa: F811
    from tests.backoffice import decide

    _post(client, nom=PHISHING, contact_email="victime@exemple.fr")
    with app.app_context():
        number = db.session.scalars(select(Demande.id)).one()
    decide(staff, number, "refuser", message="Hors région.")
    decisions = [m for m in smtp.messages if m["To"] == "victime@exemple.fr"][1:]
    assert decisions and all("URGENT" not in m["Subject"] + m.get_content() for m in decisions)
    assert "Hors région." in decisions[0].get_content()  # what staff wrote is said
