"""Public directory pages."""

import html
import re

import pytest

from ato.extensions import db
from tests.factories import make_requis, make_service


@pytest.fixture
def directory(app):
    """A small directory around the Hérault (34) and the Gard (30)."""
    with app.app_context():
        located = make_requis(
            nom="CH fictif de Montpellier",
            departement="34",
            ville="Montpellier",
            services=[
                make_service(
                    "dermatologie",
                    couverture=["34", "30"],
                    nom="Dermatologie adulte",
                    canaux=(
                        ("teleo", "https://teleo.exemple.invalid/d/34"),
                        ("mssante", "derm@ch-fictif.mssante.fr"),
                        ("telephone", "04 65 71 00 01"),
                    ),
                )
            ],
        )
        regional = make_requis(
            nom="Centre régional fictif",
            departement="31",
            ville="Toulouse",
            services=[
                make_service(
                    "dermatologie",
                    couverture="region",
                    nom="Téléderm régionale",
                    thematiques=("plaies-et-cicatrisation",),
                )
            ],
        )
        neighbour = make_requis(
            nom="Clinique fictive du Gard",
            departement="30",
            ville="Nîmes",
            services=[make_service("cardiologie", couverture=["30", "34"], nom="Cardio")],
        )
        elsewhere = make_requis(
            nom="Hôpital fictif de Rodez",
            departement="12",
            ville="Rodez",
            services=[make_service("cardiologie", couverture=["12"], nom="Cardio Aveyron")],
        )
        pending = make_requis(
            nom="Entrée en attente",
            statut="en_attente",
            departement="34",
            services=[make_service("dermatologie", couverture="region")],
        )
        archived = make_requis(
            nom="Entrée archivée",
            statut="archivee",
            departement="34",
            services=[make_service("dermatologie", couverture="region")],
        )
        return {
            name: r.id
            for name, r in {
                "located": located,
                "regional": regional,
                "neighbour": neighbour,
                "elsewhere": elsewhere,
                "en_attente": pending,
                "archivee": archived,
            }.items()
        }


def text_of(response):
    return response.get_data(as_text=True)


PUBLIC_PAGES = [
    "/",
    "/departements",
    "/departements/34/herault",
    "/specialites",
    "/specialites/dermatologie",
    "/recherche?q=entr%C3%A9e",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_unpublished_entries_never_appear(client, directory, path):
    page = text_of(client.get(path))
    assert "Entrée en attente" not in page
    assert "Entrée archivée" not in page


@pytest.mark.parametrize("key", ["en_attente", "archivee"])
def test_unpublished_requis_page_is_not_found(client, directory, key):
    assert client.get(f"/requis/{directory[key]}/x").status_code == 404
    assert client.get(f"/requis/{directory[key]}").status_code == 404


def test_departement_page_includes_regional_recourses_with_a_badge(client, directory):
    page = text_of(client.get("/departements/34/herault"))
    assert "Centre régional fictif" in page
    card = page[page.index("Centre régional fictif") :]
    assert "Recours régional" in card[: card.index("</article>")]


def test_departement_page_distinguishes_recourses_located_in_it(client, directory):
    page = html.unescape(text_of(client.get("/departements/34/herault")))
    cards = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<article.*?<a href="[^"]+">([^<]+)</a>.*?</article>', page, re.S)
    }
    assert "Situé dans l'Hérault" in cards["CH fictif de Montpellier"]
    assert "Situé dans le Gard" in cards["Clinique fictive du Gard"]
    assert "Situé dans l'Hérault" not in cards["Centre régional fictif"]
    assert "3 recours acceptent les demandes venant de l'Hérault" in page
    assert "dont 1 situé dans l'Hérault." in page


def test_departement_page_leaves_out_recourses_that_do_not_accept_it(client, directory):
    assert "Hôpital fictif de Rodez" not in text_of(client.get("/departements/34/herault"))


def test_departement_page_groups_by_specialty(client, directory):
    page = text_of(client.get("/departements/34/herault"))
    headings = re.findall(r'<h2 id="spec-[^"]+">([^<]+)</h2>', page)
    assert headings == sorted(headings, key=str.lower)
    assert len(headings) == 2


def test_specialty_page_groups_by_departement_and_includes_thematiques(client, directory):
    page = text_of(client.get("/specialites/dermatologie"))
    assert re.findall(r'<h2 id="dep-(\d+)">', page) == ["31", "34"]
    tagged = text_of(client.get("/specialites/plaies-et-cicatrisation"))
    assert "Centre régional fictif" in tagged
    assert "CH fictif de Montpellier" not in tagged


def test_home_counts_recourses_accepting_each_departement(client, directory):
    page = text_of(client.get("/"))

    def count_for(name):
        match = re.search(re.escape(name) + r'</a>\s*<span class="count">(\d+) recours', page)
        return int(match.group(1))

    assert count_for("Hérault (34)") == 3  # located, neighbour, regional
    assert count_for("Gard (30)") == 3
    assert count_for("Aveyron (12)") == 2  # elsewhere + regional
    assert count_for("Lozère (48)") == 1  # regional only


def test_home_hides_specialties_without_recourses(client, directory):
    page = text_of(client.get("/"))
    assert "/specialites/dermatologie" in page
    assert "/specialites/neurologie" not in page


def test_requis_page_explains_how_to_send_a_request(client, directory):
    response = client.get(f"/requis/{directory['located']}/ch-fictif-de-montpellier")
    page = text_of(response)
    assert response.status_code == 200
    assert "Comment adresser une demande" in page
    assert 'href="https://teleo.exemple.invalid/d/34"' in page
    assert 'href="mailto:derm@ch-fictif.mssante.fr"' in page
    assert 'href="tel:0465710001"' in page
    assert "Médecins généralistes" in page and "Photographies" in page and "sous 48 h" in page
    assert page.count("<h1") == 1


def test_requis_page_says_when_it_was_verified(client, app, directory):
    from datetime import UTC, datetime

    from ato.directory.models import Requis

    with app.app_context():
        db.session.get(Requis, directory["located"]).verified_at = datetime(
            2026, 3, 14, 10, tzinfo=UTC
        )
        db.session.commit()
    page = text_of(client.get(f"/requis/{directory['located']}/ch-fictif-de-montpellier"))
    assert "(le 14 mars 2026)" in page


@pytest.mark.parametrize("suffix", ["", "/mauvais-slug"])
def test_requis_page_redirects_to_its_canonical_slug(client, directory, suffix):
    response = client.get(f"/requis/{directory['located']}{suffix}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(
        f"/requis/{directory['located']}/ch-fictif-de-montpellier"
    )


@pytest.mark.parametrize("suffix", ["", "/herult"])
def test_departement_page_redirects_to_its_canonical_slug(client, directory, suffix):
    response = client.get(f"/departements/34{suffix}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/departements/34/herault")


@pytest.mark.parametrize(
    "path",
    [
        "/requis/999999",
        "/requis/999999/x",
        "/requis/abc",
        "/departements/75",
        "/departements/75/paris",
        "/specialites/inconnue",
        "/specialites/<script>",
    ],
)
def test_unknown_ids_and_slugs_are_not_found(client, directory, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in text_of(response)


def test_example_entries_are_marked(client, app):
    with app.app_context():
        requis = make_requis(nom="Clinique Exemple", est_exemple=True)
        rid = requis.id
    home = text_of(client.get("/"))
    assert "Données d'exemple" in home
    page = text_of(client.get(f"/requis/{rid}/clinique-exemple"))
    assert "Fiche d'exemple" in page
    assert 'class="badge badge-example"' in text_of(client.get("/specialites/dermatologie"))


def test_real_entries_carry_no_example_mark(client, directory):
    assert "Données d'exemple" not in text_of(client.get("/"))
    assert "badge-example" not in text_of(client.get("/departements/34/herault"))


@pytest.mark.parametrize("path", ["/accessibilite", "/mentions-legales"])
def test_accessibility_and_legal_pages_exist(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "Modèle à compléter" not in text_of(response)  # never a template shown to the public
    assert "Instance de démonstration : " in html.unescape(text_of(response))  # unset outside prod


@pytest.mark.parametrize("path", PUBLIC_PAGES + ["/requis/{located}/ch-fictif-de-montpellier"])
def test_pages_have_one_h1_a_skip_link_and_landmarks(client, directory, path):
    page = text_of(client.get(path.format(**directory)))
    assert page.count("<h1") == 1
    assert 'href="#contenu"' in page and 'id="contenu"' in page
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in page
    assert "<script" not in page and "style=" not in page


def _grow(app, count, offset):
    with app.app_context():
        for i in range(count):
            make_requis(
                nom=f"Recours {offset + i}",
                departement="34",
                commit=False,
                services=[
                    make_service(
                        "dermatologie",
                        couverture=["34"],
                        thematiques=("plaies-et-cicatrisation",),
                        canaux=(
                            ("teleo", "https://t.exemple.invalid"),
                            ("mssante", "a@b.mssante.fr"),
                        ),
                    ),
                    make_service("cardiologie", couverture="region"),
                ],
            )
        db.session.commit()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/departements",
        "/departements/34/herault",
        "/specialites",
        "/specialites/dermatologie",
        "/specialites/plaies-et-cicatrisation",
        "/recherche?q=recours",
    ],
)
def test_list_pages_run_a_constant_number_of_queries(app, client, count_queries, path):
    _grow(app, 3, 0)
    client.get(path)  # warm up: the first search of a process builds the index
    with count_queries() as small:
        assert client.get(path).status_code == 200
    _grow(app, 30, 100)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count, large.statements


def test_requis_page_runs_a_constant_number_of_queries(app, client, count_queries):
    with app.app_context():
        small = make_requis(services=[make_service()]).id
        large = make_requis(services=[make_service(thematiques=("avc",)) for _ in range(12)]).id
    with count_queries() as a:
        client.get(f"/requis/{small}/x", follow_redirects=True)
    with count_queries() as b:
        client.get(f"/requis/{large}/x", follow_redirects=True)
    assert a.count == b.count
