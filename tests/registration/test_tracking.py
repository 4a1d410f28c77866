"""The tracking page tells the submitter what they sent, where it stands and what comes next."""

import html
import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from ato.core.models import utcnow
from ato.extensions import db
from ato.registration import services
from ato.registration.models import Demande, StatutDemande
from tests.factories import DemandeFactory
from tests.registration.conftest import establishment_data, hidden_value


def submit(client, form_page, **overrides) -> str:
    _, csrf, key = form_page()
    data = establishment_data(csrf_token=csrf, idempotency_key=key, **overrides)
    response = client.post("/inscription/etablissement", data=data)
    assert response.status_code == 303
    return response.headers["Location"].split("?")[0]


def text_of(client, url) -> str:
    """The page's text as read, tags taken out (a term and its definition: "FINESS 310781406")."""
    page = client.get(url).get_data(as_text=True)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def decided(now, hours_to_decision, days_ago=1, statut=StatutDemande.PUBLIEE):
    """A request decided ``days_ago`` days before ``now``, ``hours_to_decision`` after it came."""
    decided_at = now - timedelta(days=days_ago)
    return DemandeFactory(
        statut=statut,
        created_at=decided_at - timedelta(hours=hours_to_decision),
        decided_at=decided_at,
        message="Hors champ." if statut == StatutDemande.REFUSEE else None,
    )


def test_the_page_shows_what_was_sent_in_words(client, form_page, smtp):
    page = text_of(client, submit(client, form_page))
    assert "Ce que vous avez envoyé" in page
    assert "Centre hospitalier fictif de Test" in page
    assert "FINESS 310781406" in page
    assert "Service 1 : Télédermatologie" in page
    assert "Spécialité Dermatologie" in page
    assert "Demandes acceptées de Haute-Garonne (31) et Gers (32)" in page
    assert "TéléO : https://teleo.exemple.fr/demande/dermato" in page
    assert "dermato@ch-fictif.mssante.fr" in page
    assert "Délai de réponse annoncé sous 48 h" in page


def test_the_page_shows_when_it_was_sent_completed_and_decided(app, client, form_page, smtp):
    with freeze_time("2026-03-02 09:30:00"):
        url = submit(client, form_page)
    page = text_of(client, url)
    assert "Envoyée le 2 mars 2026 à 10:30" in page
    assert "renvoyée" not in page and "Décision le" not in page
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        demande.statut, demande.message = StatutDemande.A_COMPLETER, "Précisez le délai."
        db.session.commit()
    with freeze_time("2026-03-05 14:00:00"):
        form = client.get(url).get_data(as_text=True)
        data = establishment_data(
            csrf_token=hidden_value(form, "csrf_token"),
            idempotency_key=hidden_value(form, "idempotency_key"),
        )
        assert client.post(url, data=data).status_code == 303
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        demande.statut, demande.decided_at = StatutDemande.REFUSEE, utcnow()
        demande.message = "Ce recours n'est pas en Occitanie."
        db.session.commit()
    page = text_of(client, url)
    assert "Complétée et renvoyée le 5 mars 2026 à 15:00" in page
    assert "Décision le " in page
    assert "La demande a été refusée" in page and "Ce recours n'est pas en Occitanie." in page


def test_an_open_request_says_what_comes_next_and_when(app, client, form_page, smtp):
    with app.app_context():
        now = utcnow()
        for hours in (10, 20, 30, 40, 50):
            decided(now, hours)
        DemandeFactory(created_at=now - timedelta(days=2))  # before ours in the queue
        db.session.commit()
    page = text_of(client, submit(client, form_page))
    assert "Et maintenant ?" in page
    assert "1 demande attend avant la vôtre." in page
    assert "Délai habituel entre l'envoi et la décision : environ 1 jour" in page
    assert "médiane des 5 demandes traitées ces 90 derniers jours" in page


def test_with_too_few_decisions_the_page_makes_no_estimate(app, client, form_page, smtp):
    with app.app_context():
        now = utcnow()
        for hours in (10, 20, 30, 40):
            decided(now, hours)
        db.session.commit()
    page = text_of(client, submit(client, form_page))
    assert "pas encore assez de demandes traitées pour estimer" in page
    assert "Aucune demande n'attend avant la vôtre." in page


def test_the_staff_message_is_shown_when_there_is_one(app, client, form_page, smtp):
    url = submit(client, form_page)
    assert "Message de l'équipe" not in text_of(client, url)
    with app.app_context():
        demande = db.session.scalars(select(Demande)).one()
        demande.statut = StatutDemande.PUBLIEE
        demande.decided_at = utcnow()
        demande.message = "Publiée avec le délai corrigé."
        db.session.commit()
    page = text_of(client, url)
    assert "Message de l'équipe de l'annuaire Publiée avec le délai corrigé." in page


def test_the_estimate_is_the_median_of_the_decisions_of_the_last_90_days(app):
    with app.app_context():
        now = utcnow()
        for hours in (24, 48, 72, 96, 120):
            decided(now, hours)
        decided(now, 1000, days_ago=91)  # too old to count
        decided(now, 2, statut=StatutDemande.REFUSEE)  # a refusal is a decision too
        mine = DemandeFactory(created_at=now - timedelta(hours=5))
        DemandeFactory(created_at=now - timedelta(hours=6), statut=StatutDemande.EN_COURS)
        DemandeFactory(created_at=now - timedelta(hours=7), statut=StatutDemande.RECUE)
        DemandeFactory(created_at=now - timedelta(hours=1))  # after mine
        DemandeFactory(
            created_at=now - timedelta(hours=8),
            statut=StatutDemande.A_COMPLETER,
            message="À compléter.",
        )  # waiting for its submitter, not for the team
        db.session.flush()
        estimate = services.estimate(mine, now=now)
        db.session.rollback()
    assert estimate.decided == 6
    assert estimate.median == timedelta(hours=60)
    assert estimate.ahead == 2
    assert estimate.typical == "environ 3 jours"


def test_staff_revisions_are_not_counted_as_requests(app):
    from tests.staff import UserFactory

    with app.app_context():
        now = utcnow()
        staff = UserFactory()
        for _ in range(5):
            revision = decided(now, 0)
            revision.auteur_id = staff.id
        mine = DemandeFactory()
        db.session.flush()
        estimate = services.estimate(mine, now=now)
        db.session.rollback()
    assert estimate.decided == 0 and estimate.median is None


@pytest.mark.parametrize(
    ("hours", "words"),
    [(0.2, "environ 1 h"), (5, "environ 5 h"), (30, "environ 1 jour"), (80, "environ 3 jours")],
)
def test_a_typical_wait_is_said_in_words(hours, words):
    assert services.duration_words(timedelta(hours=hours)) == words


@pytest.mark.parametrize(
    ("complete", "sentence"),
    [(False, "est bien enregistrée"), (True, "complétée, est bien reçue")],
)
def test_the_acknowledgement_keeps_its_paragraphs(app, client, form_page, smtp, complete, sentence):
    url = submit(client, form_page)
    if complete:
        with app.app_context():
            demande = db.session.scalars(select(Demande)).one()
            demande.statut, demande.message = StatutDemande.A_COMPLETER, "Précisez."
            db.session.commit()
        form = client.get(url).get_data(as_text=True)
        data = establishment_data(
            csrf_token=hidden_value(form, "csrf_token"),
            idempotency_key=hidden_value(form, "idempotency_key"),
        )
        assert client.post(url, data=data).status_code == 303
    ack = [m for m in smtp.messages if m["To"] == "camille@exemple.fr"][-1]
    body = ack.get_payload(decode=True).decode().replace("\r\n", "\n")
    paragraph = next(p for p in body.split("\n\n") if sentence in p)
    assert paragraph.startswith("Votre demande n°") and paragraph.endswith(".")
    assert "\n\nL'équipe de l'annuaire va l'examiner." in body
