"""Hostile or odd input never gives a server error; a long-open form still submits."""

import html
import re
from datetime import timedelta

from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.registration.conftest import establishment_data

FIELDS = [
    "nom",
    "finess",
    "ville",
    "departement",
    "site_web",
    "telephone",
    "contact_email",
    "contact_nom",
    "services-0-nom",
    "services-0-specialite",
    "services-0-delai",
    "services-0-public",
    "services-0-departements",
    "services-0-canaux-0-outil",
    "services-0-canaux-0-adresse",
    "services-0-thematiques",
    "action",
    "idempotency_key",
    "services-7-nom",
    "services-0-canaux-9-adresse",
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    nature=st.sampled_from(["etablissement", "liberal", "dispositif"]),
    changes=st.dictionaries(
        st.sampled_from(FIELDS),
        st.one_of(
            st.text(max_size=80),
            st.just("x" * 5000),
            st.just("\x00\r\n<script>"),
            st.sampled_from(
                [
                    "retirer-service-99",
                    "retirer-service-x",
                    "ajouter-service",
                    "https://",
                    "javascript:alert(1)",
                    "0" * 40,
                ]
            ),
        ),
        max_size=6,
    ),
)
def test_no_form_input_gives_a_server_error(app, client, nature, changes):
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        response = client.post(f"/inscription/{nature}", data=establishment_data(**changes))
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code in (200, 303, 409, 422)


def test_a_form_left_open_for_hours_still_submits(app, client, form_page, smtp):
    html, csrf, idem = form_page()
    with freeze_time(timedelta(hours=5), tick=True):
        response = client.post(
            "/inscription/etablissement",
            data=establishment_data(csrf_token=csrf, idempotency_key=idem),
        )
    assert response.status_code == 303


def test_every_public_post_counts_even_an_invalid_one(app, client):
    """Invalid posts cost the server too: they spend the address's budget like valid ones."""
    app.config["ATO_PUBLIC_POST_RATE_LIMIT"] = "3 per hour"
    try:
        statuses = [
            client.post("/inscription/etablissement", data={"nom": "x"}).status_code
            for _ in range(5)
        ]
        other_form = client.post("/inscription/liberal", data={"nom": "x"}).status_code
    finally:
        app.config["ATO_PUBLIC_POST_RATE_LIMIT"] = "1000 per minute"
    assert statuses == [422, 422, 422, 429, 429]
    assert other_form == 429  # one budget for every public form


def test_a_post_beyond_the_form_bounds_is_refused_with_a_clear_message(client, form_page):
    from ato.directory.schema import MAX_CANAUX, MAX_SERVICES
    from tests.registration.conftest import establishment_data

    _, csrf, key = form_page()
    data = establishment_data(csrf_token=csrf, idempotency_key=key)
    for i in range(MAX_SERVICES + 5):
        data[f"services-{i}-nom"] = f"Service {i}"
    response = client.post("/inscription/etablissement", data=data)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f"au plus {MAX_SERVICES} services" in page
    shown = set(re.findall(r'name="services-(\d+)-nom"', page))
    assert len(shown) == MAX_SERVICES  # only the first ones are read and shown again

    data = establishment_data(csrf_token=csrf, idempotency_key=key)
    for j in range(MAX_CANAUX + 2):
        data[f"services-0-canaux-{j}-outil"] = "teleo"
        data[f"services-0-canaux-{j}-adresse"] = "https://teleo.exemple.fr/x"
    response = client.post("/inscription/etablissement", data=data)
    assert response.status_code == 422
    assert f"au plus {MAX_CANAUX} moyens" in html.unescape(response.get_data(as_text=True))
