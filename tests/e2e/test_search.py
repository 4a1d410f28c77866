"""A requérant searches in a real browser: words, facets, then the fiche."""

import pytest
from selenium.webdriver.common.by import By

from tests.factories import make_requis, make_service

pytestmark = pytest.mark.e2e


@pytest.fixture
def entries(app):
    with app.app_context():
        make_requis(
            nom="CHU fictif de Toulouse",
            departement="31",
            services=[
                make_service(
                    "dermatologie",
                    couverture=["31"],
                    nom="Télédermatologie",
                    description="Avis sur les lésions cutanées et les plaies.",
                )
            ],
        )
        make_requis(
            nom="CH fictif de Montpellier",
            departement="34",
            ville="Montpellier",
            services=[make_service("dermatologie", couverture=["34"], nom="Dermatologie adulte")],
        )


def test_search_then_narrow_by_departement_then_open_the_fiche(browser, live_server, entries):
    browser.get(live_server["url"] + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("dermato")
    box.submit()
    heading = browser.find_element(By.ID, "resultats-titre")
    assert heading.text.startswith("2 résultats")

    facets = browser.find_element(By.CSS_SELECTOR, ".facets")
    facets.find_element(By.PARTIAL_LINK_TEXT, "Hérault (34)").click()
    assert browser.find_element(By.ID, "resultats-titre").text.startswith("1 résultat")
    assert "departement=34" in browser.current_url and "q=dermato" in browser.current_url

    browser.find_element(By.LINK_TEXT, "CH fictif de Montpellier").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "CH fictif de Montpellier"


def test_place_word_narrows_and_says_so(browser, live_server, entries):
    browser.get(live_server["url"] + "/recherche?q=dermato+toulouse")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "1 résultat" in main
    assert "déduit de « toulouse »" in main


@pytest.mark.parametrize(
    "query", ["alzheimer+loz%C3%A8re", "dermato+toulouse+montpellier", "opthalmo", "zzzz"]
)
def test_search_pages_have_no_axe_violation(app, browser, live_server, entries, query):
    """The CIM-11 notice, the place notice, the suggestion and zero results, as axe sees them."""
    from tests.e2e.test_reports import axe_violations
    from tests.factories import make_lozere_geriatric_unit

    with app.app_context():
        make_lozere_geriatric_unit()
    browser.get(f"{live_server['url']}/recherche?q={query}")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Rechercher")
    violations = axe_violations(browser)
    assert violations == [], [(v["id"], v["help"]) for v in violations]
