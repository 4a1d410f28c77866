"""Every page type, public and staff, in Chromium at a desktop and a phone width.

On each page axe-core finds no WCAG 2.1 A/AA violation and the page does not
scroll sideways (RGAA 10.11). Error states are pages too: a registration form,
a login and an error report sent back with their errors.

With ``ATO_SCREENSHOT_DIR`` set, a full-page screenshot of each page at each
width is written there (``<page>-<width>.png``): the pictures of the product
as its users see it, taken from the same run that checks it.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ato.core.access import Role
from ato.core.models import paris_day, utcnow
from ato.directory.models import NatureRequis
from ato.extensions import db
from ato.links.models import LinkCheck, LinkState
from ato.reports import seeding
from tests.e2e.test_registration import _gone, fill
from tests.e2e.test_reports import axe_violations
from tests.factories import make_requis, make_service
from tests.registration.conftest import establishment_data, hidden_value
from tests.staff import PASSWORD, current_code, make_user

pytestmark = pytest.mark.e2e

WIDTHS = {"bureau": (1280, 900), "telephone": (390, 844)}
ADMIN = "admin-pages@ato.invalid"


@pytest.fixture
def site(app, live_server):
    """Published entries of each nature, a registration and a revision waiting, staff."""
    with app.app_context():
        seeding.load_reports()
        db.session.commit()
        hopital = make_requis(
            nom="Centre hospitalier fictif des Pages",
            departement="34",
            ville="Montpellier",
            services=[
                make_service("dermatologie", couverture=["34", "30"], nom="Télédermatologie"),
                make_service(
                    "cardiologie",
                    couverture="region",
                    nom="Télécardiologie",
                    canaux=(("mssante", "cardio@ch-pages.mssante.fr"),),
                ),
            ],
        )
        liberal = make_requis(nature=NatureRequis.LIBERAL, departement="31")
        # Closed from yesterday for ten days: said, no send button, another recourse offered.
        closed = make_service(
            "dermatologie",
            couverture=["34"],
            nom="Dermatologie fermée",
            canaux=(("teleo", "https://teleo.exemple.invalid/fermee"),),
        )
        closed.indisponible_du = paris_day() - timedelta(days=1)
        closed.indisponible_au = paris_day() + timedelta(days=10)
        closed.indisponible_message = "Fermeture pour congés."
        ferme = make_requis(nom="Clinique fictive fermée", departement="34", services=[closed])
        # The hospital's tool link failed its last checks: flagged on its fiche, listed for staff.
        db.session.add(
            LinkCheck(
                url=hopital.services[0].canaux[0].adresse,
                state=LinkState.BROKEN,
                reason="réponse 404",
                http_status=404,
                consecutive_failures=3,
                failing_since=utcnow(),
            )
        )
        db.session.commit()
        ids = {"hopital": hopital.id, "liberal": liberal.id, "ferme": ferme.id}
    make_user(app, email=ADMIN, role=Role.ADMINISTRATEUR)
    client = app.test_client()
    form = client.get("/inscription/etablissement").get_data(as_text=True)
    sent = client.post(
        "/inscription/etablissement",
        data=establishment_data(
            csrf_token=hidden_value(form, "csrf_token"),
            idempotency_key=hidden_value(form, "idempotency_key"),
            nom="Clinique fictive en attente",
        ),
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)
    ids["suivi"] = sent.headers["Location"]
    with app.app_context():
        from ato.registration.models import Demande

        ids["demande"] = db.session.scalars(db.select(Demande.id)).one()
    return ids


@pytest.fixture(params=list(WIDTHS))
def screen(request):
    width, height = WIDTHS[request.param]
    return {"name": request.param, "width": width, "height": height}


PUBLIC = {
    "accueil": "/",
    "departements": "/departements",
    "departement": "/departements/34",
    "specialites": "/specialites",
    "specialite": "/specialites/dermatologie",
    "donnees": "/donnees",
    "fiche": "/requis/{hopital}",
    "fiche-liberal": "/requis/{liberal}",
    "fiche-fermee": "/requis/{ferme}",
    "recherche": "/recherche?q=dermatologie",
    "recherche-vide": "/recherche?q=zzzyyyxxx",
    "inscription": "/inscription",
    "formulaire-etablissement": "/inscription/etablissement",
    "formulaire-liberal": "/inscription/liberal",
    "formulaire-dispositif": "/inscription/dispositif",
    "suivi": "{suivi}",
    "signaler": "/requis/{hopital}/signaler",
    "mentions-legales": "/mentions-legales",
    "accessibilite": "/accessibilite",
    "rapports": "/rapports",
    "rapport-annuaire": "/rapports/annuaire-ato",
    "connexion": "/connexion",
    "introuvable": "/requis/999999",
}
STAFF = {
    "admin-file": "/admin/",
    "admin-demande": "/admin/demandes/{demande}",
    "admin-fiches": "/admin/fiches",
    "admin-fiche": "/admin/fiches/{hopital}",
    "admin-fraicheur": "/admin/fraicheur",
    "admin-signalements": "/admin/signalements",
    "admin-liens": "/admin/liens",
    "admin-recherches": "/admin/recherches-sans-resultat",
    "admin-journal": "/admin/journal",
    "admin-rapports": "/admin/rapports/",
    "admin-utilisateurs": "/admin/utilisateurs",
    "admin-mot-de-passe": "/admin/compte/mot-de-passe",
    "admin-double-authentification": "/admin/compte/double-authentification",
}


def check_page(browser, screen: dict, name: str) -> None:
    """No axe violation, no sideways scroll; a screenshot when asked for."""
    violations = axe_violations(browser)
    assert violations == [], (name, violations)
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {screen['width']} px"
    folder = os.environ.get("ATO_SCREENSHOT_DIR")
    if folder:
        save_screenshot(browser, screen, Path(folder) / f"{name}-{screen['width']}.png")


def save_screenshot(browser, screen: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(screen["width"], min(max(height, screen["height"]), 8000))
    time.sleep(0.2)
    browser.save_screenshot(str(path))
    browser.set_window_size(screen["width"], screen["height"])


def submit(browser, selector: str) -> None:
    """Submit past the browser's own checks, so the server's error page is what shows."""
    page = browser.find_element(By.TAG_NAME, "html")
    button = browser.find_element(By.CSS_SELECTOR, selector)
    browser.execute_script("for (const f of document.forms) f.noValidate = true;")
    button.click()
    WebDriverWait(browser, 15).until(lambda _: _gone(page))


@pytest.mark.parametrize("name", list(PUBLIC))
def test_public_page_types_pass_axe_and_reflow(browser, live_server, site, screen, name):
    browser.delete_all_cookies()
    browser.set_window_size(screen["width"], screen["height"])
    browser.get(live_server["url"] + PUBLIC[name].format(**site))
    assert ("introuvable" in browser.title) == (name == "introuvable"), browser.title
    check_page(browser, screen, name)


@pytest.mark.parametrize(
    ("name", "path", "fields", "button"),
    [
        (
            "formulaire-erreurs",
            "/inscription/etablissement",
            {"nom": "Clinique incomplète", "finess": "310781407"},
            'button[value="envoyer"]',
        ),
        ("signaler-erreurs", "/requis/{hopital}/signaler", {}, "main button[type=submit]"),
        (
            "connexion-erreur",
            "/connexion",
            {"email": "personne@ato.invalid", "password": "pas le bon"},
            "main button[type=submit]",
        ),
    ],
)
def test_pages_showing_errors_pass_axe_and_reflow(
    browser, live_server, site, screen, name, path, fields, button
):
    browser.delete_all_cookies()
    browser.set_window_size(screen["width"], screen["height"])
    browser.get(live_server["url"] + path.format(**site))
    for field, value in fields.items():
        fill(browser, field, value)
    submit(browser, button)
    assert browser.title.startswith("Erreur"), browser.title  # RGAA 8.6: the title says so
    check_page(browser, screen, name)


@pytest.fixture(scope="module")
def staff_browser(tmp_path_factory):
    """A second Chromium, for the staff pages."""
    from tests.e2e.conftest import make_browser

    browser = make_browser(tmp_path_factory)
    yield browser
    browser.quit()


@pytest.fixture
def logged_in(app, staff_browser, live_server, site):
    """The staff browser holds an administrator's session (password, then the TOTP code).

    Every test empties the accounts and their sessions: each logs in afresh.
    """
    browser = staff_browser
    browser.delete_all_cookies()
    browser.set_window_size(*WIDTHS["bureau"])
    browser.get(live_server["url"] + "/connexion")
    fill(browser, "email", ADMIN)
    fill(browser, "password", PASSWORD)
    submit(browser, "main button[type=submit]")
    with app.app_context():
        code = current_code(ADMIN)
    fill(browser, "code", code)
    submit(browser, "main button[type=submit]")
    assert "/connexion" not in browser.current_url
    return browser


@pytest.mark.parametrize("name", list(STAFF))
def test_staff_page_types_pass_axe_and_reflow(logged_in, live_server, site, screen, name):
    browser = logged_in
    browser.set_window_size(screen["width"], screen["height"])
    browser.get(live_server["url"] + STAFF[name].format(**site))
    assert "/connexion" not in browser.current_url
    assert "introuvable" not in browser.title, browser.title
    check_page(browser, screen, name)


def test_a_closed_service_says_until_when_withdraws_its_button_and_offers_another(
    browser, live_server, site, screen
):
    browser.delete_all_cookies()
    browser.set_window_size(screen["width"], screen["height"])
    browser.get(live_server["url"] + f"/requis/{site['ferme']}")
    main = browser.find_element(By.TAG_NAME, "main")
    assert "Indisponible jusqu'au" in main.text and "Fermeture pour congés." in main.text
    assert not browser.find_elements(
        By.CSS_SELECTOR, 'a[href="https://teleo.exemple.invalid/fermee"]'
    )
    other = browser.find_element(By.PARTIAL_LINK_TEXT, "Centre hospitalier fictif des Pages")
    assert other.is_displayed()
