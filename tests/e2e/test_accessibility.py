"""The public pages the accessibility statement lists as checked: no violation found by axe."""

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from ato.core.models import paris_day, utcnow
from tests.e2e.test_reports import axe_violations
from tests.factories import make_requis, make_service

pytestmark = pytest.mark.e2e


@pytest.fixture
def entries(app):
    today = paris_day()
    with app.app_context():
        closed = make_requis(
            nom="CH fictif fermé",
            departement="34",
            verified_at=utcnow() - timedelta(days=500),
            services=[
                make_service(
                    "dermatologie",
                    couverture=["34"],
                    indisponible_du=today - timedelta(days=1),
                    indisponible_au=today + timedelta(days=9),
                    indisponible_message="Congés",
                ),
                make_service(
                    "cardiologie",
                    couverture=["34"],
                    indisponible_du=today + timedelta(days=5),
                    indisponible_au=today + timedelta(days=9),
                ),
            ],
        )
        make_requis(
            nom="CH fictif ouvert",
            departement="34",
            verified_at=utcnow() - timedelta(days=20),
            services=[make_service("dermatologie", couverture=["34"])],
        )
        return {"fiche": f"/requis/{closed.id}"}


@pytest.mark.parametrize(
    "path", ["/", "fiche", "/departements/34/herault", "/accessibilite", "/mentions-legales"]
)
def test_public_page_has_no_axe_violation(browser, live_server, entries, path):
    browser.get(live_server["url"] + entries.get(path, path))
    assert browser.find_element(By.TAG_NAME, "h1").text
    violations = axe_violations(browser)
    assert violations == [], "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes']}" for v in violations
    )
