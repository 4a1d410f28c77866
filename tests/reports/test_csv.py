"""CSV downloads parse, equal the tables on the page, and never carry a live formula."""

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from ato.core import csvfile
from ato.extensions import db
from ato.reports import services
from ato.reports.models import Indicateur
from tests.factories import make_requis, make_service
from tests.reports.conftest import TEST_DEMAND, assert_csv_equals_table, csv_rows, publish_dataset

LIVE = [
    "comparaison-fin-2023",
    "recours-par-nature",
    "recours-par-departement",
    "recours-par-specialite",
    "publications-par-mois",
    "recence",
]


@pytest.fixture
def directory(app):
    with app.app_context():
        make_requis(departement="34", services=[make_service("cardiologie", couverture=["34"])])
        make_requis(nature="liberal", departement="31")
        make_requis(nature="dispositif", departement="65", finess=None)
        make_requis(statut="en_attente", departement="11")


@pytest.mark.parametrize("chart", LIVE)
def test_live_chart_csv_parses_and_equals_its_table(client, seeded, directory, chart):
    html = client.get(f"/rapports/annuaire-ato/{chart}").get_data(as_text=True)
    response = client.get(f"/rapports/annuaire-ato/{chart}.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert_csv_equals_table(html, f"g-{chart}-tableau", response.data)


def test_dataset_csv_parses_and_equals_its_table(app, client, seeded):
    publish_dataset(app, "teleo-2023-demandes-recues", TEST_DEMAND)
    html = client.get("/rapports/teleo-2023/demandes-recues").get_data(as_text=True)
    data = client.get("/rapports/teleo-2023/demandes-recues.csv").data
    assert_csv_equals_table(html, "g-demandes-recues-tableau", data)


@pytest.mark.parametrize("slug", ["teleo-2023", "teleconsultation-2023", "annuaire-ato"])
def test_key_figures_are_shown_once_and_their_csv_has_one_line_per_card(client, seeded, slug):
    import html as htmllib
    import re

    from tests.reports.conftest import plain

    html = client.get(f"/rapports/{slug}").get_data(as_text=True)
    rows = csv_rows(client.get(f"/rapports/{slug}/indicateurs.csv").data)
    cards = [
        plain(htmllib.unescape(re.sub(r"<[^>]+>", " ", card)))
        for card in re.findall(
            r'<li id="indicateur-[^"]+" class="indicateur">(.*?)</li>', html, re.S
        )
    ]
    assert rows[0][:2] == ["Indicateur", "Valeur"]
    assert len(cards) == len(rows) - 1 > 0
    for card, row in zip(cards, rows[1:], strict=True):
        assert plain(row[0]) in card and plain(row[6]) in card  # label and source
    assert 'id="tableau-indicateurs"' not in html  # no table repeating the cards


def test_the_same_chart_is_the_same_on_the_topic_page_and_its_own_page(client, seeded, directory):
    topic = client.get("/rapports/annuaire-ato").get_data(as_text=True)
    data = client.get("/rapports/annuaire-ato/recours-par-departement.csv").data
    assert_csv_equals_table(topic, "g-recours-par-departement-tableau", data)


def test_text_cells_that_look_like_formulas_are_neutralised_numbers_stay_numbers(
    app, client, seeded
):
    with app.app_context():
        item = db.session.scalars(
            select(Indicateur).where(Indicateur.cle == "teleo-2023-urgences-avc")
        ).one()
        values = {name: getattr(item, name) for name in services.INDICATOR_FIELDS}
        values.update(
            libelle='=HYPERLINK("http://exemple.invalid","clic")',
            note="@SUM(A1)",
            evolution=Decimal("-5"),
            evolution_reference="2022",
        )
        services.update_indicateur(item, values, None)
        db.session.commit()
    rows = list(
        csv.reader(
            io.StringIO(client.get("/rapports/teleo-2023/indicateurs.csv").data.decode("utf-8-sig"))
        )
    )
    row = next(r for r in rows if "HYPERLINK" in r[0])
    assert row[0].startswith("'=HYPERLINK")
    assert row[7] == "'@SUM(A1)"
    assert row[4] == "-5" and row[1] == "18497"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (Decimal("-5"), "-5"),
        (Decimal("99.8900"), "99.89"),
        (12, "12"),
        (None, ""),
        ("-5 %", "'-5 %"),
        ("+33", "'+33"),
        ("\tx", "'\tx"),
        ("Aude", "Aude"),
    ],
)
def test_csv_cells_keep_numbers_and_escape_text(value, cell):
    assert csvfile.cell(value) == cell
