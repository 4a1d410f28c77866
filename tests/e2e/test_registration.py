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


# --- errors, checkboxes and service blocks, at desktop and phone widths ----------------------

WIDTHS = [pytest.param((1280, 900), id="1280px"), pytest.param((390, 844), id="390px")]


@pytest.fixture(params=WIDTHS)
def sized(request, browser):
    """The browser at a desktop or a phone width (put back to the default afterwards)."""
    width, height = request.param
    browser.set_window_size(width, height)
    yield browser
    browser.set_window_size(1280, 900)


def active_id(browser) -> str:
    return browser.switch_to.active_element.get_attribute("id")


def rect(browser, element) -> dict:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,"
        " width: r.width, height: r.height, vh: window.innerHeight};",
        element,
    )


def test_after_a_failed_submit_the_summary_has_the_focus_and_leads_to_each_field(
    sized, live_server
):
    browser = sized
    browser.get(live_server["url"] + "/inscription/etablissement")
    fill(browser, "nom", "Clinique fictive des erreurs")
    press(browser, "envoyer")
    assert active_id(browser) == "resume-erreurs"
    links = browser.find_elements(By.CSS_SELECTOR, "#resume-erreurs a")
    targets = [link.get_attribute("href").split("#", 1)[1] for link in links]
    assert "ville" in targets and "services-0-nom" in targets and "consentement" in targets
    for target in targets:
        browser.find_element(By.CSS_SELECTOR, f'#resume-erreurs a[href$="#{target}"]').click()
        WebDriverWait(browser, 5).until(lambda b, t=target: active_id(b) == t)
        box = rect(browser, browser.find_element(By.ID, target))
        assert box["bottom"] > 0 and box["top"] < box["vh"], target  # scrolled to it
        browser.execute_script("window.scrollTo(0, 0)")


def test_the_summary_has_the_focus_without_javascript(browser_without_javascript, live_server):
    browser = browser_without_javascript
    browser.get(live_server["url"] + "/inscription/liberal")
    press(browser, "envoyer")
    assert active_id(browser) == "resume-erreurs"
    assert browser.title.startswith("Erreur : ")


def test_checkboxes_sit_beside_their_labels_and_are_big_enough(sized, live_server):
    browser = sized
    browser.get(live_server["url"] + "/inscription/etablissement")
    browser.find_element(By.CSS_SELECTOR, "#service-1 details.fold summary").click()  # thématiques
    boxes = browser.find_elements(By.CSS_SELECTOR, '#service-1 input[type="checkbox"]')
    assert len(boxes) > 14  # toute l'Occitanie, 13 départements, the thématiques
    lefts = set()
    for box in boxes:
        label = browser.find_element(By.CSS_SELECTOR, f'label[for="{box.get_attribute("id")}"]')
        b, t = rect(browser, box), rect(browser, label)
        assert b["width"] >= 24 and b["height"] >= 24, box.get_attribute("id")
        centre = (b["top"] + b["bottom"]) / 2
        assert t["top"] <= centre <= t["bottom"], box.get_attribute("id")  # same row
        assert b["right"] <= t["left"], box.get_attribute("id")  # the box, then its text
        assert label.value_of_css_property("font-weight") == "400"
        if "departements" in box.get_attribute("id"):
            lefts.add(round(b["left"]))
    wide = browser.execute_script("return window.innerWidth") >= 1000
    assert (len(lefts) >= 3) if wide else (len(lefts) == 1)  # columns when there is room


def test_adding_a_service_leaves_the_new_block_in_view(sized, live_server):
    browser = sized
    browser.get(live_server["url"] + "/inscription/etablissement")
    fill_service(browser, 0, "Télédermatologie", "dermatologie", "31", "teleo", "https://t.fr/d")
    press(browser, "ajouter-service")
    block = browser.find_element(By.ID, "service-2")
    box = rect(browser, block)
    assert -2 <= box["top"] < box["vh"] / 2  # the new block starts at the top of the view
    assert active_id(browser) == "service-2"
    assert "Service 2 ajouté" in block.text
    assert browser.find_element(By.NAME, "services-0-nom").get_attribute("value") == (
        "Télédermatologie"
    )


def test_the_postal_code_is_narrower_than_the_city(sized, live_server):
    browser = sized
    browser.get(live_server["url"] + "/inscription/etablissement")
    postal = rect(browser, browser.find_element(By.ID, "code_postal"))
    city = rect(browser, browser.find_element(By.ID, "ville"))
    assert postal["width"] < 120 < city["width"]
