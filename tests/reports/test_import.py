"""A département dataset upload is checked whole: one bad line rejects it, every line says why."""

import pytest
from sqlalchemy import select

from ato.core.audit import AuditEntry
from ato.extensions import db
from ato.reports import services
from ato.reports.models import JeuDepartemental
from tests.reports.conftest import plain
from tests.reports.test_admin import VALID, dataset, upload
from tests.staff import csrf_of

CODES = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]


@pytest.fixture
def stored(app, staff, seeded):
    """The requérants dataset with valid values already stored: a rejection must keep them."""
    ident = dataset(app, "teleo-2023-demandes-emises")
    assert upload(staff, ident, VALID).status_code == 303
    return ident


def values_of(app, ident):
    with app.app_context():
        return {
            v.departement_code: v.valeur for v in db.session.get(JeuDepartemental, ident).valeurs
        }


def imports(app):
    with app.app_context():
        return len(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "import_jeu_departemental")
            ).all()
        )


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        (
            b"code_departement;valeur\n31;100\n75;200\n34;300\n",
            ["Ligne 3 : code département « 75 » inconnu"],
        ),
        (
            b"code_departement;valeur\n31;100\n34;beaucoup\n",
            ["Ligne 3 : valeur « beaucoup » qui n'est pas un nombre"],
        ),
        (
            b"code_departement;valeur\n31;100\n34;300\n31;400\n",
            ["Ligne 4 : département 31 déjà présent ligne 2"],
        ),
        (
            b"code_departement;valeur\n75;1\n31;x\n31;2\n",
            [
                "Ligne 2 : code département « 75 » inconnu",
                "Ligne 3 : valeur « x »",
                "Ligne 4 : département 31 déjà présent ligne 3",
            ],
        ),
    ],
    ids=["unknown-code", "not-a-number", "duplicate-code", "several"],
)
def test_a_bad_line_rejects_the_whole_file_with_its_line_number(
    app, staff, stored, content, messages
):
    before = values_of(app, stored)
    response = upload(staff, stored, content)
    html = plain(response.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'"))
    assert response.status_code == 422
    assert "rien n'a été modifié" in html
    for message in messages:
        assert message in html
    assert values_of(app, stored) == before
    assert imports(app) == 1  # the valid upload of the fixture only


HOSTILE = {
    "empty": (b"", "Le fichier est vide"),
    "blank": (b"\n\n  \n", "Le fichier est vide"),
    "header-only": (b"code_departement;valeur\n", "aucune ligne de données"),
    "latin-1": ("code_departement;departement;valeur\n09;Ariège;1\n".encode("latin-1"), "UTF-8"),
    "binary": (b"\x00\x01\x02PK\x03\x04" * 10, "caractères nuls"),
    "wrong-columns": (b"dept,nombre\n31,12\n", "colonnes attendues"),
    "formula": (b"code_departement;valeur\n31;=1+1\n34;@SUM(A1)\n", "qui n'est pas un nombre"),
    "formula-code": (b"code_departement;valeur\n=HYPERLINK(1);5\n", "inconnu"),
    "infinite": (b"code_departement;valeur\n31;Infinity\n34;NaN\n", "qui n'est pas un nombre"),
    "over-64-kb": (b"code_departement;valeur\n" + b"31;1\n" * 20000, "64 Ko"),
    "unbalanced-quotes": (b'code_departement;valeur\n"31;12\n34;5\n', "ligne"),
    "huge-number": (b"code_departement;valeur\n31;99999999999999999\n", "trop grande"),
    "other-unit": (b"code_departement;valeur;unite\n31;12;euros\n", "unité « euros »"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_files_are_refused_in_french_and_change_nothing(app, staff, stored, case):
    content, message = HOSTILE[case]
    before = values_of(app, stored)
    response = upload(staff, stored, content)
    assert response.status_code == 422
    assert message.casefold() in response.get_data(as_text=True).replace("&#39;", "'").casefold()
    assert values_of(app, stored) == before


def test_a_file_over_the_request_limit_gets_the_import_page_back_and_changes_nothing(
    app, staff, stored
):
    before = values_of(app, stored)
    page = staff.get(f"/admin/rapports/jeux/{stored}/import").get_data(as_text=True)
    boundary = "limite-du-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f'{csrf_of(page)}\r\n--{boundary}\r\nContent-Disposition: form-data; name="fichier";'
            f' filename="enorme.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + b"31;1\n" * 500_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    # Raw bytes: the test client then keeps the body in memory, not in a temporary file.
    response = staff.post(
        f"/admin/rapports/jeux/{stored}/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Rien n'a été modifié" in html.replace("&#39;", "'") and 'name="fichier"' in html
    assert values_of(app, stored) == before


def test_the_typed_fields_are_kept_when_the_file_is_rejected(app, staff, stored):
    response = upload(staff, stored, b"x", periode="Période tapée 2024")
    assert "Période tapée 2024" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"code_departement,valeur\n31,12.5\n", {"31": "12.5"}),
        (b"\xef\xbb\xbfCode d\xc3\xa9partement;Valeur\r\n9;1 234,5\r\n", {"09": "1234.5"}),
        (b"code_departement;valeur\n31;-3\n\n34;0\n", {"31": "-3", "34": "0"}),
        (b"code_departement;valeur;unite\n31;12;demandes\n34;3;\n", {"31": "12", "34": "3"}),
    ],
)
def test_spreadsheet_variants_are_read(content, expected):
    parsed = services.parse_departement_csv(content, "demandes", CODES)
    assert {k: str(v) for k, v in parsed.values.items()} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 345", "12345"),
        ("12\u202f345", "12345"),
        ("12\u00a0345", "12345"),
        ("1 234 567,89", "1234567.89"),
        ("12345,5", "12345.5"),
        ("-3.2", "-3.2"),
        ("+5", "5"),
        (" 99,89 ", "99.89"),
    ],
)
def test_french_numbers_are_read(text, expected):
    assert str(services.parse_number(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["", "-", "=1+1", "@SUM(A1)", "beaucoup", "1e400", "Infinity", "NaN", "1_000", "12 34",
     "1234 567", "1.234,5", ",5", "5,"],
)  # fmt: skip
def test_formulas_and_junk_are_not_numbers(text):
    assert services.parse_number(text) is None
