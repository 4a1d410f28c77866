"""Layout as Chromium renders it: reflow at 320 px, what a phone shows first, keyboard order.

Each test sets the viewport it measures (device metrics emulation) and clears it
afterwards: the browser is shared by the whole session.
"""

from contextlib import contextmanager

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ato.extensions import db
from ato.reports import seeding
from tests.e2e.test_reports import axe_violations
from tests.factories import make_requis, make_service

pytestmark = pytest.mark.e2e

SPECIALITES = [
    "allergologie", "anatomopathologie", "anesthesie-reanimation", "cardiologie",
    "chirurgie-maxillo-faciale", "chirurgie-orthopedique", "chirurgie-pediatrique",
    "chirurgie-plastique", "chirurgie-thoracique-cardiovasculaire", "urologie",
    "chirurgie-vasculaire", "chirurgie-viscerale", "dermatologie", "genetique", "geriatrie",
    "gynecologie", "gynecologie-obstetrique", "hematologie", "gastro-enterologie",
    "medecine-interne", "medecine-nucleaire", "medecine-physique-readaptation", "nephrologie",
    "neurochirurgie", "neurologie", "orl", "oncologie", "ophtalmologie", "pediatrie",
    "pneumologie", "psychiatrie", "pedopsychiatrie", "radiotherapie",
]  # fmt: skip


@pytest.fixture
def directory(app):
    """A full-looking directory: a long fiche, many specialties, every report loaded."""
    with app.app_context():
        seeding.load_reports()
        db.session.commit()
        fiche = make_requis(
            nom="Centre hospitalier fictif de Pamiers",
            departement="09",
            ville="Pamiers",
            adresse="12 avenue de la Démonstration",
            telephone="05 36 49 11 99",
            site_web="https://ch-fictif-pamiers.exemple.invalid/",
            est_exemple=True,
            services=[
                make_service(
                    "geriatrie",
                    nom="Équipe mobile de gériatrie et de soins palliatifs",
                    couverture=["09"],
                    thematiques=("soins-palliatifs",),
                    description="Avis d'une équipe gériatrique et palliative pour les patients "
                    "âgés ou en fin de vie : prise en charge de la douleur et des symptômes "
                    "difficiles, réflexion éthique, anticipation des prescriptions.",
                    disponibilite="Du lundi au vendredi, 9 h – 18 h",
                    canaux=(("telephone", "05 36 49 11 92"), ("teleo", "https://t.invalid/g")),
                ),
                make_service(
                    "cardiologie",
                    nom="Cardiologie",
                    couverture=["09", "31"],
                    description="Avis cardiologique sur un ECG, une palpitation, une "
                    "hypertension ou l'adaptation des traitements anticoagulants.",
                    canaux=(("teleo", "https://t.invalid/c"),),
                ),
            ],
        )
        for i, slug in enumerate(SPECIALITES):
            make_requis(
                nom=f"Clinique fictive numéro {i} de la Haute-Garonne",
                departement="31" if i % 2 else "34",
                services=[
                    make_service(slug, couverture=["31", "34"], description="Avis " * 30),
                    make_service("dermatologie", couverture="region"),
                ],
                commit=i == len(SPECIALITES) - 1,
            )
        return {"fiche": f"/requis/{fiche.id}/{fiche.slug}"}


@contextmanager
def viewport(browser, width: int, height: int = 844):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def page_overflow(browser) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def top_of(browser, css: str) -> float:
    return browser.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top", css
    )


PUBLIC_PAGES = [
    "/",
    "/departements",
    "/departements/31/haute-garonne",
    "/specialites",
    "/specialites/dermatologie",
    "FICHE",
    "/recherche?q=avis",
    "/recherche?q=dermatologie&departement=31",
    "/inscription",
    "/rapports",
    "/rapports/teleo-2023",
    "/rapports/annuaire-ato",
    "/rapports/annuaire-ato/recours-par-specialite",
    "/rapports/offre-et-demande",
    "/accessibilite",
]


@pytest.mark.parametrize("width", [320, 390])
def test_no_public_page_scrolls_sideways(browser, live_server, directory, width):
    wide = {}
    with viewport(browser, width):
        for path in PUBLIC_PAGES:
            path = directory["fiche"] if path == "FICHE" else path
            browser.get(live_server["url"] + path)
            if overflow := page_overflow(browser):
                wide[path] = overflow
    assert wide == {}


@pytest.mark.parametrize("width", [320, 390])
def test_no_staff_page_scrolls_sideways(app, browser, live_server, directory, width):
    from tests.e2e.test_registration import _gone
    from tests.staff import PASSWORD, make_user

    make_user(app)
    browser.get(live_server["url"] + "/connexion?next=/admin/")
    browser.find_element(By.NAME, "email").send_keys("moderatrice@ato.invalid")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit].button-primary").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(lambda _: _gone(page))
    wide = {}
    try:
        with viewport(browser, width):
            for path in ["/admin/", "/admin/fiches", "/admin/fraicheur", "/admin/rapports/"]:
                browser.get(live_server["url"] + path)
                assert browser.find_element(By.TAG_NAME, "h1").text
                if overflow := page_overflow(browser):
                    wide[path] = overflow
    finally:
        browser.delete_all_cookies()
    assert wide == {}


def test_wide_tables_scroll_in_a_labelled_focusable_region(browser, live_server, directory):
    with viewport(browser, 320):
        browser.get(live_server["url"] + "/rapports")
        table = browser.find_element(By.CSS_SELECTOR, "main table")
        region = table.find_element(By.XPATH, "..")
        assert region.get_attribute("role") == "region"
        assert region.get_attribute("aria-label")
        assert region.get_attribute("tabindex") == "0"


def test_the_home_search_box_shows_without_scrolling_on_a_phone(browser, live_server, directory):
    with viewport(browser, 390, 844):
        browser.get(live_server["url"] + "/")
        box = browser.find_element(By.ID, "q")
        assert box.is_displayed()
        # in the upper half: the browser's own bars take part of a phone's 844 px
        assert top_of(browser, "#q") + box.size["height"] < 844 / 2


def test_on_a_phone_tab_reaches_a_result_before_any_facet(browser, live_server, directory):
    with viewport(browser, 390, 844):
        browser.get(live_server["url"] + "/recherche?q=dermatologie")
        assert browser.find_elements(By.CSS_SELECTOR, ".facets a")
        submit = browser.find_element(By.CSS_SELECTOR, "#recherche-principale button[type=submit]")
        browser.execute_script("arguments[0].focus()", submit)
        first = None
        for _ in range(40):
            browser.switch_to.active_element.send_keys(Keys.TAB)
            first = browser.execute_script(
                "const e = document.activeElement;"
                "return e.closest('.facets') ? 'facet'"
                " : e.closest('.result-list') ? 'result' : null"
            )
            if first:
                break
        assert first == "result"


def test_the_first_send_button_of_a_fiche_is_above_the_fold(browser, live_server, directory):
    with viewport(browser, 1280, 800):
        browser.get(live_server["url"] + directory["fiche"])
        assert browser.find_element(By.CSS_SELECTOR, "a.canal").is_displayed()
        assert top_of(browser, "a.canal") < 800


@pytest.mark.parametrize("width", [390, 1280])
def test_bar_chart_labels_render_at_12_px_at_least(browser, live_server, directory, width):
    with viewport(browser, width):
        browser.get(live_server["url"] + "/rapports/annuaire-ato/recours-par-specialite")
        sizes = browser.execute_script(
            "return [...document.querySelectorAll('svg.barres text')].map(t =>"
            " parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"
        )
    assert len(sizes) > 2 * len(SPECIALITES) / 2
    assert min(sizes) >= 12


@pytest.mark.parametrize("path", ["/", "/departements/31/haute-garonne", "FICHE", "/specialites"])
def test_restyled_pages_have_no_axe_violation(browser, live_server, directory, path):
    path = directory["fiche"] if path == "FICHE" else path
    for width in (390, 1280):
        with viewport(browser, width):
            browser.get(live_server["url"] + path)
            violations = axe_violations(browser)
        assert violations == [], [(v["id"], v["help"], v["nodes"]) for v in violations]
