"""Hostile or odd input never gives a server error; a long-open form still submits."""

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
