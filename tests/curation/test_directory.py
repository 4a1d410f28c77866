"""Staff keep the directory true: corrections, revisions, availability, archive, delete."""

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ato.core.audit import AuditEntry
from ato.core.models import utcnow
from ato.directory import entries
from ato.directory.models import Requis, Service, Statut
from ato.extensions import db
from ato.moderation import services as moderation
from ato.registration import services as registration
from ato.registration.models import Demande, StatutDemande
from ato.web import date_fr
from tests.backoffice import decide, post
from tests.factories import make_requis, make_service
from tests.forms import form_data


def _audit(action):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_correcting_a_pending_submission_never_publishes_it(app, staff, submitted):
    page = staff.get(f"/admin/demandes/{submitted}/modifier").get_data(as_text=True)
    data = form_data(page)
    assert "consentement" not in data  # staff do not consent for the requis
    data["nom"] = "Clinique corrigée fictive"
    response = staff.post(f"/admin/demandes/{submitted}/modifier", data=data)
    assert response.status_code == 303
    with app.app_context():
        demande = db.session.get(Demande, submitted)
        assert demande.statut == StatutDemande.RECUE
        assert demande.payload["requis"]["nom"] == "Clinique corrigée fictive"
        assert demande.requis.statut == Statut.EN_ATTENTE
        assert demande.requis.nom == "Clinique corrigée fictive"
        (entry,) = _audit("correction")
        assert list(entry.changes) == ["requis.nom"]
        assert entry.changes["requis.nom"][1] == "Clinique corrigée fictive"
        rid = demande.requis_id
    assert staff.get(f"/requis/{rid}").status_code == 404
    assert "corrigée" not in staff.get("/recherche?q=clinique").get_data(as_text=True)


def test_a_correction_with_errors_keeps_everything_typed(app, staff, submitted):
    page = staff.get(f"/admin/demandes/{submitted}/modifier").get_data(as_text=True)
    data = form_data(page)
    data.update(nom="Nom gardé", finess="123")
    response = staff.post(f"/admin/demandes/{submitted}/modifier", data=data)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'value="Nom gardé"' in body
    with app.app_context():
        assert db.session.get(Demande, submitted).payload["requis"]["nom"] != "Nom gardé"


def test_a_revision_replaces_the_published_version_only_on_approval(app, staff, smtp):
    with app.test_request_context():
        requis = make_requis(nom="CHU fictif", contact_email="contact@chu-fictif.fr")
        rid = requis.id
        payload = entries.from_requis(requis)
        payload["requis"]["telephone"] = "05 61 99 99 99"
        payload["services"][0]["delai_minutes"] = 30
        demande, _ = registration.propose_update(requis, payload, "k" * 32)
        db.session.commit()
        did = demande.id
        assert db.session.get(Requis, rid).telephone is None
        assert set(moderation.diff(db.session.get(Demande, did))) == {
            "requis.telephone",
            "service 1.delai_minutes",
        }
    review = html.unescape(staff.get(f"/admin/demandes/{did}").get_data(as_text=True))
    assert "2 champs modifiés" in review
    for field in ("Téléphone (standard)", "Délai de réponse annoncé"):
        assert f'{field} <span class="diff-marker">modifié</span>' in review
    assert "<ins>05 61 99 99 99</ins>" in review and "<ins>sous 30 min</ins>" in review
    assert decide(staff, did, "publier").status_code == 302
    with app.app_context():
        published = db.session.get(Requis, rid)
        assert published.telephone == "05 61 99 99 99"
        assert published.services[0].delai_reponse_minutes == 30
        (entry,) = _audit("publication")
        assert entry.changes["requis.telephone"] == [None, "05 61 99 99 99"]


def test_staff_edit_of_a_published_entry_is_applied_and_recorded_as_a_revision(app, staff):
    with app.app_context():
        rid = make_requis(
            nom="CHU fictif", contact_nom="Camille Exemple", contact_email="contact@chu-fictif.fr"
        ).id
    page = staff.get(f"/admin/fiches/{rid}/modifier").get_data(as_text=True)
    data = form_data(page)
    data["ville"] = "Montauban"
    response = staff.post(f"/admin/fiches/{rid}/modifier", data=data)
    assert response.status_code == 303
    with app.app_context():
        requis = db.session.get(Requis, rid)
        assert requis.ville == "Montauban" and requis.statut == Statut.PUBLIEE
        revision = db.session.scalars(select(Demande).where(Demande.requis_id == rid)).one()
        assert revision.statut == StatutDemande.PUBLIEE and revision.auteur_id is not None
        (entry,) = _audit("modification_equipe")
        assert entry.changes == {"requis.ville": ["Toulouse", "Montauban"]}
    assert "Montauban" in staff.get("/recherche?q=chu").get_data(as_text=True)


def test_archiving_unpublishes_and_republishing_restores(app, staff):
    with app.app_context():
        rid = make_requis(nom="Centre archivable fictif").id
    assert post(staff, f"/admin/fiches/{rid}/archiver").status_code == 303
    assert staff.get(f"/requis/{rid}").status_code == 404
    assert "Centre archivable" not in staff.get("/recherche?q=archivable").get_data(as_text=True)
    assert post(staff, f"/admin/fiches/{rid}/republier").status_code == 303
    assert staff.get(f"/requis/{rid}", follow_redirects=True).status_code == 200
    assert "Centre archivable" in staff.get("/recherche?q=archivable").get_data(as_text=True)
    with app.app_context():
        assert [e.changes["statut"] for e in _audit("archivage") + _audit("republication")] == [
            ["publiee", "archivee"],
            ["archivee", "publiee"],
        ]


def test_moderators_cannot_delete_but_administrators_can(app, client):
    from ato.core.access import Role
    from tests.staff import login, make_user

    with app.app_context():
        rid = make_requis(nom="Fiche à supprimer").id
    make_user(app)
    login(client)
    assert post(client, f"/admin/fiches/{rid}/supprimer").status_code == 403
    make_user(app, email="admin@ato.invalid", role=Role.ADMINISTRATEUR)
    administrator = app.test_client()
    login(administrator, email="admin@ato.invalid")
    assert post(administrator, f"/admin/fiches/{rid}/supprimer").status_code == 303
    with app.app_context():
        assert db.session.get(Requis, rid) is None
        (entry,) = _audit("suppression")
        assert entry.changes["fiche"][0]["requis"]["nom"] == "Fiche à supprimer"


def test_marking_as_verified_sets_the_date_shown_publicly(app, staff):
    with app.app_context():
        rid = make_requis(verified_at=None).id
    assert post(staff, f"/admin/fiches/{rid}/verifier").status_code == 303
    with app.app_context():
        assert db.session.get(Requis, rid).verified_at is not None
        assert _audit("verification")[0].changes["verified_at"][0] is None
    page = staff.get(f"/requis/{rid}", follow_redirects=True).get_data(as_text=True)
    assert "Informations vérifiées aujourd'hui (le" in html.unescape(page)


def _closure(sid, start, end=None, message=""):
    return {
        f"s{sid}-du": start.isoformat(),
        f"s{sid}-au": end.isoformat() if end else "",
        f"s{sid}-message": message,
    }


def test_a_closure_set_by_staff_applies_during_its_dates_only(app, staff):
    from ato.core.models import paris_day

    with app.app_context():
        requis = make_requis()
        rid, sid = requis.id, requis.services[0].id
    page = f"/admin/fiches/{rid}"
    today = paris_day()
    end = today + timedelta(days=5)
    response = post(
        staff,
        f"/admin/services/{sid}/disponibilite",
        _closure(sid, today, end, "Congés"),
        page=page,
    )
    assert response.status_code == 303
    public = html.unescape(
        staff.get(f"/requis/{rid}", follow_redirects=True).get_data(as_text=True)
    )
    assert f"Indisponible jusqu'au {date_fr(end)}." in public and "Congés" in public
    with app.app_context():
        service = db.session.get(Service, sid)
        assert (service.indisponible_du, service.indisponible_au) == (today, end)
        changes = _audit("indisponibilite")[0].changes
        assert changes[f"service {service.nom}.indisponible_au"] == [None, end.isoformat()]
    staff_page = html.unescape(staff.get(page).get_data(as_text=True))
    history = staff_page[staff_page.index("<h2>Historique</h2>") :]
    assert "Indisponible jusqu'au" in history and date_fr(end) in history
    post(staff, f"/admin/services/{sid}/disponibilite", {"annuler": "1"}, page=page)
    public = staff.get(f"/requis/{rid}", follow_redirects=True).get_data(as_text=True)
    assert "Indisponible" not in public
    with app.app_context():
        assert db.session.get(Service, sid).indisponible_du is None


def test_a_planned_closure_is_announced_not_applied(app, staff):
    from ato.core.models import paris_day

    with app.app_context():
        requis = make_requis()
        rid, sid = requis.id, requis.services[0].id
    start = paris_day() + timedelta(days=10)
    post(
        staff,
        f"/admin/services/{sid}/disponibilite",
        _closure(sid, start),
        page=f"/admin/fiches/{rid}",
    )
    public = html.unescape(
        staff.get(f"/requis/{rid}", follow_redirects=True).get_data(as_text=True)
    )
    assert f"Fermeture prévue à partir du {date_fr(start)}." in public
    assert "Indisponible" not in public


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"du": "2026-12-31", "au": "2026-12-14"},
            "Le dernier jour ne peut pas précéder le premier.",
        ),
        ({"du": "", "au": "2026-12-14"}, "Indiquez le premier jour de fermeture."),
        ({"du": "31/12/2026x", "au": ""}, "date"),
    ],
)
def test_a_wrong_closure_is_refused_with_what_was_typed_kept(app, staff, data, message):
    with app.app_context():
        requis = make_requis()
        rid, sid = requis.id, requis.services[0].id
    fields = {f"s{sid}-{k}": v for k, v in data.items()} | {f"s{sid}-message": "Congés d'été"}
    response = post(
        staff, f"/admin/services/{sid}/disponibilite", fields, page=f"/admin/fiches/{rid}"
    )
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert message in page and "Congés d'été" in page
    with app.app_context():
        assert db.session.get(Service, sid).indisponible_du is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("statut=archivee", {"Archivée fictive"}),
        ("departement=34", {"Héraultaise fictive"}),
        ("fraicheur=jamais", {"Jamais vérifiée fictive"}),
        ("fraicheur=perimee", {"Ancienne fictive"}),
        ("q=ancienne", {"Ancienne fictive"}),
        ("nature=liberal", {"Libérale fictive"}),
        ("specialite=__cardio__", {"Héraultaise fictive"}),
    ],
)
def test_the_staff_list_filters(app, staff, query, expected):
    now = utcnow()
    with app.app_context():
        make_requis(nom="Archivée fictive", statut="archivee", verified_at=now)
        make_requis(
            nom="Héraultaise fictive",
            departement="34",
            verified_at=now,
            services=[make_service("cardiologie")],
        )
        make_requis(nom="Jamais vérifiée fictive", verified_at=None)
        make_requis(nom="Ancienne fictive", verified_at=now - timedelta(days=400))
        make_requis(nom="Libérale fictive", nature="liberal", verified_at=now)
        if "__cardio__" in query:
            from tests.factories import specialite

            query = query.replace("__cardio__", str(specialite("cardiologie").id))
    page = html.unescape(staff.get(f"/admin/fiches?{query}").get_data(as_text=True))
    names = {
        n
        for n in (
            "Archivée fictive",
            "Héraultaise fictive",
            "Jamais vérifiée fictive",
            "Ancienne fictive",
            "Libérale fictive",
        )
        if n in page
    }
    assert names == expected


def test_an_invalid_filter_is_ignored_with_a_message(staff):
    response = staff.get("/admin/fiches?statut=%3Cscript%3E&departement=75")
    assert response.status_code == 200
    assert "choix valide" in response.get_data(as_text=True)


def test_review_warns_of_homonyms_and_identifier_mismatch(app, staff, submitted):
    with app.app_context():
        demande = db.session.get(Demande, submitted)
        make_requis(nom=demande.payload["requis"]["nom"], ville="Toulouse")
        demande.payload = {
            **demande.payload,
            "requis": {**demande.payload["requis"], "departement": "34"},
        }
        db.session.commit()
    page = html.unescape(staff.get(f"/admin/demandes/{submitted}").get_data(as_text=True))
    assert "Même nom et même ville" in page
    assert "le département indiqué est 34" in page


def test_a_revision_keeps_a_service_temporarily_unavailable(app, staff):
    with app.app_context():
        requis = make_requis(contact_nom="Camille Exemple", contact_email="c@exemple.fr")
        requis.services[0].indisponible_du = date(2026, 12, 14)
        requis.services[0].indisponible_au = date(2026, 12, 31)
        requis.services[0].indisponible_message = "Congés"
        db.session.commit()
        rid = requis.id
    data = form_data(staff.get(f"/admin/fiches/{rid}/modifier").get_data(as_text=True))
    data["ville"] = "Albi"
    assert staff.post(f"/admin/fiches/{rid}/modifier", data=data).status_code == 303
    with app.app_context():
        service = db.session.get(Requis, rid).services[0]
        assert (service.indisponible_du, service.indisponible_au) == (
            date(2026, 12, 14),
            date(2026, 12, 31),
        )
        assert service.indisponible_message == "Congés"


def test_the_history_of_an_entry_reads_in_french(app, staff):
    with app.app_context():
        rid = make_requis().id
    post(staff, f"/admin/fiches/{rid}/archiver")
    page = html.unescape(staff.get(f"/admin/fiches/{rid}").get_data(as_text=True))
    history = page[page.index("<h2>Historique</h2>") :]
    assert "Archivage" in history and "Statut : Publiée → Archivée" in history
    assert "publiee" not in history
