"""The retention the legal notice states is applied by ``flask ato purge``, and deleting an
entry erases who its contact was from the journal (what happened stays)."""

import json
from datetime import timedelta

from sqlalchemy import func, select

from ato.auth.models import LoginAttempt
from ato.core import audit
from ato.core.audit import Action, AuditEntry, Subject
from ato.core.models import utcnow
from ato.curation import services
from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.mail.models import OutboxMessage
from ato.registration.models import Demande
from ato.search.models import SearchMiss
from tests.factories import make_requis

CONTACT = "camille.contact@chu-fictif.fr"
YEAR = timedelta(days=366)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _journal_text() -> str:
    return " ".join(
        json.dumps(e.changes, ensure_ascii=False) + e.actor_label
        for e in db.session.scalars(select(AuditEntry))
    )


def test_withdrawn_entries_are_kept_a_year_then_erased(app_ctx):
    now = utcnow()
    old = make_requis(nom="Archivée il y a longtemps", statut="archivee", contact_email=CONTACT)
    recent = make_requis(nom="Archivée hier", statut="archivee")
    live = make_requis(nom="Publiée")
    db.session.flush()
    audit.log(
        None, Action.CAMPAGNE_CONFIRMATION, Subject.REQUIS, old.id, {"envoi": [None, CONTACT]}
    )
    old.updated_at = now - YEAR
    db.session.commit()
    done = services.purge(now)
    db.session.commit()
    names = set(db.session.scalars(select(Requis.nom)))
    assert names == {"Archivée hier", "Publiée"}
    assert done["fiches"] == 1
    assert CONTACT not in _journal_text() and audit.FORGOTTEN in _journal_text()
    assert recent.statut == Statut.ARCHIVEE and live.statut == Statut.PUBLIEE


def test_logs_mails_and_misses_go_after_their_own_periods(app_ctx):
    now = utcnow()
    db.session.add_all(
        [
            LoginAttempt(
                email="a@b.fr", ip="1", success=False, created_at=now - timedelta(days=91)
            ),
            LoginAttempt(email="a@b.fr", ip="1", success=False, created_at=now - timedelta(days=1)),
            OutboxMessage(
                message_id="<1@t>",
                recipient="x@y.fr",
                subject="s",
                body="lien secret",
                sent_at=now - timedelta(days=31),
            ),
            OutboxMessage(
                message_id="<2@t>",
                recipient="x@y.fr",
                subject="s",
                body="b",
                sent_at=now - timedelta(days=2),
            ),
            SearchMiss(terms="vieux", filters="", count=1, first_at=now - YEAR, last_at=now - YEAR),
            SearchMiss(terms="récent", filters="", count=1, first_at=now, last_at=now),
        ]
    )
    db.session.commit()
    done = services.purge(now)
    db.session.commit()
    assert (_count(LoginAttempt), _count(OutboxMessage), _count(SearchMiss)) == (1, 1, 1)
    assert (done["connexions"], done["courriels"], done["recherches"]) == (1, 1, 1)


def test_a_refused_request_goes_after_a_year_with_its_pending_entry(app, client, smtp, staff):
    from tests.backoffice import decide
    from tests.registration.conftest import establishment_data, hidden_value

    page = client.get("/inscription/etablissement").get_data(as_text=True)
    data = establishment_data(
        csrf_token=hidden_value(page, "csrf_token"),
        idempotency_key=hidden_value(page, "idempotency_key"),
        contact_email=CONTACT,
    )
    assert client.post("/inscription/etablissement", data=data).status_code == 303
    with app.app_context():
        number = db.session.scalars(select(Demande.id)).one()
    decide(staff, number, "refuser", message="Hors région.")
    with app.app_context():
        assert services.purge(utcnow() + timedelta(days=30))["fiches"] == 0  # not yet
        done = services.purge(utcnow() + YEAR)
        db.session.commit()
        assert done["fiches"] == 1
        assert (_count(Demande), _count(Requis)) == (0, 0)
        assert CONTACT not in _journal_text()
        refusal = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == Action.REFUS)
        ).one()
        assert refusal.changes["motif"] == [None, "Hors région."]  # what happened stays


def test_the_purge_command_says_what_it_deleted(runner):
    result = runner.invoke(args=["ato", "purge"])
    assert result.exit_code == 0 and "fiches : 0" in result.output


def test_deleting_an_entry_erases_its_contact_from_the_journal(app, admin):
    from tests.backoffice import post

    with app.app_context():
        requis = make_requis(
            nom="À supprimer", contact_email=CONTACT, contact_nom="Camille Contact"
        )
        audit.log(
            None, Action.VERIFICATION, Subject.REQUIS, requis.id, {"contact": [None, CONTACT]}
        )
        db.session.commit()
        rid = requis.id
    response = post(admin, f"/admin/fiches/{rid}/supprimer", page=f"/admin/fiches/{rid}")
    assert response.status_code == 303
    with app.app_context():
        text = _journal_text()
        assert CONTACT not in text and "Camille Contact" not in text
        deletion = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == Action.SUPPRESSION)
        ).one()
        assert deletion.changes["fiche"][0]["requis"]["nom"] == "À supprimer"  # what was deleted


def test_the_purge_drops_superseded_history_but_keeps_each_entrys_last_change(app_ctx):
    from ato.directory import changes
    from ato.directory.models import DirectoryChange

    requis = make_requis()
    db.session.commit()
    requis.ville = "Albi"
    db.session.commit()
    done = services.purge(now=utcnow() + changes.KEEP + timedelta(days=1))
    assert done["historique"] > 0
    rows = db.session.scalars(
        select(DirectoryChange).where(DirectoryChange.requis_id == requis.id)
    ).all()
    assert len(rows) == 1 and [c.requis_id for c in changes.since(None)] == [requis.id]
