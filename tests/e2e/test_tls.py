"""Over real TLS, as production runs: the forms behind secret links work, the token stays home.

Flask-WTF's CSRF check requires a same-origin Referer on HTTPS. These pages must
send one to their own origin (or their forms always fail) and none to another site
(or the secret link leaks).
"""

import http.server
import re
import ssl
import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from ato.auth import services as auth
from ato.core.access import Role
from ato.directory.models import Requis
from ato.extensions import db
from ato.mail.models import OutboxMessage
from ato.registration import services as registration
from tests.e2e.test_moderation import click
from tests.e2e.test_registration import fill
from tests.factories import make_requis

pytestmark = pytest.mark.e2e


@pytest.fixture
def other_site(tls_certificate):
    """Another https origin (another port) that records the Referer of each visit."""
    seen: list[str | None] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/":  # not the favicon the browser asks next
                seen.append(self.headers.get("Referer"))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<!doctype html><title>Autre site</title><h1>Autre site</h1>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_certificate["leaf"].configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"https://127.0.0.1:{server.server_address[1]}/", "referers": seen}
    finally:
        server.shutdown()
        server.server_close()


def leave_for(browser, url):
    """Follow a link to another site, as a click on an external link would."""
    browser.execute_script("window.location.assign(arguments[0])", url)
    WebDriverWait(browser, 15).until(lambda b: b.current_url.startswith(url))


def test_an_invited_moderator_activates_the_account_over_https(
    app, tls_browser, tls_server, other_site
):
    with app.app_context():
        _, token = auth.invite("invitee@exemple.fr", "Camille Invitée", Role.MODERATEUR)
        db.session.commit()
    link = f"{tls_server['url']}/compte/activation/{token}"

    tls_browser.get(link)
    leave_for(tls_browser, other_site["url"])
    assert other_site["referers"] == [None]  # the secret link is not sent to another site

    tls_browser.get(link)
    fill(tls_browser, "password", "une phrase de passe bien à moi")
    fill(tls_browser, "confirm", "une phrase de passe bien à moi")
    click(tls_browser, tls_browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "Le formulaire a expiré" not in tls_browser.page_source
    assert tls_browser.current_url == f"{tls_server['url']}/connexion"
    assert "Votre mot de passe est enregistré" in tls_browser.page_source

    fill(tls_browser, "email", "invitee@exemple.fr")
    fill(tls_browser, "password", "une phrase de passe bien à moi")
    click(tls_browser, tls_browser.find_element(By.CSS_SELECTOR, "form.login-form button"))
    assert tls_browser.find_element(By.TAG_NAME, "h1").text == "File d'attente"
    secure = {c["name"]: c["secure"] for c in tls_browser.get_cookies()}
    assert secure.get("session") is True
    tls_browser.delete_all_cookies()


def test_the_confirmation_button_works_over_https(app, tls_browser, tls_server, other_site):
    with app.app_context():
        rid = make_requis(nom="CH fictif de la campagne", contact_email="contact@chu-fictif.fr").id
    with app.test_request_context():
        assert registration.send_confirmation(db.session.get(Requis, rid), None)
        db.session.commit()
        body = db.session.scalars(select(OutboxMessage.body)).one()
    path = re.search(r"/confirmation/[\w-]+(?=\s)", body).group(0)
    link = tls_server["url"] + path

    tls_browser.get(link)
    leave_for(tls_browser, other_site["url"])
    assert other_site["referers"] == [None]

    tls_browser.get(link)
    button = tls_browser.find_element(By.XPATH, "//button[.='Ma fiche est toujours exacte']")
    click(tls_browser, button)
    assert "Le formulaire a expiré" not in tls_browser.page_source
    assert tls_browser.find_element(By.TAG_NAME, "h1").text == "Fiche confirmée"
    with app.app_context():
        assert db.session.get(Requis, rid).verified_at is not None
