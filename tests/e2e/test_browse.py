"""A requérant browses the directory in a real browser, served by gunicorn."""

import re
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.conftest import worker_pids
from tests.factories import make_requis, make_service

pytestmark = pytest.mark.e2e

ACCESS_URL = "https://teleo.exemple.invalid/demande/dermato-montpellier"


@pytest.fixture
def entries(app):
    with app.app_context():
        requis = make_requis(
            nom="CH fictif de Montpellier",
            departement="34",
            ville="Montpellier",
            services=[
                make_service(
                    "dermatologie",
                    couverture=["34"],
                    nom="Télédermatologie",
                    canaux=(("teleo", ACCESS_URL), ("mssante", "dermato@ch-fictif.mssante.fr")),
                )
            ],
        )
        return {"requis": requis.id}


def test_home_to_departement_to_requis_to_the_tool_link(browser, live_server, entries):
    browser.get(live_server["url"] + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Trouver un recours")

    browser.find_element(By.PARTIAL_LINK_TEXT, "Hérault (34)").click()
    assert "Hérault" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.LINK_TEXT, "CH fictif de Montpellier").click()

    assert browser.find_element(By.TAG_NAME, "h1").text == "CH fictif de Montpellier"
    assert re.search(rf"/requis/{entries['requis']}/ch-fictif-de-montpellier$", browser.current_url)
    how_to = browser.find_element(By.CSS_SELECTOR, ".how-to")
    assert "Comment adresser une demande" in how_to.text
    tool = how_to.find_element(By.PARTIAL_LINK_TEXT, "Adresser via TéléO")
    assert tool.get_attribute("href") == ACCESS_URL
    mail = how_to.find_element(By.PARTIAL_LINK_TEXT, "dermato@ch-fictif.mssante.fr")
    assert mail.get_attribute("href") == "mailto:dermato@ch-fictif.mssante.fr"
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_skip_link_is_the_first_stop_and_leads_to_the_content(browser, live_server, entries):
    browser.get(live_server["url"] + "/departements")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == "Aller au contenu"
    assert focused.is_displayed()
    focused.send_keys(Keys.ENTER)
    assert browser.current_url.endswith("#contenu")


def test_search_box_on_the_home_page_finds_by_name(browser, live_server, entries):
    browser.get(live_server["url"] + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("Montpellier")
    box.submit()
    assert "1 résultat" in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.LINK_TEXT, "CH fictif de Montpellier")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/departements/34/herault",
        "/specialites/dermatologie",
        "/specialites",
        "/accessibilite",
    ],
)
def test_gunicorn_with_two_workers_serves_the_same_pages(client, live_server, entries, path):
    assert len(worker_pids(live_server["pid"])) == 2
    expected = client.get(path)
    with urllib.request.urlopen(live_server["url"] + path, timeout=10) as response:  # noqa: S310
        served = response.read().decode()
        assert response.status == expected.status_code == 200
        assert response.headers["Content-Security-Policy"]
    h1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
    assert h1.search(served).group(1) == h1.search(expected.get_data(as_text=True)).group(1)


def test_responses_do_not_name_the_server_software(live_server):
    import urllib.request

    with urllib.request.urlopen(live_server["url"] + "/departements", timeout=10) as response:  # noqa: S310
        assert "gunicorn" not in response.headers.get("Server", "").lower()
