"""Staff administration of the reports: edit figures, import datasets, publish; all audited."""

import html as htmllib
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from ato.core.access import Role
from ato.core.audit import AuditEntry
from ato.extensions import db
from ato.reports.models import Indicateur, JeuDepartemental
from tests.core.test_access import admin_urls
from tests.reports.conftest import plain
from tests.staff import csrf_of, login, make_user


def figure(app, cle):
    with app.app_context():
        return db.session.scalars(select(Indicateur).where(Indicateur.cle == cle)).one().id


def dataset(app, cle):
    with app.app_context():
        return (
            db.session.scalars(select(JeuDepartemental).where(JeuDepartemental.cle == cle)).one().id
        )


def audit_entries(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def form_values(html):
    values = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', html))
    values.update(re.findall(r'<textarea[^>]*name="(\w+)"[^>]*>([^<]*)</textarea>', html))
    return {k: htmllib.unescape(v) for k, v in values.items()}


def test_the_permission_walk_covers_every_reports_admin_route(app):
    endpoints = {e for e, _, _ in admin_urls(app)}
    reports = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("reports_admin")
    }
    assert reports == {
        "reports_admin.admin",
        "reports_admin.indicateur",
        "reports_admin.indicateur_publication",
        "reports_admin.jeu_import",
        "reports_admin.jeu_publication",
    }
    assert reports <= endpoints


@pytest.mark.parametrize("role", [Role.MODERATEUR, Role.ADMINISTRATEUR])
def test_moderators_and_administrators_reach_every_reports_admin_page(app, client, seeded, role):
    make_user(app, role=role)
    login(client)
    ident, jeu = figure(app, "teleo-2023-disponibilite"), dataset(app, "teleo-2023-demandes-emises")
    for url in (
        "/admin/rapports/",
        f"/admin/rapports/indicateurs/{ident}",
        f"/admin/rapports/jeux/{jeu}/import",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_the_back_office_lists_figures_and_datasets(app, staff, seeded):
    html = staff.get("/admin/rapports/").get_data(as_text=True)
    assert "Taux de disponibilité de la plateforme TéléO" in html
    assert "Demandes émises de télé-expertise" in html and "aucune valeur" in html


def test_editing_a_figure_audits_each_change_and_shows_it_publicly(app, staff, seeded):
    ident = figure(app, "teleo-2023-disponibilite")
    page = staff.get(f"/admin/rapports/indicateurs/{ident}").get_data(as_text=True)
    data = form_values(page)
    assert data["valeur"] == "99,89"
    data.update(valeur="99,9", note="Arrondi pour l'exemple.", csrf_token=csrf_of(page))
    response = staff.post(f"/admin/rapports/indicateurs/{ident}", data=data)
    assert response.status_code == 303
    [entry] = audit_entries(app, "modification_indicateur")
    assert entry.object_id == ident and entry.actor_label == "moderatrice@ato.invalid"
    assert entry.changes == {"valeur": ["99.89", "99.9"], "note": [None, "Arrondi pour l'exemple."]}
    assert "99,9 %" in plain(staff.get("/rapports/teleo-2023").get_data(as_text=True))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("valeur", "beaucoup", "Saisissez un nombre"),
        ("valeur", "=1+1", "Saisissez un nombre"),
        ("valeur", "1e400", "Saisissez un nombre"),
        ("valeur", "9" * 20, "inférieure à"),
        ("evolution", "10000000", "inférieure à"),
        ("source", "", "aucun chiffre sans source"),
        ("evolution", "12", "Indiquez la période"),
        ("source_url", "javascript:alert(1)", "https://"),
        ("libelle", "x" * 301, "300"),
    ],
)
def test_a_bad_figure_edit_changes_nothing_and_keeps_what_was_typed(
    app, staff, seeded, field, value, message
):
    ident = figure(app, "teleo-2023-migrations-nexus")
    page = staff.get(f"/admin/rapports/indicateurs/{ident}").get_data(as_text=True)
    data = form_values(page)
    data.update({field: value, "note": "Note tapée", "csrf_token": csrf_of(page),
                 "evolution_reference": ""})  # fmt: skip
    response = staff.post(f"/admin/rapports/indicateurs/{ident}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and "Note tapée" in html
    with app.app_context():
        item = db.session.get(Indicateur, ident)
        assert (
            item.valeur == 33 and item.note != "Note tapée" and item.modifie_par_equipe_at is None
        )
    assert audit_entries(app, "modification_indicateur") == []


def test_unpublishing_then_publishing_a_figure_is_audited(app, staff, seeded):
    ident = figure(app, "teleo-2023-3c-est")
    token = csrf_of(staff.get("/admin/rapports/").get_data(as_text=True))
    staff.post(f"/admin/rapports/indicateurs/{ident}/depublier", data={"csrf_token": token})
    assert "62,5" not in staff.get("/rapports/teleo-2023").get_data(as_text=True)
    staff.post(f"/admin/rapports/indicateurs/{ident}/publier", data={"csrf_token": token})
    assert "62,5" in staff.get("/rapports/teleo-2023").get_data(as_text=True)
    assert [e.changes for e in audit_entries(app, "depublication_indicateur")] == [
        {"publie": [True, False]}
    ]
    assert len(audit_entries(app, "publication_indicateur")) == 1


def upload(client, ident, content, **fields):
    page = client.get(f"/admin/rapports/jeux/{ident}/import").get_data(as_text=True)
    data = form_values(page)
    data.update(fields)
    data["csrf_token"] = csrf_of(page)
    data["fichier"] = (io.BytesIO(content), "valeurs.csv")
    return client.post(
        f"/admin/rapports/jeux/{ident}/import", data=data, content_type="multipart/form-data"
    )


VALID = (
    "code_departement;departement;valeur\n09;Ariège;1 200\n11;Aude;5000\n12;Aveyron;4999,5\n"
    "30;Gard;7300\n31;Haute-Garonne;25000\n32;Gers;800\n34;Hérault;15000\n46;Lot;900\n"
    "48;Lozère;300\n65;Hautes-Pyrénées;2500\n66;Pyrénées-Orientales;6100\n81;Tarn;3900\n"
    "82;Tarn-et-Garonne;2100\n"
).encode()


def test_a_valid_upload_stores_the_values_and_publishing_shows_them(app, staff, seeded):
    ident = dataset(app, "teleo-2023-demandes-emises")
    response = upload(staff, ident, VALID)
    assert response.status_code == 303
    with app.app_context():
        jeu = db.session.get(JeuDepartemental, ident)
        assert {v.departement_code: v.valeur for v in jeu.valeurs}["12"] == Decimal("4999.5")
        assert len(jeu.valeurs) == 13 and not jeu.publie
    [entry] = audit_entries(app, "import_jeu_departemental")
    assert entry.changes["valeurs"][0] == {} and entry.changes["valeurs"][1]["09"] == "1200"
    assert "Données non encore publiées" in staff.get(
        "/rapports/teleo-2023/demandes-emises"
    ).get_data(as_text=True)
    token = csrf_of(staff.get("/admin/rapports/").get_data(as_text=True))
    staff.post(f"/admin/rapports/jeux/{ident}/publier", data={"csrf_token": token})
    html = staff.get("/rapports/teleo-2023/demandes-emises").get_data(as_text=True)
    assert "Haute-Garonne (31) : 25 000 demandes" in plain(html)
    staff.post(f"/admin/rapports/jeux/{ident}/depublier", data={"csrf_token": token})
    assert staff.get("/rapports/teleo-2023/demandes-emises.csv").status_code == 404
    assert len(audit_entries(app, "publication_jeu_departemental")) == 1
    assert len(audit_entries(app, "depublication_jeu_departemental")) == 1


def test_a_dataset_without_values_cannot_be_published(app, staff, seeded):
    ident = dataset(app, "teleo-2023-demandes-recues")
    token = csrf_of(staff.get("/admin/rapports/").get_data(as_text=True))
    response = staff.post(
        f"/admin/rapports/jeux/{ident}/publier", data={"csrf_token": token}, follow_redirects=True
    )
    assert "importez d'abord le fichier CSV" in htmllib.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert not db.session.get(JeuDepartemental, ident).publie


def test_a_new_upload_replaces_every_previous_value(app, staff, seeded):
    ident = dataset(app, "teleo-2023-demandes-emises")
    upload(staff, ident, VALID)
    assert upload(staff, ident, b"code_departement,valeur\n9,10\n31,20\n").status_code == 303
    with app.app_context():
        jeu = db.session.get(JeuDepartemental, ident)
        assert {v.departement_code: v.valeur for v in jeu.valeurs} == {"09": 10, "31": 20}


def test_unknown_actions_are_not_found(app, staff, seeded):
    ident = dataset(app, "teleo-2023-demandes-emises")
    token = csrf_of(staff.get("/admin/rapports/").get_data(as_text=True))
    assert (
        staff.post(
            f"/admin/rapports/jeux/{ident}/supprimer", data={"csrf_token": token}
        ).status_code
        == 404
    )
