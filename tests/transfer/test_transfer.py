"""CSV import (dry run, line by line, nothing written before confirmation) and CSV export."""

import csv
import html
import io
import re
import time

import pytest
from sqlalchemy import func, select

from ato.core.audit import AuditEntry
from ato.directory import entries
from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.transfer import services as transfer
from tests.factories import make_requis, make_service, valid_finess, valid_rpps
from tests.staff import csrf_of

HEADER = ",".join(transfer.COLUMNS)


def row(**values) -> str:
    base = {
        "nature": "etablissement",
        "nom": "Centre hospitalier importé fictif",
        "finess": "310781406",
        "ville": "Toulouse",
        "departement": "31",
        "contact_nom": "Camille Exemple",
        "contact_email": "camille@exemple.fr",
        "service": "Télédermatologie",
        "specialite": "Dermatologie",
        "departements_acceptes": "region",
        "outil_1": "teleo",
        "adresse_1": "https://teleo.exemple.fr/dermato",
    }
    base.update(values)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([base.get(c, "") for c in transfer.COLUMNS])
    return buffer.getvalue().removesuffix("\n")


def follow(client, response, timeout: float = 60):
    """The job page a POST led to, once the job has finished (it runs in the background)."""
    assert response.status_code == 303, response.status_code
    url = response.headers["Location"]
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(url)
        if 'http-equiv="refresh"' not in page.get_data(as_text=True):
            return page
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.05)


def upload(client, text: str, filename="liste.csv"):
    page = client.get("/admin/import").get_data(as_text=True)
    data = {
        "csrf_token": csrf_of(page),
        "fichier": (io.BytesIO(text.encode("utf-8")), filename),
    }
    return follow(
        client, client.post("/admin/import", data=data, content_type="multipart/form-data")
    )


def confirm(client, page):
    """Press « Confirmer l'import » on a verification's page; the import job's page."""
    html_page = page.get_data(as_text=True)
    action = re.search(r'action="(/admin/import/\d+/confirmer)"', html_page).group(1)
    return follow(client, client.post(action, data={"csrf_token": csrf_of(html_page)}))


def count_requis(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Requis))


def errors_of(response) -> list[tuple[int, str]]:
    page = html.unescape(response.get_data(as_text=True))
    table = page.split('class="data-table import-errors"')[1].split("</table>")[0]
    return [
        (int(n), re.sub(r"\s+", " ", m))
        for n, m in re.findall(r"<tr><td>(\d+)</td><td>(.*?)</td></tr>", table, re.S)
    ]


def test_a_dry_run_reports_each_error_with_its_line_and_writes_nothing(app, staff):
    text = "\n".join(
        [
            HEADER,
            row(),  # line 2: fine
            row(nom="Mauvais FINESS fictif", finess="123456789"),  # line 3
            row(nom="Département inconnu fictif", finess=valid_finess(), departement="75"),
            row(nom="Spécialité inconnue fictive", finess=valid_finess(), specialite="Magie"),
            row(nature="liberal", nom="Sans RPPS", finess="", rpps=""),  # line 6
        ]
    )
    response = upload(staff, text)
    assert response.status_code == 422
    lines = {n for n, _ in errors_of(response)}
    assert lines == {3, 4, 5, 6}
    messages = {n: " ".join(m for k, m in errors_of(response) if k == n) for n in lines}
    assert "FINESS" in messages[3]
    assert "75" in messages[4]
    assert "Magie" in messages[5]
    assert "RPPS" in messages[6]
    assert "Confirmer l'import" not in response.get_data(as_text=True)
    assert count_requis(app) == 0


def test_a_clean_file_is_created_only_once_confirmed(app, staff):
    rpps = valid_rpps()
    text = "\n".join(
        [
            HEADER,
            row(),
            row(service="Télécardiologie", specialite="cardiologie", departements_acceptes="31;32"),
            row(
                nature="liberal",
                nom="Martin",
                prenom="Alex",
                civilite="Dr",
                finess="",
                rpps=rpps,
                profession="10",
                service="Avis dermatologiques",
                outil_1="mssante",
                adresse_1="alex.martin@medecin.mssante.fr",
            ),
        ]
    )
    response = upload(staff, text)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "2 fiches et 3 services seraient créés" in page
    assert count_requis(app) == 0
    done = confirm(staff, response)
    assert done.status_code == 200
    assert "2 fiches importées et publiées" in html.unescape(done.get_data(as_text=True))
    with app.app_context():
        created = db.session.scalars(select(Requis).order_by(Requis.nom)).all()
        assert [(r.nom, len(r.services), r.statut) for r in created] == [
            ("Centre hospitalier importé fictif", 2, Statut.PUBLIEE),
            ("Martin", 1, Statut.PUBLIEE),
        ]
        assert all(r.verified_at is None for r in created)  # the first campaign reaches them
        assert {s.specialite.slug for s in created[0].services} == {"dermatologie", "cardiologie"}
        audits = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import"))
        assert len(audits.all()) == 2
    assert "importé fictif" in staff.get("/recherche?q=dermatologie").get_data(as_text=True)


def test_an_identifier_taken_meanwhile_aborts_the_whole_import(app, staff):
    text = "\n".join([HEADER, row(), row(nom="Autre fictif", finess=valid_finess())])
    verified = upload(staff, text)
    with app.app_context():
        make_requis(finess="310781406")
    response = confirm(staff, verified)  # the import job checks the file again
    assert response.status_code == 422
    assert "déjà présent" in html.unescape(response.get_data(as_text=True))
    assert count_requis(app) == 1


def test_two_names_for_one_finess_are_refused(app, staff):
    text = "\n".join([HEADER, row(), row(nom="Un autre nom fictif")])
    response = upload(staff, text)
    assert [n for n, _ in errors_of(response)] == [3]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "vide"),
        (b"nom,ville\nA,B\n", "Colonnes obligatoires absentes"),
        (HEADER.encode() + b",inconnue\n", "Colonnes inconnues"),
        (HEADER.encode() + b"\n", "Aucune ligne"),
        (b"\xff\xfe\x00garbage\x00\x00", "caractères nuls"),
    ],
)
def test_unreadable_files_get_a_french_message(app, staff, content, message):
    page = staff.get("/admin/import").get_data(as_text=True)
    response = follow(
        staff,
        staff.post(
            "/admin/import",
            data={"csrf_token": csrf_of(page), "fichier": (io.BytesIO(content), "x.csv")},
            content_type="multipart/form-data",
        ),
    )
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))


def test_windows_semicolon_files_are_read(app, staff):
    text = "\n".join([HEADER.replace(",", ";"), row().replace(",", ";")])
    page = staff.get("/admin/import").get_data(as_text=True)
    posted = staff.post(
        "/admin/import",
        data={"csrf_token": csrf_of(page), "fichier": (io.BytesIO(text.encode("cp1252")), "x.csv")},
        content_type="multipart/form-data",
    )
    response = follow(staff, posted)
    assert response.status_code == 200, errors_of(response)


def test_only_a_verification_without_error_can_be_confirmed(app, staff):
    failed = upload(staff, "\n".join([HEADER, row(finess="310781407")]))
    job_id = re.search(r"/admin/import/(\d+)", failed.request.path).group(1)
    page = staff.get("/admin/import").get_data(as_text=True)
    response = staff.post(f"/admin/import/{job_id}/confirmer", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith(job_id)
    assert count_requis(app) == 0
    assert (
        staff.post("/admin/import/999999/confirmer", data={"csrf_token": csrf_of(page)}).status_code
        == 404
    )


def test_the_export_neutralises_formulas_and_can_be_imported_again(app, staff):
    with app.app_context():
        make_requis(
            nom='=HYPERLINK("http://pirate.invalid")',
            services=[make_service(nom="+33 service", demandeurs="@tous")],
            contact_email="contact@exemple.fr",
            contact_nom="-Camille",
        )
    response = staff.get("/admin/export.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["nom"] == '\'=HYPERLINK("http://pirate.invalid")'
    assert rows[0]["service"] == "'+33 service"
    assert rows[0]["demandeurs"] == "'@tous"
    assert rows[0]["contact_nom"] == "'-Camille"
    for value in (v for r in rows for v in r.values()):
        assert not value.startswith(("=", "+", "-", "@"))


def test_export_lists_published_entries_only(app, staff):
    with app.app_context():
        make_requis(nom="Publiée fictive")
        make_requis(nom="En attente fictive", statut="en_attente")
        make_requis(nom="Archivée fictive", statut="archivee")
    text = staff.get("/admin/export.csv").get_data(as_text=True)
    assert "Publiée fictive" in text
    assert "En attente fictive" not in text and "Archivée fictive" not in text


def test_line_numbers_count_quoted_cells_spanning_several_lines(app, staff):
    text = "\n".join(
        [
            HEADER,
            row(  # lines 2 to 4
                nom="Mauvais FINESS fictif",
                finess="123456789",
                description="Première ligne\nDeuxième ligne\nTroisième ligne",
            ),
            row(finess=valid_finess(), service="Autre", ville="Albi", nom="Autre fictif"),
            row(nom="Encore un mauvais fictif", finess="987654321"),  # line 6
        ]
    )
    assert [n for n, _ in errors_of(upload(staff, text))] == [2, 6]


def test_an_identifier_shared_by_two_entries_of_the_file_is_refused(app, staff):
    rpps = valid_rpps()
    text = "\n".join(
        [
            HEADER,
            row(
                nature="liberal",
                nom="Martin",
                prenom="Alex",
                civilite="Dr",
                finess="",
                rpps=rpps,
                profession="10",
            ),
            row(nature="dispositif", nom="Dispositif fictif", finess="", rpps=rpps),
        ]
    )
    response = upload(staff, text)
    assert response.status_code == 422
    assert count_requis(app) == 0


def test_confirming_the_same_import_twice_creates_nothing_the_second_time(app, staff):
    text = "\n".join([HEADER, row(nature="dispositif", nom="DAC fictif", finess="")])
    verified = upload(staff, text)
    assert confirm(staff, verified).status_code == 200
    second = confirm(staff, verified)
    assert second.status_code == 422
    assert "existe déjà" in html.unescape(second.get_data(as_text=True))
    assert count_requis(app) == 1


def test_lines_of_one_entry_must_share_their_identity(app, staff):
    text = "\n".join([HEADER, row(), row(ville="Albi", service="Autre service")])
    assert [n for n, _ in errors_of(upload(staff, text))] == [3]


def test_an_export_imports_back_to_the_same_entry(app, staff):

    with app.app_context():
        requis = make_requis(
            nom="-Centre aller-retour fictif",
            contact_nom="Camille Exemple",
            contact_email="camille@exemple.fr",
            services=[
                make_service(
                    "dermatologie",
                    couverture=["31", "32"],
                    thematiques=("plaies-et-cicatrisation",),
                ),
                make_service(
                    "cardiologie",
                    canaux=tuple(("teleo", f"https://teleo.exemple.fr/{i}") for i in range(5)),
                ),
            ],
        )
        before = entries.from_requis(requis)
        rid = requis.id
    exported = staff.get("/admin/export.csv").get_data()
    with app.app_context():
        db.session.get(Requis, rid).statut = Statut.ARCHIVEE  # frees its FINESS for the import
        db.session.commit()
    verified = upload(staff, exported.decode("utf-8"))
    assert "Aucune erreur" in html.unescape(verified.get_data(as_text=True))
    assert confirm(staff, verified).status_code == 200
    with app.app_context():
        copy = db.session.scalars(select(Requis).where(Requis.statut == Statut.PUBLIEE)).one()
        after = entries.from_requis(copy)
        assert after == before


def test_each_import_error_names_its_line_and_column(app, staff):
    text = "\n".join(
        [
            HEADER,
            row(),
            row(
                finess="340780477",
                adresse_1="pas un lien",
                outil_3="mssante",
                adresse_3="x@patient.mssante.fr",
            ),
            row(finess="310781407", nom="Autre"),
        ]
    )
    errors = errors_of(upload(staff, text))
    assert (3, "Colonne « adresse_1 » : Le lien doit commencer par https://.") in errors
    assert any(
        n == 3 and m.startswith("Colonne « adresse_3 » :") and "patients" in m for n, m in errors
    )
    assert any(n == 4 and m.startswith("Colonne « finess » :") for n, m in errors)


def test_the_upload_answers_at_once_and_the_job_page_shows_progress_without_javascript(app, staff):
    from ato.auth.models import User
    from ato.transfer import services
    from ato.transfer.models import EtatImport, ImportJob, NatureImport

    with app.app_context():
        actor = db.session.scalars(select(User)).one()
        job = services.start_job(NatureImport.VERIFICATION, b"nature\n", "grand.csv", actor)
        job.etat, job.done, job.total = EtatImport.EN_COURS, 1200, 5000
        db.session.commit()
        job_id = job.id
    page = staff.get(f"/admin/import/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page  # refreshes itself, no script
    assert '<progress id="avancement" max="5000" value="1200">24 %</progress>' in page
    assert "1200 fiches sur 5000 examinées" in page
    with app.app_context():
        assert db.session.get(ImportJob, job_id).etat == EtatImport.EN_COURS


def test_a_job_left_waiting_by_a_restart_is_resumed_by_the_command(app, staff, runner):
    from ato.auth.models import User
    from ato.transfer import services
    from ato.transfer.models import EtatImport, ImportJob, NatureImport

    with app.app_context():
        actor = db.session.scalars(select(User)).one()
        data = "\n".join([HEADER, row()]).encode()
        job_id = services.start_job(NatureImport.IMPORT, data, "liste.csv", actor).id
        db.session.commit()
    result = runner.invoke(args=["ato", "import", "reprendre"])
    assert result.exit_code == 0 and "1 import repris." in result.output
    with app.app_context():
        assert db.session.get(ImportJob, job_id).etat == EtatImport.TERMINE
    assert count_requis(app) == 1
