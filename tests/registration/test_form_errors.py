"""The registration forms say what is wrong and where, to everyone (RGAA 11.10, 11.1, 7.1)."""

import html
import re

import pytest

from tests.factories import make_requis
from tests.registration.conftest import by_id, elements, establishment_data, hidden_value

SECOND_SERVICE = {
    "services-1-nom": "",
    "services-1-specialite": "cardiologie",
    "services-1-public": "tous",
    "services-1-regional": "y",
    "services-1-canaux-0-outil": "telephone",
    "services-1-canaux-0-adresse": "0561000002",
}


def post(client, form_page, nature="etablissement", **overrides):
    _, csrf, key = form_page(nature)
    data = establishment_data(csrf_token=csrf, idempotency_key=key, **overrides)
    return client.post(f"/inscription/{nature}", data=data)


def summary_links(page: str) -> list:
    """The links of the error summary, in order."""
    found, inside = [], False
    for element in elements(page):
        if element.attrs.get("id") == "resume-erreurs":
            inside = True
        elif inside and element.tag == "a":
            found.append(element)
        elif inside and element.tag in ("nav", "h1", "form"):  # what follows the summary
            break
    return found


def title(page: str) -> str:
    return next(e.text for e in elements(page) if e.tag == "title")


def test_the_summary_lists_each_error_as_a_link_to_its_field(client, form_page):
    response = post(client, form_page, finess="", ville="", **SECOND_SERVICE)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    ids = by_id(page)
    links = summary_links(page)
    texts = [link.text for link in links]
    assert texts == [
        "Numéro FINESS (9 chiffres) : Le numéro FINESS est obligatoire.",
        "Ville : Indiquez la ville.",
        "Nom du service (service 2) : Indiquez le nom du service.",
    ]
    for link in links:
        target = ids[link.attrs["href"].removeprefix("#")]
        assert target.tag in ("input", "select", "textarea")
        assert target.attrs.get("aria-invalid") == "true"


@pytest.mark.parametrize(
    ("overrides", "target"),
    [
        ({"services-0-departements": None}, "services-0-regional"),  # the group's first box
        ({"services-0-specialite": ""}, "services-0-specialite"),
        ({"consentement": None}, "consentement"),
        ({"services-0-canaux-1-adresse": "pas une adresse"}, "services-0-canaux-1-adresse"),
    ],
)
def test_each_kind_of_error_links_to_a_field_of_the_page(client, form_page, overrides, target):
    page = post(client, form_page, **overrides).get_data(as_text=True)
    hrefs = [link.attrs["href"] for link in summary_links(page)]
    assert hrefs == [f"#{target}"]
    assert target in by_id(page)


def test_the_summary_comes_first_in_main_and_takes_the_focus(client, form_page):
    page = post(client, form_page, ville="").get_data(as_text=True)
    order = [e.attrs.get("id") or e.tag for e in elements(page)]
    summary = by_id(page)["resume-erreurs"]
    assert order.index("contenu") < order.index("resume-erreurs") < order.index("h1")
    assert summary.attrs["tabindex"] == "-1" and "autofocus" in summary.attrs
    assert "Le formulaire contient des erreurs" in summary.text


def test_a_valid_page_has_no_summary(client):
    assert "resume-erreurs" not in client.get("/inscription/etablissement").get_data(as_text=True)


def test_a_service_with_no_channel_ties_the_message_to_every_channel_field(client, form_page):
    empty = {f"services-0-canaux-{j}-{k}": "" for j in range(3) for k in ("outil", "adresse")}
    page = post(client, form_page, **empty).get_data(as_text=True)
    ids = by_id(page)
    message = ids["services-0-canaux-erreurs"]
    assert "Indiquez au moins un moyen d'adresser une demande" in message.text
    for j in range(3):
        for kind in ("outil", "adresse"):
            field = ids[f"services-0-canaux-{j}-{kind}"]
            assert field.attrs.get("aria-invalid") == "true"
            assert "services-0-canaux-erreurs" in field.attrs["aria-describedby"].split()
    assert [link.attrs["href"] for link in summary_links(page)] == ["#services-0-canaux-0-outil"]


def test_every_description_points_to_an_element_of_the_page(client, form_page):
    page = post(client, form_page, ville="", finess="1", **SECOND_SERVICE).get_data(as_text=True)
    ids = by_id(page)
    described = [e for e in elements(page) if "aria-describedby" in e.attrs]
    assert described
    for element in described:
        for target in element.attrs["aria-describedby"].split():
            assert target in ids, target


def test_channel_rows_are_numbered_and_never_autofilled(client):
    page = client.get("/inscription/etablissement").get_data(as_text=True)
    labels = {e.attrs.get("for"): e.text for e in elements(page) if e.tag == "label"}
    assert labels["services-0-canaux-1-outil"] == "Moyen 2 : outil"
    assert labels["services-0-canaux-1-adresse"] == "Moyen 2 : lien, adresse MSSanté ou téléphone"
    assert "Adresse" not in [text for key, text in labels.items() if "canaux" in (key or "")]
    ids = by_id(page)
    assert ids["services-0-canaux-0-adresse"].attrs["autocomplete"] == "off"


def test_remove_buttons_name_the_service_they_remove(client, form_page):
    extra = {**SECOND_SERVICE, "services-1-nom": "Télécardiologie"}
    page = post(client, form_page, action="ajouter-service", **extra).get_data(as_text=True)
    names = [e.text for e in elements(page) if e.tag == "button" and e.text.startswith("Retirer")]
    assert names == [
        "Retirer le service 1 (Télédermatologie)",
        "Retirer le service 2 (Télécardiologie)",
        "Retirer le service 3",
    ]


def test_adding_a_service_lands_on_the_new_block_and_says_so(client, form_page):
    page = client.get("/inscription/etablissement").get_data(as_text=True)
    add = next(e for e in elements(page) if e.attrs.get("value") == "ajouter-service")
    assert add.attrs["formaction"] == "/inscription/etablissement#service-2"
    response = post(client, form_page, action="ajouter-service")
    page = response.get_data(as_text=True)
    block = by_id(page)["service-2"]
    assert block.attrs["tabindex"] == "-1" and "open" in block.attrs
    assert "Service 2 ajouté" in block.text
    assert "resume-erreurs" not in page  # adding checks nothing yet


def test_a_complete_service_folds_and_one_with_an_error_stays_open(client, form_page):
    page = post(client, form_page, action="ajouter-service").get_data(as_text=True)
    assert "open" not in by_id(page)["service-1"].attrs  # complete: folded, still sent
    assert 'value="Télédermatologie"' in page
    page = post(client, form_page, **{"services-0-nom": ""}).get_data(as_text=True)
    assert "open" in by_id(page)["service-1"].attrs


def test_inputs_are_sized_to_what_is_typed(client):
    ids = by_id(client.get("/inscription/liberal").get_data(as_text=True))
    assert ids["code_postal"].attrs["class"] == "input-xs"
    assert ids["rpps"].attrs["class"] == "input-s"
    assert ids["telephone"].attrs["class"] == "input-m"


def test_a_failed_registration_says_erreur_in_its_title(client, form_page):
    assert not title(client.get("/inscription/etablissement").get_data(as_text=True)).startswith(
        "Erreur"
    )
    page = post(client, form_page, ville="").get_data(as_text=True)
    assert title(page).startswith("Erreur : Inscrire un établissement de santé")


def test_a_duplicate_says_erreur_in_its_title(app, client, form_page):
    with app.app_context():
        make_requis(finess="310781406")
    response = post(client, form_page)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert title(page).startswith("Erreur : ")
    assert "autofocus" in by_id(page)["resume-erreurs"].attrs


def test_a_failed_error_report_says_erreur_in_its_title_and_lists_the_error(app, client):
    with app.app_context():
        rid = make_requis(nom="CHU fictif").id
    page = client.get(f"/requis/{rid}/signaler").get_data(as_text=True)
    assert title(page).startswith("Signaler une erreur")
    response = client.post(
        f"/requis/{rid}/signaler",
        data={"csrf_token": hidden_value(page, "csrf_token"), "categorie": "autre"},
    )
    page = response.get_data(as_text=True)
    assert title(page).startswith("Erreur : Signaler une erreur")
    assert [link.attrs["href"] for link in summary_links(page)] == ["#commentaire"]


@pytest.mark.parametrize("password", ["", "pas-le-bon-mot-de-passe"])
def test_a_failed_login_says_erreur_in_its_title(client, password):
    page = client.get("/connexion").get_data(as_text=True)
    assert title(page).startswith("Connexion")
    response = client.post(
        "/connexion",
        data={
            "csrf_token": hidden_value(page, "csrf_token"),
            "email": "personne@exemple.fr",
            "password": password,
        },
    )
    assert title(response.get_data(as_text=True)).startswith("Erreur : Connexion")


def test_the_error_summary_lists_what_the_schema_found_with_its_service(client, form_page):
    page = html.unescape(
        post(client, form_page, **{"services-0-canaux-0-adresse": "javascript:alert(1)"}).get_data(
            as_text=True
        )
    )
    [link] = summary_links(page)
    assert re.match(
        r"Moyen 1 : lien, adresse MSSanté ou téléphone \(service 1\) : .*https://", link.text
    )
