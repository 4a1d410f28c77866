"""A fiche printed from Chromium fits on one A4 page, as the accessibility statement says."""

import base64
import re

import pytest
from selenium.webdriver.common.print_page_options import PrintOptions
from sqlalchemy import select

from ato.directory import seeding
from ato.directory.models import Requis
from ato.extensions import db

pytestmark = pytest.mark.e2e

#: The longest example fiche with 1, 2 and 4 services (descriptions, channels, coverage).
FICHES = {
    1: "Exemple-Martin",
    2: "Institut Exemple de cancérologie de Garonne (fictif)",
    4: "CHU fictif de Toulouse (exemple)",
}
#: How many services a fiche may have and still print on one page (the statement's claim).
ONE_PAGE_UP_TO = 4


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF: its page objects (``/Type /Page``, not ``/Pages``)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_pdf_pages_are_counted_from_their_page_objects():
    assert pdf_pages(b"<< /Type /Pages /Count 2 >> << /Type /Page >> << /Type/Page >>") == 2


@pytest.fixture
def examples(app):
    with app.app_context():
        seeding.load_examples()
        db.session.commit()
        return {
            r.nom: (r.id, len(r.services))
            for r in db.session.scalars(select(Requis).where(Requis.est_exemple))
        }


@pytest.mark.parametrize("count", sorted(FICHES))
def test_a_fiche_prints_on_one_a4_page(browser, live_server, examples, count):
    requis_id, services = next(v for k, v in examples.items() if k.startswith(FICHES[count]))
    assert services == count
    browser.get(f"{live_server['url']}/requis/{requis_id}")
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in centimetres
    options.margin_top = options.margin_bottom = 1.0
    options.margin_left = options.margin_right = 1.0
    pdf = base64.b64decode(browser.print_page(options))
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1
