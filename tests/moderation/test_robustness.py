"""Hostile or odd input to the back office gets a page, never a server error."""

import html

import pytest

from tests.backoffice import post
from tests.factories import make_requis


@pytest.mark.parametrize(
    "url",
    [
        "/admin/journal?fin=9999-12-31",
        "/admin/journal?debut=0001-01-01",
        "/admin/journal?debut=pas-une-date&objet_id=99999999999999999999",
        "/admin/journal?page=99999999999999999999",
        "/admin/fiches?page=-3&specialite=%C2%B2",
        "/admin/journal?endpoint=x&_external=1&_anchor=y",
        "/admin/fiches?endpoint=x&q=%00%01",
        "/admin/journal.csv?fin=9999-12-31&endpoint=x",
        "/admin/journal?acteur=%00x",
        "/admin/journal.csv?acteur=%00x",
    ],
)
def test_odd_query_strings_get_a_page(staff, url):
    response = staff.get(url)
    assert response.status_code == 200, url


@pytest.mark.parametrize(
    "url",
    [
        "/admin/fiches/99999999999999999999",
        "/admin/demandes/99999999999999999999",
        "/requis/99999999999999999999",
    ],
)
def test_ids_beyond_the_database_range_are_not_found(staff, url):
    assert staff.get(url).status_code == 404


def test_filter_links_carry_only_the_filters(app, staff):
    page = staff.get("/admin/journal?action=&acteur=bob&evil=1").get_data(as_text=True)
    assert "evil" not in page
    assert "acteur=bob" in html.unescape(page)


def test_campaign_ignores_non_ascii_digits_and_huge_ids(app, staff, smtp):
    response = post(
        staff,
        "/admin/fraicheur/campagne",
        {"requis": ["²", "9" * 30, "-1"]},
        "/admin/fraicheur",
    )
    assert response.status_code == 303
    assert smtp.messages == []


def test_removing_a_service_with_an_odd_index_is_harmless(app, staff):
    with app.app_context():
        rid = make_requis(contact_nom="C", contact_email="c@exemple.fr").id
    for action in ("retirer-service-²", "retirer-service-99999999999999999999"):
        response = staff.post(f"/admin/fiches/{rid}/modifier", data={"action": action})
        assert response.status_code in (200, 422), action


@pytest.mark.parametrize("url", ["/admin/fiches", "/admin/fiches?q=chu", "/admin/journal"])
def test_filters_left_empty_are_not_errors(staff, url):
    page = html.unescape(staff.get(url).get_data(as_text=True))
    assert "choix valide" not in page and 'aria-invalid="true"' not in page
