"""Report pages in a real Chromium: no violation found by axe, and no JavaScript needed."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from ato.extensions import db
from ato.reports import seeding
from tests.factories import make_requis, make_service
from tests.reports.conftest import TEST_DEMAND, publish_dataset

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PAGES = [
    "/rapports",
    "/rapports/teleo-2023",
    "/rapports/teleconsultation-2023",
    "/rapports/annuaire-ato",
    "/rapports/teleo-2023/demandes-emises",  # a published dataset: map, legend, table
    "/rapports/teleo-2023/demandes-recues",  # not yet published: says so
    "/rapports/annuaire-ato/recours-par-departement",
    "/rapports/annuaire-ato/publications-par-mois",
    "/rapports/offre-et-demande",
]


@pytest.fixture
def reports(app):
    with app.app_context():
        seeding.load_reports()
        db.session.commit()
        make_requis(departement="34", services=[make_service("cardiologie", couverture=["34"])])
        make_requis(nature="liberal", departement="31")
        make_requis(
            nature="dispositif",
            departement="65",
            finess=None,
            services=[make_service("geriatrie", couverture=["65", "32"])],
        )
    publish_dataset(app, "teleo-2023-demandes-emises", TEST_DEMAND)


def axe_violations(browser) -> list[dict]:
    browser.execute_script(AXE)
    browser.set_script_timeout(60)
    return browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))
          .catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));
        """
    )


@pytest.mark.parametrize("path", PAGES)
def test_report_page_has_no_axe_violation(browser, live_server, reports, path):
    browser.get(live_server["url"] + path)
    assert browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_elements(By.TAG_NAME, "script") == []
    violations = axe_violations(browser)
    assert violations == [], "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes']}" for v in violations
    )


def test_map_table_and_csv_link_work_with_javascript_disabled(
    browser_without_javascript, live_server, reports
):
    browser = browser_without_javascript
    browser.get(live_server["url"] + "/rapports/teleo-2023/demandes-emises")
    svg = browser.find_element(By.CSS_SELECTOR, "svg.carte")
    assert svg.size["width"] > 200 and svg.size["height"] > 100
    assert len(svg.find_elements(By.CSS_SELECTOR, "path.zone")) == 13
    rows = browser.find_elements(By.CSS_SELECTOR, "#g-demandes-emises-tableau tbody tr")
    assert len(rows) == 13
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Télécharger les données")
    assert link.get_attribute("href").endswith("/rapports/teleo-2023/demandes-emises.csv")


def test_the_live_statistics_render_their_charts_with_javascript_disabled(
    browser_without_javascript, live_server, reports
):
    browser = browser_without_javascript
    browser.get(live_server["url"] + "/rapports/annuaire-ato")
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 5
    assert all(chart.size["width"] > 200 for chart in charts)
    browser.find_element(By.CSS_SELECTOR, "h2 a[href$='/recours-par-departement']").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Recours par département"


def test_staff_report_pages_have_no_axe_violation_even_showing_upload_errors(
    app, browser, live_server, reports, tmp_path
):
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.e2e.test_registration import _gone
    from tests.staff import PASSWORD, make_user

    make_user(app)
    browser.get(live_server["url"] + "/connexion?next=/admin/rapports/")
    browser.find_element(By.NAME, "email").send_keys("moderatrice@ato.invalid")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit].button-primary").click()
    try:
        WebDriverWait(browser, 15).until(lambda _: _gone(page))
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Rapports")
        assert axe_violations(browser) == []
        browser.find_element(By.PARTIAL_LINK_TEXT, "Remplacer les valeurs").click()
        bad = tmp_path / "valeurs.csv"
        bad.write_text("code_departement;valeur\n75;12\n31;beaucoup\n", encoding="utf-8")
        browser.find_element(By.NAME, "fichier").send_keys(str(bad))
        page = browser.find_element(By.TAG_NAME, "html")
        browser.find_element(By.CSS_SELECTOR, "button.button-primary").click()
        WebDriverWait(browser, 15).until(lambda _: _gone(page))
        errors = browser.find_element(By.ID, "fichier-erreurs").text
        assert "Ligne 2" in errors and "Ligne 3" in errors
        violations = axe_violations(browser)
        assert violations == [], violations
    finally:
        browser.delete_all_cookies()
