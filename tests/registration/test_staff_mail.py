"""The mail that tells staff a request waits: its kind in words, its number, a link to review it."""

import re

from sqlalchemy import select

from ato.directory import entries
from ato.extensions import db
from ato.mail.services import deliver_due
from ato.registration import services as registration
from ato.registration.models import Demande
from tests.factories import make_requis
from tests.registration.test_views import post_form


def _staff_mail(app, smtp):
    (mail,) = [m for m in smtp.messages if m["To"] == app.config["ATO_STAFF_EMAIL"]]
    return mail["Subject"], mail.get_payload(decode=True).decode()


def test_the_staff_mail_names_the_kind_the_number_and_links_the_review(
    app, client, form_page, smtp
):
    assert post_form(client, form_page)[0].status_code == 303
    with app.app_context():
        did = db.session.scalars(select(Demande.id)).one()
    subject, body = _staff_mail(app, smtp)
    assert f"n° {did}" in subject and "inscription" in subject
    assert "Type : Établissement de santé" in body
    assert f"Demande n° {did}" in body
    assert re.search(rf"^https?://[^/\s]+/admin/demandes/{did}\r?$", body, re.M)  # absolute
    assert "Haute-Garonne (31)" in body
    assert "etablissement" not in body


def test_the_staff_mail_of_a_revision_says_it_is_an_update(app, smtp):
    with app.test_request_context():
        requis = make_requis(nom="CHU fictif", contact_email="contact@chu-fictif.fr")
        demande, _ = registration.propose_update(requis, entries.from_requis(requis), "m" * 32)
        db.session.commit()
        did = demande.id
        deliver_due()
    subject, body = _staff_mail(app, smtp)
    assert "mise à jour" in subject and f"n° {did}" in subject
    assert f"Demande n° {did} (mise à jour)" in body and f"/admin/demandes/{did}" in body
