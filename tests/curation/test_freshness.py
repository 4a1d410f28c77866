"""Freshness: the dashboard's classes, the récence rate and confirmation campaigns."""

import html
import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from ato.core.audit import AuditEntry
from ato.core.models import utcnow
from ato.curation import services
from ato.directory.models import Requis
from ato.extensions import db
from ato.registration.models import ConfirmationLink
from tests.backoffice import post
from tests.factories import make_requis


def _links(smtp, kind="confirmation"):
    found = []
    for message in smtp.messages:
        body = message.get_payload(decode=True).decode()
        found += re.findall(rf"https?://\S+/{kind}/[\w-]+(?:/mise-a-jour)?", body)
    return found


def test_entries_are_classed_by_last_verification(app):
    now = utcnow()
    with app.app_context():
        make_requis(nom="Jamais", verified_at=None)
        make_requis(nom="Périmée", verified_at=now - timedelta(days=400))
        make_requis(nom="Échéance", verified_at=now - timedelta(days=300))
        make_requis(nom="À jour", verified_at=now - timedelta(days=30))
        make_requis(nom="En attente", statut="en_attente", verified_at=None)
        groups = services.freshness(now)
        assert {f.value: [r.nom for r in rs] for f, rs in groups.items()} == {
            "jamais": ["Jamais"],
            "perimee": ["Périmée"],
            "a_echeance": ["Échéance"],
        }


def test_dashboard_shows_the_recence_rate(app, staff):
    now = utcnow()
    with app.app_context():
        make_requis(verified_at=now)
        make_requis(verified_at=now - timedelta(days=400))
        make_requis(verified_at=None)
        make_requis(verified_at=now - timedelta(days=10))
    page = html.unescape(staff.get("/admin/fraicheur").get_data(as_text=True))
    text = re.sub(r"<[^>]+>", "", page).replace("\u202f", " ").replace("\xa0", " ")
    assert "Taux de récence : 50 %" in text
    assert "2 fiches publiées sur 4 vérifiées" in text


def _campaign(app, staff, smtp, **fields):
    with app.app_context():
        requis = make_requis(
            nom="CHU fictif",
            contact_email="contact@chu-fictif.fr",
            verified_at=utcnow() - timedelta(days=400),
            **fields,
        )
        rid = requis.id
    response = post(staff, "/admin/fraicheur/campagne", {"requis": [str(rid)]}, "/admin/fraicheur")
    assert response.status_code == 303
    return rid


def test_a_campaign_mails_the_registered_contact_and_is_audited(app, staff, smtp):
    rid = _campaign(app, staff, smtp)
    (message,) = [m for m in smtp.messages if m["To"] == "contact@chu-fictif.fr"]
    assert "toujours exacte" in message["Subject"]
    assert len(_links(smtp)) == 2  # confirm, and update
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "campagne_confirmation")
        ).one()
        assert entry.object_id == rid


def test_the_confirmation_link_sets_verified_at_once_and_only_once(app, staff, smtp, client):
    rid = _campaign(app, staff, smtp)
    confirm = [link for link in _links(smtp) if not link.endswith("/mise-a-jour")][0]
    visitor = app.test_client()
    page = visitor.get(confirm)
    assert page.status_code == 200
    with app.app_context():
        before = db.session.get(Requis, rid).verified_at
    assert "Ma fiche est toujours exacte" in page.get_data(as_text=True)
    # Opening the link (as a mail scanner does) confirms nothing.
    with app.app_context():
        assert db.session.get(Requis, rid).verified_at == before
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = visitor.post(confirm, data={"csrf_token": token})
    assert done.status_code == 303
    assert "Merci" in visitor.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        after = db.session.get(Requis, rid).verified_at
        assert after > before
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "confirmation")
        ).one()
        assert entry.actor_label == "contact de la fiche (contact@chu-fictif.fr)"
    again = visitor.post(confirm, data={"csrf_token": token})
    assert "déjà été utilisé" in html.unescape(again.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Requis, rid).verified_at == after


def test_a_confirmation_link_expires(app, staff, smtp):
    rid = _campaign(app, staff, smtp)
    confirm = [link for link in _links(smtp) if not link.endswith("/mise-a-jour")][0]
    with freeze_time(utcnow() + timedelta(days=31)):
        visitor = app.test_client()
        response = visitor.get(confirm)
        assert response.status_code == 404
        assert "expiré" in html.unescape(response.get_data(as_text=True))
        assert visitor.get(confirm + "/mise-a-jour").status_code == 404
    with app.app_context():
        assert db.session.get(Requis, rid).verified_at < utcnow() - timedelta(days=300)


def test_the_update_link_opens_the_revision_form(app, staff, smtp):
    _campaign(app, staff, smtp)
    update = [link for link in _links(smtp) if link.endswith("/mise-a-jour")][0]
    response = app.test_client().get(update, follow_redirects=True)
    assert response.status_code == 200
    assert 'value="CHU fictif"' in response.get_data(as_text=True)


def test_a_new_campaign_replaces_unused_links(app, staff, smtp):
    rid = _campaign(app, staff, smtp)
    first = [link for link in _links(smtp) if not link.endswith("/mise-a-jour")][0]
    post(staff, "/admin/fraicheur/campagne", {"requis": [str(rid)]}, "/admin/fraicheur")
    assert app.test_client().get(first).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ConfirmationLink)).one().used_at is None


def test_entries_without_contact_address_are_skipped_and_named(app, staff, smtp):
    with app.app_context():
        rid = make_requis(nom="Sans courriel fictif", contact_email=None).id
    response = post(staff, "/admin/fraicheur/campagne", {"requis": [str(rid)]}, "/admin/fraicheur")
    page = html.unescape(staff.get(response.headers["Location"]).get_data(as_text=True))
    assert "0 demande de confirmation envoyée." in page
    assert "Sans courriel fictif" in page
    assert smtp.messages == []


def test_unknown_confirmation_tokens_are_refused(client):
    assert client.get("/confirmation/nimporte-quoi").status_code == 404
    assert client.get("/confirmation/" + "x" * 500).status_code == 404
    assert client.post("/confirmation/nimporte-quoi").status_code in (400, 404)


def test_a_used_confirmation_link_mints_no_update_link(app, staff, smtp):
    _campaign(app, staff, smtp)
    confirm = [link for link in _links(smtp) if not link.endswith("/mise-a-jour")][0]
    visitor = app.test_client()
    assert visitor.get(confirm + "/mise-a-jour").status_code == 303  # unused: opens the form
    page = visitor.get(confirm).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert visitor.post(confirm, data={"csrf_token": token}).status_code == 303
    assert visitor.get(confirm + "/mise-a-jour").status_code == 404  # used: nothing more
