"""The audit log: browsable, filterable, exportable as formula-safe CSV."""

import csv
import html
import io
from datetime import timedelta

from freezegun import freeze_time

from ato.core import audit
from ato.core.models import utcnow
from ato.extensions import db
from tests.backoffice import post
from tests.factories import make_requis


def _entries(app, *specs):
    with app.app_context():
        for action, label, object_id, changes in specs:
            audit.log(None, action, "requis", object_id, changes, actor_label=label)
        db.session.commit()


def test_logins_and_failures_are_in_the_log(app, client, staff):
    from tests.staff import login

    login(app.test_client(), password="mauvais mot de passe")
    page = html.unescape(staff.get("/admin/journal").get_data(as_text=True))
    assert "<td>Connexion échouée</td>" in page  # the failed attempt
    assert "<td>Connexion</td>" in page  # the staff fixture's own login


def test_the_log_filters_by_action_actor_object_and_date(app, staff):
    _entries(
        app,
        ("archivage", "alice@ato.invalid", 7, {"statut": ["publiee", "archivee"]}),
        ("verification", "bob@ato.invalid", 8, {}),
    )
    with freeze_time(utcnow() - timedelta(days=40)):
        _entries(app, ("archivage", "carole@ato.invalid", 9, {}))
    today = utcnow().date().isoformat()

    def shown(query):
        page = staff.get(f"/admin/journal?{query}").get_data(as_text=True)
        return {n for n in ("alice", "bob", "carole") if f"{n}@ato.invalid" in page}

    assert shown("action=archivage") == {"alice", "carole"}
    assert shown("acteur=BOB") == {"bob"}
    assert shown("objet=requis&objet_id=9") == {"carole"}
    assert shown(f"debut={today}") == {"alice", "bob"}
    assert shown("action=inconnue") == {"alice", "bob", "carole"}  # ignored, with a message


def test_before_and_after_values_are_shown_per_field(app, staff):
    _entries(app, ("archivage", "alice@ato.invalid", 7, {"statut": ["publiee", "archivee"]}))
    page = html.unescape(staff.get("/admin/journal").get_data(as_text=True))
    assert "Statut : Publiée → Archivée" in page


def test_the_csv_export_has_one_line_per_field_and_neutralises_formulas(app, staff):
    _entries(
        app,
        ("correction", "=cmd|' /C calc'!A0", 3, {"requis.nom": ["+avant", "@après"], "x": [1, 2]}),
    )
    response = staff.get("/admin/journal.csv?action=correction")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["champ_code"], r["champ"], r["avant"], r["apres"]) for r in rows] == [
        ("requis.nom", "Nom", "'+avant", "'@après"),
        ("x", "x", "1", "2"),
    ]
    assert rows[0]["auteur"] == "'=cmd|' /C calc'!A0"


def test_the_csv_export_carries_labels_beside_the_codes(app, staff):
    _entries(app, ("archivage", "alice@ato.invalid", 7, {"statut": ["publiee", "archivee"]}))
    response = staff.get("/admin/journal.csv?action=archivage")
    (row,) = csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    assert (row["action"], row["action_code"]) == ("Archivage", "archivage")
    assert (row["objet"], row["objet_code"]) == ("Fiche", "requis")
    assert (row["champ"], row["champ_code"]) == ("Statut", "statut")
    assert (row["avant"], row["apres"]) == ("Publiée", "Archivée")
    assert (row["avant_code"], row["apres_code"]) == ("publiee", "archivee")


def _shown(staff, *specs, subject="requis"):
    """The journal's changes column for entries logged about ``subject``."""
    with staff.application.app_context():
        for action, object_id, changes in specs:
            audit.log(None, action, subject, object_id, changes, actor_label="x@ato.invalid")
        db.session.commit()
    page = html.unescape(staff.get("/admin/journal?acteur=x@ato.invalid").get_data(as_text=True))
    return " ".join(page.split())


def test_an_account_change_reads_in_french(app, staff):
    page = _shown(
        staff,
        ("invitation", 5, {"email": [None, "nouvelle@exemple.fr"], "role": [None, "moderateur"]}),
        ("compte_desactiver", 5, {"active": [True, False]}),
        subject="user_account",
    )
    assert "Courriel : — → nouvelle@exemple.fr" in page
    assert "Rôle : — → Modérateur" in page
    assert "Actif : Oui → Non" in page
    assert "Invitation" in page and "Compte désactivé" in page
    assert "None" not in page and "True" not in page


def test_the_state_of_a_request_and_of_an_entry_read_as_labels(app, staff):
    page = _shown(
        staff,
        (
            "publication",
            4,
            {"statut": ["en_attente", "publiee"], "demande.statut": ["en_cours", "publiee"]},
        ),
    )
    assert "Statut : En attente → Publiée" in page
    assert "Statut de la demande : En cours d'examen → Publiée" in page
    page = _shown(staff, ("refus", 8, {"statut": ["recue", "refusee"]}), subject="demande")
    assert "Statut : Reçue → Refusée" in page


def test_the_fields_of_an_entry_read_as_on_the_review_page(app, staff):
    page = _shown(
        staff,
        (
            "correction",
            4,
            {
                "requis.code_postal": [None, "31000"],
                "contact.email": ["a@exemple.fr", "b@exemple.fr"],
                "service 1.departements": [["31"], ["31", "81"]],
                "service 1.regional": [True, False],
                "service 1.delai_heures": [48, 168],
                "service 1.canaux": [[], [{"outil": "teleo", "adresse": "https://t.exemple.fr"}]],
                "service Télédermatologie.indisponible": [False, True],
                "verified_at": [None, "2026-03-01T09:30:00+00:00"],
            },
        ),
    )
    for said in (
        "Code postal : — → 31000",
        "Courriel du contact : a@exemple.fr → b@exemple.fr",
        "Service 1 — Départements d'où les demandes sont acceptées : Haute-Garonne (31) → "
        "Haute-Garonne (31) et Tarn (81)",
        "Service 1 — Toute l'Occitanie : Oui → Non",
        "Service 1 — Délai de réponse annoncé : sous 48 h → sous 1 semaine",
        "Service 1 — Moyens d'adresser une demande : — → TéléO : https://t.exemple.fr",
        "Service Télédermatologie — Indisponible : Non → Oui",
        "Vérifiée le : — → 1 mars 2026 à 10:30",
    ):
        assert said in page, said
    for raw in ("code_postal", "delai_heures", "['31'", "True", "None"):
        assert raw not in page, raw


def test_staff_actions_are_logged_with_their_author(app, staff):
    with app.app_context():
        rid = make_requis().id
    post(staff, f"/admin/fiches/{rid}/verifier")
    page = staff.get(f"/admin/journal?objet=requis&objet_id={rid}").get_data(as_text=True)
    assert "Vérification" in page and "moderatrice@ato.invalid" in page


def test_what_was_typed_in_a_failed_login_stays_out_of_the_journal(app, staff):
    """People type their password in the address field: moderators must never read it."""
    from tests.staff import login

    login(app.test_client(), email="MonMotDePasse!2026", password="x")
    login(app.test_client(), email="moderatrice@ato.invalid", password="mauvais mot de passe")
    page = html.unescape(
        staff.get("/admin/journal?action=connexion_echouee").get_data(as_text=True)
    )
    assert "MonMotDePasse" not in page and "monmotdepasse" not in page
    assert "(adresse inconnue)" in page
    assert "moderatrice@ato.invalid" in page  # a real account's failure is still traceable
