"""The /recherche page: parameters, facets, pagination, highlighting, hostile input."""

import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import make_lozere_geriatric_unit, make_requis, make_service


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
    assert "Aveyron (12)" not in html.split('id="facettes-titre"')[1]


def test_sort_by_name(client, corpus):
    html = page(client, "/recherche?q=dermato&tri=nom")
    titles = re.findall(r"Clinique fictive (\d\d)", html)
    assert titles == sorted(titles)


def test_filter_only_listing_is_served(client, corpus):
    html = page(client, "/recherche?departement=12")
    assert "Centre fictif de cardiologie" in html  # region-wide, so it accepts the Aveyron


def test_unknown_filter_values_are_ignored_with_a_message(client, corpus):
    html = page(client, "/recherche?q=dermato&departement=75&specialite=%3Cscript%3E&page=-3")
    assert "Département inconnu : « 75 ». Ce filtre a été ignoré" in html
    assert "Spécialité inconnue : « &lt;script&gt; ». Ce filtre a été ignoré" in html
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


def href(html, text):
    """The target of the link whose text is ``text``."""
    found = re.search(rf'<a href="([^"]+)"[^>]*>\s*{re.escape(text)}', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def geriatrics(app):
    with app.app_context():
        make_lozere_geriatric_unit()
        make_requis(
            nom="CH fictif de Montpellier",
            departement="34",
            ville="Montpellier",
            services=[make_service("orl", couverture=["34"], nom="ORL")],
        )
        make_requis(
            nom="CH fictif de Toulouse",
            departement="31",
            ville="Toulouse",
            services=[make_service("orl", couverture=["31"], nom="ORL")],
        )


def test_a_place_word_is_named_with_its_accents_and_can_be_dropped(client, geriatrics):
    html = page(client, "/recherche?q=geriatrie+lozere")
    assert "« lozere »" in html and "Lozère (48)" in html
    assert href(html, "Chercher dans toute l'Occitanie") == "/recherche?q=geriatrie"
    remove = re.search(r'href="([^"]+)" aria-current="true" class="facet-selected"', html)
    assert remove.group(1) == "/recherche?q=geriatrie"


def test_the_inferred_departement_counts_its_results_in_the_facets(client, geriatrics):
    html = page(client, "/recherche?q=g%C3%A9riatrie+Loz%C3%A8re")
    selected = re.search(r'class="facet-selected">([^<]+)<span class="count">\((\d+)\)', html)
    assert selected.group(1).strip() == "Lozère (48)" and selected.group(2) == "1"
    assert "1 résultat" in html


@pytest.mark.parametrize("q", ["ORL toulouse montpellier", "ORL 31 34"])
def test_a_second_place_word_is_kept(client, geriatrics, q):
    html = page(client, "/recherche?" + urlencode({"q": q}))
    assert "Départements déduits" in html
    assert "Haute-Garonne (31)" in html and "Hérault (34)" in html
    assert "2 résultats" in html


def test_results_come_before_the_facets_in_the_page(client, corpus):
    html = page(client, "/recherche?q=dermato")
    assert html.index('class="result-list"') < html.index('class="facets"')
    assert 'href="#facettes-titre"' in html  # a phone reaches the facets by a link


def test_one_way_to_filter_the_facets(client, corpus):
    html = page(client, "/recherche?q=dermato&departement=31")
    assert 'name="departement"' in html  # kept, hidden, for the next words typed
    assert '<select id="departement"' not in html and '<select id="specialite"' not in html
    assert "Filtres appliqués" in html


def title_of(html):
    return re.search(r"<title>(.*?) — ATO", html, re.S).group(1).replace("&#34;", '"')


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/recherche", "Rechercher un recours"),
        ("/recherche?q=plaies", "Recherche « plaies » — 25 résultats, page 1 sur 2"),
        ("/recherche?q=plaies&page=2", "Recherche « plaies » — 25 résultats, page 2 sur 2"),
        (
            "/recherche?q=plaies&departement=31&situe=1",
            "Recherche « plaies », Haute-Garonne (31) — 12 résultats",
        ),
        ("/recherche?specialite=cardiologie", "Recherche Cardiologie — 1 résultat"),
        ("/recherche?q=zzzz", "Recherche « zzzz » — 0 résultat"),
    ],
)
def test_the_title_says_words_filters_count_and_page(client, corpus, url, title):
    assert title_of(page(client, url)) == title


def test_the_specialty_facet_groups_specialties_and_thematiques(app, client, corpus):
    with app.app_context():
        make_requis(
            nom="Clinique fictive des plaies",
            services=[make_service("dermatologie", thematiques=("plaies-et-cicatrisation",))],
        )
    html = page(client, "/recherche?q=plaies").split('id="facet-specialite"')[1]
    html = html.split("</section>")[0]
    assert html.index("Spécialités médicales") < html.index("Dermatologie")
    assert html.index("Dermatologie") < html.index("Pathologies et thématiques")
    assert html.index("Pathologies et thématiques") < html.index("Plaies et cicatrisation")


def test_zero_results_show_no_empty_facet_heading(client, corpus):
    html = page(client, "/recherche?q=neurochirurgie")
    assert "0 résultat" in html and "Affiner" not in html


def test_a_nul_byte_is_never_echoed(client, corpus):
    html = page(client, "/recherche?q=derma%00to")
    assert "\x00" not in html


def test_synonyms_highlight_what_they_stand_for(client, corpus):
    html = page(client, "/recherche?q=dermato")
    assert '<span class="badge"><mark>Dermatologie</mark></span>' in html


def test_a_clinical_expansion_is_explained_with_its_source(client, geriatrics):
    html = page(client, "/recherche?q=alzheimer+loz%C3%A8re")
    assert "Recherche élargie grâce à la CIM-11" in html
    assert "Maladie d&#39;Alzheimer (CIM-11 8A20)" in html
    assert "Organisation mondiale de la Santé" in html
    assert "CH fictif de Mende" in html and "Proposé via la CIM-11" in html


def test_the_legal_page_credits_the_clinical_vocabulary(client):
    html = page(client, "/mentions-legales")
    assert "CC BY-ND 3.0 IGO" in html and "Organisation mondiale de la Santé" in html


def test_searches_are_limited_per_address(app, client):
    app.config["ATO_SEARCH_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.get("/recherche?q=dermatologie").status_code for _ in range(4)]
    finally:
        app.config["ATO_SEARCH_RATE_LIMIT"] = "10000 per minute"
    assert statuses == [200, 200, 200, 429]


def test_the_table_of_zero_result_queries_is_bounded(app, client):
    from sqlalchemy import func, select

    from ato.extensions import db
    from ato.search.models import SearchMiss

    app.config["ATO_SEARCH_MISSES_MAX"] = 3
    try:
        for n in range(6):
            client.get(f"/recherche?q=zzqx{n}wv")
        client.get("/recherche?q=zzqx0wv")  # a query already held is still counted
    finally:
        app.config["ATO_SEARCH_MISSES_MAX"] = 10000
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SearchMiss)) == 3
        assert db.session.scalar(select(func.max(SearchMiss.count))) == 2
