"""A list written as a regional coordinator writes it imports as it is.

``data/recours_coordination.csv`` is what Excel saves (« CSV (séparateur : point-virgule) »,
Windows-1252, CRLF): ten recourses with human labels — tools by name, delays in minutes,
hours, days and weeks, ANS long specialty names, profession names, département names,
MSSanté addresses and phone numbers as people type them (in the ranges ARCEP keeps for fiction).
"""

import html
import io
from pathlib import Path

from sqlalchemy import select

from ato.directory.models import Public, Requis
from ato.extensions import db
from ato.transfer import services as transfer
from tests.staff import csrf_of
from tests.transfer.test_transfer import HEADER, confirm, errors_of, follow, row

FILE = Path(__file__).parent / "data" / "recours_coordination.csv"


def upload_bytes(client, data: bytes):
    page = client.get("/admin/import").get_data(as_text=True)
    return follow(
        client,
        client.post(
            "/admin/import",
            data={"csrf_token": csrf_of(page), "fichier": (io.BytesIO(data), FILE.name)},
            content_type="multipart/form-data",
        ),
    )


def test_the_coordinators_file_is_checked_without_a_single_error(app, staff):
    with app.app_context():
        result = transfer.plan(FILE.read_bytes())
    assert result.all_errors == []
    assert (len(result.entries), result.services) == (7, 10)


def test_the_coordinators_file_imports_what_it_says(app, staff):
    verified = upload_bytes(staff, FILE.read_bytes())
    assert verified.status_code == 200, errors_of(verified)
    assert "7 fiches et 10 services seraient créés" in html.unescape(
        verified.get_data(as_text=True)
    )
    assert confirm(staff, verified).status_code == 200
    with app.app_context():
        services = {s.nom: s for r in db.session.scalars(select(Requis)).all() for s in r.services}
        assert len(services) == 10
        minutes = {name: s.delai_reponse_minutes for name, s in services.items()}
        assert minutes == {
            "Unité neurovasculaire – avis AVC": 30,
            "Télécardiologie": 72 * 60,
            "Télédermatologie": 5 * 24 * 60,
            "Gériatrie – avis pour les EHPAD": 48 * 60,
            "Avis psychiatriques": 7 * 24 * 60,
            "Appui aux soins palliatifs à domicile": 24 * 60,
            "Avis néphrologiques": 14 * 24 * 60,
            "Pédopsychiatrie de liaison": 2 * 24 * 60,
            "Téléradiologie": 4 * 60,
            "Dépistage de la rétinopathie diabétique": 90,
        }
        specialties = {name: s.specialite.slug for name, s in services.items()}
        assert specialties["Télécardiologie"] == "cardiologie"  # ANS long name
        assert specialties["Télédermatologie"] == "dermatologie"
        assert specialties["Avis néphrologiques"] == "nephrologie"  # TRE_R38 code
        assert specialties["Pédopsychiatrie de liaison"] == "pedopsychiatrie"
        assert specialties["Téléradiologie"] == "radiologie"
        assert specialties["Dépistage de la rétinopathie diabétique"] == "ophtalmologie"
        assert {t.slug for t in services["Télédermatologie"].thematiques} == {
            "plaies-et-cicatrisation"  # "escarres" is one of its synonyms
        }
        tools = {
            name: [(c.outil.slug, c.adresse) for c in s.canaux] for name, s in services.items()
        }
        assert tools["Unité neurovasculaire – avis AVC"] == [
            ("telephone", "05 36 49 20 02"),
            ("teleo", "https://teleo.exemple.fr/neurovasculaire"),
        ]
        assert tools["Télécardiologie"] == [
            ("mssante", "telecardio@chu-fictif-toulouse.mssante.fr")
        ]
        assert tools["Avis psychiatriques"][0][0] == "mssante"  # « messagerie sécurisée »
        assert tools["Appui aux soins palliatifs à domicile"][0][0] == "telephone"  # « Tel »
        assert tools["Téléradiologie"][0][0] == "formulaire"
        cardio = services["Télécardiologie"]
        assert [d.code for d in cardio.departements] == ["09", "31", "32"]
        assert services["Télédermatologie"].couverture_regionale
        assert services["Pédopsychiatrie de liaison"].public == Public.PEDIATRIQUE
        psychiatre = services["Avis psychiatriques"].requis
        assert (psychiatre.civilite, psychiatre.profession_code) == ("Dr", "10")
        assert psychiatre.departement_code == "34"
        assert services["Téléradiologie"].requis.departement_code == "66"
    exported = staff.get("/admin/export.csv").get_data(as_text=True)
    assert ";30 min;" in exported.replace(",", ";") and "1 semaine" in exported


def test_misspelt_values_get_the_closest_labels_one_error_per_cell(app, staff):
    text = "\n".join(
        [
            HEADER,
            row(
                specialite="Cardiolgie",
                thematiques="Insufisance cardiaque",
                outil_1="Téléoo",
                adresse_1="https://teleo.exemple.fr/x",
                departements_acceptes="Haute-Garone",
                public="adultez",
                delai="5 jous",
            ),
            row(
                nature="libéral",
                nom="Martin",
                prenom="Alex",
                finess="",
                rpps="10001234565",
                profession="Médcin",
                departement="Haute Garonne",
                service="Avis",
                specialite="AVC",
                outil_1="Omnidok",
                adresse_1="https://omnidoc.exemple.fr/x",
            ),
        ]
    )
    errors = errors_of(upload_bytes(staff, text.encode("utf-8")))
    said = {(n, m.split(" : ", 1)[0]): m.split(" : ", 1)[1] for n, m in errors}
    assert len(said) == len(errors)  # one error per cell
    assert said[(2, "Colonne « specialite »")] == (
        "« Cardiolgie » n'est pas une spécialité connue. Vouliez-vous dire : Cardiologie ?"
    )
    assert "Vouliez-vous dire : Insuffisance cardiaque ?" in said[(2, "Colonne « thematiques »")]
    assert said[(2, "Colonne « outil_1 »")].startswith("« Téléoo » n'est pas un outil connu.")
    assert "TéléO" in said[(2, "Colonne « outil_1 »")]
    assert "Haute-Garonne (31)" in said[(2, "Colonne « departements_acceptes »")]
    assert "Adultes" in said[(2, "Colonne « public »")]
    assert "« 5 jous » n'est pas un délai reconnu" in said[(2, "Colonne « delai »")]
    assert "Vouliez-vous dire : Médecin ?" in said[(3, "Colonne « profession »")]
    assert said[(3, "Colonne « specialite »")].startswith(
        "« AVC » est une thématique, pas une spécialité : indiquez la spécialité du service "
        "(par ex. Neurologie), et AVC parmi ses thématiques."
    )
    assert "Omnidoc" in said[(3, "Colonne « outil_1 »")]
    assert not any(n == 3 and "departement »" in m for n, m in errors)  # "Haute Garonne" read
    for message in said.values():  # labels, never internal codes
        assert "teleo" not in message and "cardiologie" not in message
        assert "insuffisance-cardiaque" not in message


def test_the_former_hours_column_is_still_read_as_hours(app, staff):
    text = "\n".join([HEADER.replace("delai", "delai_heures"), row(**{"delai": "48"})])
    with app.app_context():
        result = transfer.plan(text.encode())
        assert result.all_errors == []
        assert result.entries[0].entry["services"][0]["delai_minutes"] == 48 * 60
