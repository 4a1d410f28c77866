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
    assert "<td>connexion_echouee</td>" in page  # the failed attempt
    assert "<td>connexion</td>" in page  # the staff fixture's own login


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
    assert "statut : publiee → archivee" in page


def test_the_csv_export_has_one_line_per_field_and_neutralises_formulas(app, staff):
    _entries(
        app,
        ("correction", "=cmd|' /C calc'!A0", 3, {"requis.nom": ["+avant", "@après"], "x": [1, 2]}),
    )
    response = staff.get("/admin/journal.csv?action=correction")
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["champ"], r["avant"], r["apres"]) for r in rows] == [
        ("requis.nom", "'+avant", "'@après"),
        ("x", "1", "2"),
    ]
    assert rows[0]["auteur"] == "'=cmd|' /C calc'!A0"


def test_staff_actions_are_logged_with_their_author(app, staff):
    with app.app_context():
        rid = make_requis().id
    post(staff, f"/admin/fiches/{rid}/verifier")
    page = staff.get(f"/admin/journal?objet=requis&objet_id={rid}").get_data(as_text=True)
    assert "verification" in page and "moderatrice@ato.invalid" in page


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
