"""Report fixtures: the seeded topics, a logged-in staff client, and HTML/CSV readers."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

import pytest

from ato.extensions import db
from ato.reports import seeding
from tests.staff import login, make_user


@pytest.fixture
def seeded(app):
    """The report topics, figures and dataset descriptions of seed/rapports.json."""
    with app.app_context():
        seeding.load_reports()
        db.session.commit()


@pytest.fixture
def staff(app, client):
    make_user(app)
    login(client)
    return client


def plain(text: str) -> str:
    """Text as a reader sees it: any run of spaces (no-break ones too) is one space."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._current = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._current is not None:
            self._current.append([])
        elif tag in ("td", "th") and self._current is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._current = None
        elif tag in ("td", "th") and self._cell is not None and self._current is not None:
            self._current[-1].append(plain("".join(self._cell)))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_table(html: str, table_id: str) -> list[list[str]]:
    """Rows of a table (header row first) as the text of each cell."""
    parser = _Tables()
    parser.feed(html)
    assert table_id in parser.tables, f"no table #{table_id}"
    return parser.tables[table_id]


def csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


FRENCH_NUMBER = re.compile(r"^[−-]?(\d+|\d{1,3}( \d{3})+)(,\d+)?$")


def html_cell_value(text: str) -> object:
    """A table cell as a value: a French number → Decimal, « non renseigné » → None."""
    if text in ("non renseigné", "Aucune donnée."):
        return None
    if FRENCH_NUMBER.match(text):
        return Decimal(text.replace(" ", "").replace(",", ".").replace("−", "-"))
    return text


def csv_cell_value(text: str) -> object:
    if text == "":
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return text[1:] if text.startswith("'") else text


def assert_csv_equals_table(html: str, table_id: str, data: bytes) -> None:
    table = [[html_cell_value(c) for c in row] for row in html_table(html, table_id)]
    rows = [[csv_cell_value(c) for c in row] for row in csv_rows(data)]
    assert len(rows) > 1
    assert rows == table


def publish_dataset(app, cle: str, values: dict[str, str]) -> None:
    """Give a seeded dataset its values and publish it, as staff would."""
    from sqlalchemy import select

    from ato.reports import services
    from ato.reports.models import JeuDepartemental

    with app.app_context():
        jeu = db.session.scalars(select(JeuDepartemental).where(JeuDepartemental.cle == cle)).one()
        parsed = services.ParsedCsv({k: Decimal(v) for k, v in values.items()}, len(values))
        services.replace_valeurs(jeu, parsed, {}, None)
        services.set_jeu_publie(jeu, True, None)
        db.session.commit()


# Demand values made up for the tests only (never shown outside the test database).
TEST_DEMAND = {
    "09": "1200",
    "11": "5000",
    "12": "4999",
    "30": "7300",
    "31": "25000",
    "32": "800",
    "34": "15000",
    "46": "900",
    "48": "300",
    "65": "2500",
    "66": "6100",
    "81": "3900",
    "82": "2100",
}
