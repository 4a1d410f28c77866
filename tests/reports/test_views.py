"""Public report pages: each seeded figure with its value and source, readable without JS."""

import html as htmllib
import re
from decimal import Decimal

import pytest

from ato.reports import seeding
from tests.reports.conftest import TEST_DEMAND, plain, publish_dataset

SEED = seeding.read_seed()
FIGURES = [(r["slug"], f) for r in SEED["rapports"] for f in r["indicateurs"]]
PAGES = ["/rapports"] + [f"/rapports/{r['slug']}" for r in SEED["rapports"]]


def french(value: str) -> str:
    """The seed's number as a French reader expects it: 87 208, 99,89 (no trailing zeros)."""
    text = format(Decimal(value).normalize(), "f")
    whole, _, decimals = text.partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return " ".join(groups) + ("," + decimals if decimals else "")


def block(html: str, element_id: str) -> str:
    found = re.search(rf'<li id="{re.escape(element_id)}"[^>]*>(.*?)</li>', html, re.S)
    assert found, element_id
    return plain(htmllib.unescape(re.sub(r"<[^>]+>", " ", found.group(1))))


@pytest.mark.parametrize(("slug", "figure"), FIGURES, ids=[f["cle"] for _, f in FIGURES])
def test_every_seeded_figure_appears_with_its_value_and_source(client, seeded, slug, figure):
    html = client.get(f"/rapports/{slug}").get_data(as_text=True)
    text = block(html, f"indicateur-{figure['cle']}")
    unit = figure["unite"]
    assert (french(figure["valeur"]) + (" %" if unit == "%" else f" {unit}")) in text
    if figure["evolution"]:
        assert (
            f"+{french(figure['evolution'])} % par rapport à {figure['evolution_reference']}"
            in text
        )
    document = SEED["sources"][figure["citation"]["source"]]["source"]
    source = f"Source : {document}, section « {figure['citation']['section']} »"
    assert plain(source) in text
    assert plain(figure["citation"]["extrait"]) in plain(htmllib.unescape(html))


def test_the_index_lists_every_topic_with_its_period(client, seeded):
    html = client.get("/rapports").get_data(as_text=True)
    for topic in SEED["rapports"]:
        assert f'href="/rapports/{topic["slug"]}"' in html
        assert topic["periode"] in html


def test_the_site_navigation_links_to_the_reports(client, seeded):
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/rapports">Rapports</a>' in html


@pytest.mark.parametrize("path", PAGES)
def test_report_pages_need_no_script_and_no_inline_style(client, seeded, path):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script" not in html and " style=" not in html and "<style" not in html
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_an_unpublished_dataset_says_so_and_shows_no_values(client, seeded):
    html = client.get("/rapports/teleo-2023/demandes-emises").get_data(as_text=True)
    assert "Données non encore publiées" in html
    assert "<svg" not in html and "<table" not in html
    assert "moins de 5 000" in plain(html)
    assert client.get("/rapports/teleo-2023/demandes-emises.csv").status_code == 404


def test_a_published_dataset_shows_its_map_table_and_csv(app, client, seeded):
    publish_dataset(app, "teleo-2023-demandes-emises", TEST_DEMAND)
    html = client.get("/rapports/teleo-2023/demandes-emises").get_data(as_text=True)
    assert "Données non encore publiées" not in html
    assert 'class="chart carte"' in html
    assert 'href="/rapports/teleo-2023/demandes-emises.csv"' in html
    assert client.get("/rapports/teleo-2023/demandes-emises.csv").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/rapports/inconnu",
        "/rapports/teleo-2023/inconnu",
        "/rapports/teleo-2023/recence",
        "/rapports/inconnu/indicateurs.csv",
        "/rapports/teleo-2023/inconnu.csv",
        "/rapports/teleo-2023/%3Cscript%3E",
    ],
)
def test_unknown_topics_and_charts_are_not_found(client, seeded, path):
    assert client.get(path).status_code == 404


def test_an_unpublished_figure_disappears_from_its_page_and_csv(app, client, seeded):
    from sqlalchemy import select

    from ato.extensions import db
    from ato.reports import services
    from ato.reports.models import Indicateur

    with app.app_context():
        item = db.session.scalars(
            select(Indicateur).where(Indicateur.cle == "teleo-2023-migrations-nexus")
        ).one()
        services.set_indicateur_publie(item, False, None)
        db.session.commit()
    html = client.get("/rapports/teleo-2023").get_data(as_text=True)
    assert "indicateur-teleo-2023-migrations-nexus" not in html
    assert "Nexus" not in client.get("/rapports/teleo-2023/indicateurs.csv").get_data(as_text=True)


def test_report_pages_print_with_the_print_stylesheet(client, seeded):
    html = client.get("/rapports/annuaire-ato").get_data(as_text=True)
    assert 'href="/static/css/print.css" media="print"' in html
    with client.get("/static/css/print.css") as response:
        assert ".graphique" in response.get_data(as_text=True)


def test_live_statistics_say_when_example_entries_are_counted(app, client, seeded):
    from tests.factories import make_requis

    with app.app_context():
        make_requis(est_exemple=True)
    assert "Données d'exemple" in client.get("/rapports/annuaire-ato").get_data(as_text=True)
