"""An establishment registers in a real browser, without JavaScript."""

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.e2e


def fill(browser, name, value):
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def choose(browser, name, value):
    Select(browser.find_element(By.NAME, name)).select_by_value(value)


def tick(browser, name, value=None):
    selector = f'input[name="{name}"]' + (f'[value="{value}"]' if value else "")
    box = browser.find_element(By.CSS_SELECTOR, selector)
    if not box.is_selected():
        box.click()


def press(browser, value):
    """Click a submit button and wait for the next page (no JavaScript: a full reload)."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, f'button[value="{value}"]').click()
    WebDriverWait(browser, 15).until(lambda _: _gone(page))


def _gone(element) -> bool:
    """The old page is gone. During navigation Chromium may answer 'node does not belong
    to the document' instead of a stale reference: that means gone too."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one of them
        return True
    return False


def fill_service(browser, index, name, specialite, departement, outil, adresse):
    fill(browser, f"services-{index}-nom", name)
    choose(browser, f"services-{index}-specialite", specialite)
    tick(browser, f"services-{index}-departements", departement)
    choose(browser, f"services-{index}-canaux-0-outil", outil)
    fill(browser, f"services-{index}-canaux-0-adresse", adresse)


def test_register_an_establishment_with_two_services_then_track_it(browser, live_server):
    register_an_establishment(browser, live_server)


def register_an_establishment(browser, live_server) -> str:
    """The registration path (a wrong FINESS key first); returns the tracking URL."""
    browser.get(live_server["url"] + "/inscription")
    browser.find_element(By.PARTIAL_LINK_TEXT, "Établissement de santé").click()
    fill(browser, "nom", "Clinique fictive du navigateur")
    fill(browser, "finess", "310781407")  # wrong key
    fill(browser, "ville", "Toulouse")
    choose(browser, "departement", "31")
    fill(browser, "contact_nom", "Camille Exemple")
    fill(browser, "contact_email", "camille@exemple.fr")
    fill_service(
        browser,
        0,
        "Télédermatologie",
        "dermatologie",
        "31",
        "teleo",
        "https://teleo.exemple.fr/dermato",
    )
    press(browser, "ajouter-service")
    assert browser.find_element(By.NAME, "services-0-nom").get_attribute("value") == (
        "Télédermatologie"
    )
    fill_service(
        browser,
        1,
        "Télécardiologie",
        "cardiologie",
        "32",
        "mssante",
        "cardio@clinique-fictive.mssante.fr",
    )
    tick(browser, "consentement")
    press(browser, "envoyer")

    assert "Le formulaire contient des erreurs" in browser.page_source
    assert "clé de contrôle" in browser.find_element(By.ID, "finess-erreurs").text
    assert browser.find_element(By.NAME, "nom").get_attribute("value") == (
        "Clinique fictive du navigateur"
    )
    assert browser.find_element(By.NAME, "services-1-nom").get_attribute("value") == (
        "Télécardiologie"
    )

    fill(browser, "finess", "310781406")
    tick(browser, "consentement")
    press(browser, "envoyer")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Suivi de votre demande"
    assert "Merci, votre demande est enregistrée" in browser.page_source
    tracking = browser.current_url.split("?")[0]

    browser.get(tracking)
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Reçue" in main and "Clinique fictive du navigateur" in main
    return tracking
