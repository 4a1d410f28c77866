"""/donnees: the published directory as CSV, JSON and a Frictionless Data Package."""

from __future__ import annotations

import csv
import io
import json

import pytest
from frictionless import Package

from ato.directory.models import Requis
from ato.extensions import db
from ato.opendata import services
from tests.factories import make_requis, make_service
from tests.opendata.conftest import SECRETS

FILES = (
    "/donnees/recours.csv",
    "/donnees/canaux.csv",
    "/donnees/recours.json",
    "/donnees/datapackage.json",
)


def rows(client, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200
    text = response.data.decode("utf-8")
    assert not text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def save(client, folder) -> None:
    for path in FILES:
        (folder / path.rsplit("/", 1)[1]).write_bytes(client.get(path).data)


def test_files_hold_published_entries_only_and_no_contact_person(client, site):
    for path in FILES:
        text = client.get(path).data.decode("utf-8")
        for secret in SECRETS:
            assert secret not in text, (path, secret)
        assert site.archived_name not in text
    services_ = rows(client, "/donnees/recours.csv")
    assert {r["requis_id"] for r in services_} == {str(site.published), str(site.liberal)}
    cardio = next(r for r in services_ if r["service_nom"] == "Cardiologie adulte")
    assert cardio["requis_nom"] == "CHU fictif de Toulouse"
    assert cardio["couverture_departements"] == "31|32"
    assert cardio["thematiques_codes"] == "insuffisance-cardiaque"
    assert cardio["couverture_regionale"] == "non"
    assert cardio["fiche_url"].endswith(f"/requis/{site.published}/chu-fictif-de-toulouse")
    channels = [
        r for r in rows(client, "/donnees/canaux.csv") if r["service_id"] == cardio["service_id"]
    ]
    assert [(c["rang"], c["outil_code"], c["lien"]) for c in channels] == [
        ("1", "mssante", "mailto:cardio@chu-fictif.mssante.fr"),
        ("2", "telephone", "tel:0561000001"),
    ]
    entries = json.loads(client.get("/donnees/recours.json").data)
    assert [e["id"] for e in entries] == sorted([site.published, site.liberal])
    assert entries[0]["services"][0]["specialite"]["code"] == "cardiologie"


def test_the_package_and_every_file_are_valid_for_frictionless(client, site, tmp_path):
    save(client, tmp_path)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["licenses"][0]["title"] == "Licence Ouverte / Open Licence version 2.0"
    assert descriptor["licenses"][0]["path"].startswith("https://www.etalab.gouv.fr/")
    assert descriptor["lastModified"] and descriptor["sources"]
    for resource in descriptor["resources"][:2]:
        for field in resource["schema"]["fields"]:
            assert field["title"] and field["description"] and field["format"], field
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 3


def test_frictionless_catches_a_file_that_breaks_its_schema(client, site, tmp_path):
    save(client, tmp_path)
    broken = (tmp_path / "recours.csv").read_text(encoding="utf-8").replace(",31,", ",99,", 1)
    (tmp_path / "recours.csv").write_text(broken, encoding="utf-8")
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        resource.pop("hash"), resource.pop("bytes")
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert not report.valid
    assert "constraint-error" in {e[0] for e in report.flatten(["type"])}


def test_commas_quotes_newlines_and_formula_like_values_round_trip_exactly(app, client, tmp_path):
    description = '=SOMME(A1) avis, « urgent » et "cité"\nsur deux lignes'
    with app.app_context():
        requis = make_requis(
            nom='Centre, dit « le "Grand" »',
            telephone="+33 5 61 00 00 02",
            services=[
                make_service(
                    "cardiologie",
                    description=description,
                    couverture="region",
                    demandeurs="-tous les médecins",
                    pieces_a_joindre="@dossier",
                )
            ],
        )
        requis_id = requis.id
    (row,) = rows(client, "/donnees/recours.csv")
    assert row["requis_nom"] == 'Centre, dit « le "Grand" »'
    assert row["description"] == description
    assert row["telephone"] == "+33 5 61 00 00 02"  # no apostrophe: the exact published value
    assert (row["demandeurs"], row["pieces_a_joindre"]) == ("-tous les médecins", "@dossier")
    save(client, tmp_path)
    package = Package(str(tmp_path / "datapackage.json"))
    assert package.validate().valid
    (read,) = package.get_resource("recours").read_rows()
    assert read["description"] == description and read["requis_id"] == requis_id


def test_a_change_regenerates_the_files_and_changes_their_etag(app, client, site):
    before = client.get("/donnees/recours.csv")
    package_before = client.get("/donnees/datapackage.json").headers["ETag"]
    with app.app_context():
        db.session.get(Requis, site.published).nom = "CHU fictif de Toulouse-Purpan"
        db.session.commit()
    after = client.get("/donnees/recours.csv")
    assert b"CHU fictif de Toulouse-Purpan" in after.data
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get("/donnees/datapackage.json").headers["ETag"] != package_before


def test_an_unchanged_file_answers_304_to_its_etag_and_date(client, site):
    first = client.get("/donnees/canaux.csv")
    assert first.headers["Last-Modified"] and first.headers["ETag"]
    again = client.get("/donnees/canaux.csv", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get(
        "/donnees/canaux.csv", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304
    other = client.get("/donnees/canaux.csv", headers={"If-None-Match": '"autre"'})
    assert other.status_code == 200


def test_files_are_generated_once_per_version_and_old_versions_go(app, client, site):
    client.get("/donnees/recours.csv")
    with app.app_context():
        folder = services.root()
        first = {p.name for p in folder.iterdir()}
        client.get("/donnees/recours.json")
        assert {p.name for p in folder.iterdir()} == first  # the same version, not rewritten
        for n in range(3):
            db.session.get(Requis, site.published).ville = f"Toulouse {n}"
            db.session.commit()
            client.get("/donnees/recours.csv")
        versions = [p for p in folder.iterdir() if not p.name.startswith(".")]
        assert len(versions) == services.KEEP_VERSIONS


def test_two_generations_of_one_version_leave_one_complete_folder(app, site):
    with app.test_request_context():
        version = services.current()
        services.generate(
            version.path, last_change=version.last_change, today=version.generated_at.date()
        )
        assert services.current().files == version.files
        assert not [p for p in services.root().iterdir() if p.name.startswith(".tmp-")]


def test_the_cron_command_generates_the_files(app, site):
    result = app.test_cli_runner().invoke(args=["ato", "donnees", "generer"])
    assert result.exit_code == 0, result.output
    assert "Fichiers à jour" in result.output
    with app.app_context():
        assert any(p.name != ".tmp" for p in services.root().iterdir())


@pytest.mark.parametrize("path", FILES)
def test_files_answer_with_their_media_type(client, path):
    content_type = client.get(path).headers["Content-Type"]
    assert content_type.startswith("text/csv" if path.endswith(".csv") else "application/json")
