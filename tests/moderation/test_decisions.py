"""Decisions: state change, audit entry and mail in one commit; the index follows."""

import html

import pytest
from sqlalchemy import select

from ato.core.audit import AuditEntry
from ato.core.models import utcnow
from ato.directory import entries
from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.mail.models import OutboxMessage
from ato.registration.models import Demande, StatutDemande
from tests.backoffice import decide
from tests.staff import login, make_user


def test_publishing_changes_state_audits_mails_and_makes_it_searchable(
    app, client, submitted, smtp
):
    make_user(app)
    login(client)
    assert decide(client, submitted, "publier").status_code == 302
    with app.app_context():
        demande = db.session.get(Demande, submitted)
        assert demande.statut == StatutDemande.PUBLIEE
        assert demande.requis.statut == Statut.PUBLIEE and demande.requis.verified_at
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "publication")
        ).one()
        assert entry.actor_label == "moderatrice@ato.invalid"
        assert entry.changes["statut"] == ["en_attente", "publiee"]
    assert any("publiée" in m["Subject"] for m in smtp.messages)
    assert "fictive" in client.get("/recherche?q=dermato").get_data(as_text=True)
    tracking = [m for m in smtp.messages if m["To"] == "camille@exemple.fr"][0]
    link = [w for w in tracking.get_payload(decode=True).decode().split() if "/suivi/" in w][0]
    assert "Publiée" in client.get(link).get_data(as_text=True)


@pytest.mark.parametrize("action", ["refuser", "completer"])
def test_reject_and_ask_changes_need_a_message(app, client, submitted, action):
    make_user(app)
    login(client)
    decide(client, submitted, action, message="")
    with app.app_context():
        assert db.session.get(Demande, submitted).statut == StatutDemande.RECUE
        assert (
            db.session.scalars(select(AuditEntry).where(AuditEntry.action != "connexion")).all()
            == []
        )


def test_rejection_reason_reaches_the_submitter(app, client, submitted, smtp):
    make_user(app)
    login(client)
    decide(client, submitted, "refuser", message="Ce service ne relève pas de la télé-expertise.")
    with app.app_context():
        demande = db.session.get(Demande, submitted)
        assert demande.statut == StatutDemande.REFUSEE
        assert demande.requis.statut == Statut.REFUSEE
    body = [m for m in smtp.messages if "pas été acceptée" in m["Subject"]][0]
    assert "ne relève pas" in body.get_payload(decode=True).decode()


def test_a_decision_is_committed_even_when_the_mail_server_is_down(app, client, submitted, smtp):
    make_user(app)
    login(client)
    smtp.stop()
    decide(client, submitted, "completer", message="Ajoutez un moyen d'adressage.")
    with app.app_context():
        assert db.session.get(Demande, submitted).statut == StatutDemande.A_COMPLETER
        unsent = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        ).all()
        assert any("compléter" in m.subject for m in unsent)
        assert db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "demande_de_complement")
        ).one()


def test_no_stored_xss_in_queue_review_or_public_pages(app, client, submitted):
    make_user(app)
    login(client)
    for url in ["/admin/", f"/admin/demandes/{submitted}"]:
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;" in page
    decide(client, submitted, "publier")
    with app.app_context():
        rid = db.session.scalars(select(Requis.id)).one()
    public = client.get(f"/requis/{rid}", follow_redirects=True).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in public
    assert "Clinique <script>" in html.unescape(public)


def test_no_stored_xss_in_any_back_office_page(app, client, submitted):
    """Hostile values stored anyway (an old import, a direct edit) are escaped everywhere."""
    from tests.factories import make_requis, make_service

    payload = "<script>alert(2)</script>"
    with app.app_context():
        requis = make_requis(
            nom=f"Fiche {payload}",
            ville=payload,
            contact_email="x@exemple.fr",
            site_web="javascript:alert(3)",
            services=[
                make_service(
                    nom=payload,
                    demandeurs=payload,
                    canaux=(("formulaire", "javascript:alert(4)"),),
                )
            ],
        )
        rid = requis.id
        from ato.core import audit

        audit.log(None, "correction", "requis", rid, {payload: [payload, payload]})
        from ato.registration import services as registration

        registration.report_error(requis, "autre", payload, None)
        db.session.commit()
    make_user(app)
    login(client)
    pages = [
        "/admin/",
        f"/admin/demandes/{submitted}",
        "/admin/fiches",
        f"/admin/fiches/{rid}",
        f"/admin/fiches/{rid}/modifier",
        "/admin/fraicheur",
        "/admin/signalements",
        "/admin/journal",
        f"/requis/{rid}",
        "/recherche?q=fiche",
    ]
    for url in pages:
        page = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert payload not in page, url
        assert 'href="javascript:' not in page, url


def test_javascript_addresses_are_refused_at_submission(app, client):
    from tests.registration.conftest import establishment_data, hidden_value

    html_page = client.get("/inscription/etablissement").get_data(as_text=True)
    data = establishment_data(
        csrf_token=hidden_value(html_page, "csrf_token"),
        idempotency_key=hidden_value(html_page, "idempotency_key"),
        site_web="javascript:alert(1)",
        **{"services-0-canaux-0-adresse": "javascript:alert(1)"},
    )
    response = client.post("/inscription/etablissement", data=data)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(select(Demande)).all() == []


def test_the_queue_shows_counts_and_age_oldest_first(app, client, smtp):
    from datetime import timedelta

    from freezegun import freeze_time

    from ato.core.models import utcnow
    from ato.registration import services as registration
    from tests.factories import make_requis

    now = utcnow()
    with app.test_request_context():
        for days, name in ((1, "Récente fictive"), (12, "Ancienne fictive")):
            requis = make_requis(nom=name)
            with freeze_time(now - timedelta(days=days)):
                registration.propose_update(requis, entries.from_requis(requis), name[:3] * 11)
            db.session.commit()
    make_user(app)
    login(client)
    page = html.unescape(client.get("/admin/").get_data(as_text=True))
    assert "Mises à jour de fiches publiées (2, la plus ancienne attend depuis 12 jours)" in page
    assert page.index("Ancienne fictive") < page.index("Récente fictive")


def test_a_corrected_contact_address_receives_the_decision(app, client, submitted, smtp):
    from tests.forms import form_data

    make_user(app)
    login(client)
    data = form_data(client.get(f"/admin/demandes/{submitted}/modifier").get_data(as_text=True))
    data["contact_email"] = "bonne.adresse@exemple.fr"
    assert client.post(f"/admin/demandes/{submitted}/modifier", data=data).status_code == 303
    decide(client, submitted, "publier")
    assert any(
        m["To"] == "bonne.adresse@exemple.fr" and "publiée" in m["Subject"] for m in smtp.messages
    )


def test_an_update_of_an_archived_entry_is_not_applied(app, client, smtp):
    from ato.registration import services as registration
    from tests.factories import make_requis

    with app.test_request_context():
        requis = make_requis(nom="Archivée fictive")
        payload = entries.from_requis(requis)
        payload["requis"]["ville"] = "Albi"
        demande, _ = registration.propose_update(requis, payload, "a" * 32)
        requis.statut = Statut.ARCHIVEE
        db.session.commit()
        did, rid = demande.id, requis.id
    make_user(app)
    login(client)
    response = decide(client, did, "publier")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Requis, rid).ville == "Toulouse"
        assert db.session.get(Demande, did).statut == StatutDemande.RECUE


@pytest.mark.parametrize(("action", "statut"), [("publier", "publiee"), ("refuser", "refusee")])
def test_the_request_records_who_decided_and_when(app, staff, submitted, action, statut):
    assert decide(staff, submitted, action, message="Hors région.").status_code == 302
    with app.app_context():
        from ato.auth.models import User
        from ato.registration.models import Demande

        demande = db.session.get(Demande, submitted)
        moderator = db.session.scalars(select(User)).one()
        assert demande.statut.value == statut
        assert demande.decided_by_id == moderator.id
        assert (utcnow() - demande.decided_at).total_seconds() < 60


def test_asking_for_more_leaves_the_request_undecided(app, staff, submitted):
    decide(staff, submitted, "completer", message="Ajoutez le FINESS.")
    with app.app_context():
        from ato.registration.models import Demande

        demande = db.session.get(Demande, submitted)
        assert (demande.decided_by_id, demande.decided_at) == (None, None)


def test_the_database_refuses_a_decision_without_a_date(app, submitted):
    from sqlalchemy.exc import IntegrityError

    from ato.registration.models import Demande, StatutDemande

    with app.app_context():
        demande = db.session.get(Demande, submitted)
        demande.statut = StatutDemande.PUBLIEE
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_programming_error_is_a_server_error_not_a_polite_message(
    app, staff, submitted, monkeypatch
):
    """Only DomainError becomes a message; a ValueError from a bug must surface (500)."""
    from ato.moderation import services

    def broken(*args, **kwargs):
        raise ValueError("bug")

    monkeypatch.setattr(services, "publish", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = decide(staff, submitted, "publier")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
