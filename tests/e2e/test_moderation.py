"""A moderator publishes, in a real browser, the submission of the registration browser path."""

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.test_registration import _gone, fill, register_an_establishment
from tests.staff import PASSWORD, make_user

pytestmark = pytest.mark.e2e


def click(browser, element):
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 15).until(lambda _: _gone(page))


def test_a_moderator_publishes_a_browser_registration(app, browser, live_server):
    tracking = register_an_establishment(browser, live_server)
    make_user(app)

    browser.get(live_server["url"] + "/admin/")
    assert "/connexion" in browser.current_url  # deny by default
    fill(browser, "email", "moderatrice@ato.invalid")
    fill(browser, "password", PASSWORD)
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.login-form button[type=submit]"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "File d'attente"

    click(browser, browser.find_element(By.LINK_TEXT, "Clinique fictive du navigateur"))
    assert "Clinique fictive du navigateur" in browser.find_element(By.TAG_NAME, "h1").text
    publish = browser.find_element(By.XPATH, "//button[normalize-space()='Publier']")
    click(browser, publish)
    assert "Décision enregistrée." in browser.page_source

    browser.get(live_server["url"] + "/recherche?q=clinique+fictive+navigateur")
    results = browser.find_element(By.TAG_NAME, "main").text
    assert "Clinique fictive du navigateur" in results

    browser.get(tracking)
    assert "Publiée" in browser.find_element(By.TAG_NAME, "main").text

    browser.get(live_server["url"] + "/admin/")
    logout = browser.find_element(
        By.XPATH, "//button[starts-with(normalize-space(), 'Se déconnecter')]"
    )
    click(browser, logout)
    browser.get(live_server["url"] + "/admin/")
    assert "/connexion" in browser.current_url
