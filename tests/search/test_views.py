"""The /recherche page: parameters, facets, pagination, highlighting, hostile input."""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import make_requis, make_service


@pytest.fixture
def corpus(app):
    with app.app_context():
        for i in range(25):
            make_requis(
                nom=f"Clinique fictive {i:02d}",
                departement="31" if i % 2 else "34",
                commit=False,
                services=[
                    make_service(
                        "dermatologie",
                        couverture=["31", "34"],
                        nom="Télédermatologie",
                        description="Avis sur les plaies chroniques.",
                    )
                ],
            )
        make_requis(
            nom="Centre fictif de cardiologie",
            departement="12",
            ville="Rodez",
            services=[make_service("cardiologie", couverture="region")],
        )


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_results_show_count_highlight_and_the_way_to_send(client, corpus):
    html = page(client, "/recherche?q=plaies")
    assert "25 résultats" in html
    assert "<mark>plaies</mark>" in html
    assert "Adresser via TéléO" in html


def test_pagination_keeps_every_filter(client, corpus):
    html = page(client, "/recherche?q=dermato&type=etablissement&outil=teleo")
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    for part in ("q=dermato", "type=etablissement", "outil=teleo", "page=2"):
        assert part in next_link
    second = page(client, next_link)
    assert "Page 2 sur 2" in second


def test_facet_links_combine_with_the_current_filters(client, corpus):
    html = page(client, "/recherche?q=dermato&outil=teleo")
    link = re.search(r'href="([^"]*departement=34[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "outil=teleo" in link and "q=dermato" in link
    assert "13 résultats" in page(client, link + "&situe=1")  # the even ones are in 34


def test_facets_hide_values_without_results(client, corpus):
    html = page(client, "/recherche?q=dermato")
    assert "Aveyron (12)" not in html.split('id="resultats-titre"')[0].split("facettes-titre")[1]


def test_sort_by_name(client, corpus):
    html = page(client, "/recherche?q=dermato&tri=nom")
    titles = re.findall(r"Clinique fictive (\d\d)", html)
    assert titles == sorted(titles)


def test_filter_only_listing_is_served(client, corpus):
    html = page(client, "/recherche?departement=12")
    assert "Centre fictif de cardiologie" in html  # region-wide, so it accepts the Aveyron


def test_unknown_filter_values_are_ignored_with_a_message(client, corpus):
    html = page(client, "/recherche?q=dermato&departement=75&specialite=%3Cscript%3E&page=-3")
    assert "Département inconnu(e)" in html
    assert "Spécialité ou thématique inconnu(e)" in html
    assert "Numéro de page invalide" in html
    assert "<script>" not in html


def test_zero_results_offer_a_suggestion_and_browsing_links(client, corpus):
    html = page(client, "/recherche?q=dermatolgie")
    assert "Vouliez-vous dire" in html and "dermatologie" in html
    assert "/specialites" in html and "/departements" in html


def test_text_made_only_of_symbols_says_so(client, corpus):
    html = page(client, "/recherche?q=%2A%3A%3F%2A")
    assert "aucun mot exploitable" in html


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.one_of(
        st.text(max_size=300),
        st.text(alphabet=st.sampled_from('*?:"()[]{}^~!-+&|\\/ aé'), max_size=60),
        st.just("a" * 5000),
        st.just("😀🩺 \x00\x01\x1f\u202e"),
    ),
    page_number=st.one_of(st.integers(-5, 10_000).map(str), st.text(max_size=5)),
)
@example(q="dermato", page_number="²")  # str.isdigit() accepts superscripts; int() does not
def test_any_input_answers_without_a_server_error(client, q, page_number):
    response = client.get(
        "/recherche", query_string={"q": q, "page": page_number, "tri": q[:5], "departement": q[:3]}
    )
    assert response.status_code in (200, 400)
