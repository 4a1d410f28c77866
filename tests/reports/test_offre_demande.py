"""Supply and demand: only with a published requérants-side dataset, and then it crosses both."""

from decimal import Decimal

import pytest

from tests.factories import make_requis, make_service
from tests.reports.conftest import (
    TEST_DEMAND,
    assert_csv_equals_table,
    html_cell_value,
    html_table,
    publish_dataset,
)


@pytest.fixture
def supply(app):
    with app.app_context():
        make_requis(departement="31", services=[make_service("cardiologie", couverture=["31"])])
        make_requis(departement="34", services=[make_service("dermatologie", couverture=["34"])])
        make_requis(departement="34", services=[make_service("geriatrie", couverture=["34", "30"])])
        make_requis(
            statut="en_attente", departement="48", services=[make_service(couverture=["48"])]
        )


def test_without_published_demand_the_page_says_it_waits_for_the_data(client, seeded, supply):
    html = client.get("/rapports/offre-et-demande").get_data(as_text=True)
    assert "Données de demande non encore publiées" in html
    assert "<table" not in html
    assert 'href="/rapports/annuaire-ato#recours-par-departement"' in html
    assert client.get("/rapports/offre-et-demande.csv").status_code == 404
    assert client.get("/rapports/offre-et-demande/specialites.csv").status_code == 404


def test_a_published_requis_side_dataset_is_not_demand(app, client, seeded, supply):
    publish_dataset(app, "teleo-2023-demandes-recues", TEST_DEMAND)
    html = client.get("/rapports/offre-et-demande").get_data(as_text=True)
    assert "Données de demande non encore publiées" in html


def test_published_demand_is_crossed_with_the_supply_by_departement(app, client, seeded, supply):
    publish_dataset(app, "teleo-2023-demandes-emises", TEST_DEMAND)
    html = client.get("/rapports/offre-et-demande").get_data(as_text=True)
    assert "non encore publiées" not in html
    rows = [
        [html_cell_value(c) for c in row]
        for row in html_table(html, "g-offre-et-demande-tableau")[1:]
    ]
    by_code = {f"{r[0]:02}": r for r in rows}
    # 31: 25 000 requests, one recourse accepts them; 34: 15 000 for two; 30: 7 300 for one.
    assert by_code["31"][2:] == [Decimal(25000), 1, 1, Decimal(25000)]
    assert by_code["34"][2:] == [Decimal(15000), 0 + 2, 2, Decimal(7500)]
    assert by_code["30"][3:] == [1, 0, Decimal(7300)]
    # Départements whose requests no published recourse accepts come first, most demand first.
    without = [r for r in rows if r[3] == 0]
    assert rows[: len(without)] == without
    assert [r[2] for r in without] == sorted((r[2] for r in without), reverse=True)
    ratios = [r[5] for r in rows[len(without) :]]
    assert ratios == sorted(ratios, reverse=True)
    assert by_code["48"][3] == 0  # the pending entry is not supply


def test_supply_and_demand_csv_downloads_equal_their_tables(app, client, seeded, supply):
    publish_dataset(app, "teleo-2023-demandes-emises", TEST_DEMAND)
    html = client.get("/rapports/offre-et-demande").get_data(as_text=True)
    assert_csv_equals_table(
        html, "g-offre-et-demande-tableau", client.get("/rapports/offre-et-demande.csv").data
    )
    assert_csv_equals_table(
        html, "g-spec-tableau", client.get("/rapports/offre-et-demande/specialites.csv").data
    )


def test_the_index_says_whether_supply_and_demand_has_data(app, client, seeded):
    assert "en attente des données de demande" in client.get("/rapports").get_data(as_text=True)
    publish_dataset(app, "teleo-2023-demandes-emises", TEST_DEMAND)
    assert "données publiées" in client.get("/rapports").get_data(as_text=True)
