"""/donnees: what the files are, their licence, their freshness and every column."""

from __future__ import annotations

import json
from html import unescape

from ato.opendata import schema


def test_the_page_explains_every_column_from_the_package_schemas(client, site):
    html = unescape(client.get("/donnees").data.decode())
    package = json.loads(client.get("/donnees/datapackage.json").data)
    for resource in package["resources"][:2]:
        assert resource["path"] in html
        for field in resource["schema"]["fields"]:
            assert f"<code>{field['name']}</code>" in html, field["name"]
            assert field["title"] in html and field["description"] in html, field["name"]
        assert "Clé : " + ", ".join(resource["schema"]["primaryKey"]) in html


def test_the_page_gives_the_licence_the_last_change_and_the_other_doors(client, site):
    html = unescape(client.get("/donnees").data.decode())
    assert schema.LICENCE["title"] in html and schema.LICENCE["path"] in html
    assert "Dernier changement de l'annuaire : " in html
    for url in (
        "/donnees/recours.csv",
        "/donnees/canaux.csv",
        "/donnees/recours.json",
        "/donnees/datapackage.json",
        "/flux/recours.atom",
        "/api/v1/",
        "/fhir/metadata",
    ):
        assert f'href="{url}"' in html, url


def test_an_empty_directory_has_a_page_and_valid_files(client):
    assert "aucun changement" in client.get("/donnees").data.decode()
    assert client.get("/donnees/recours.csv").data.decode().count("\r\n") == 1  # the header


def test_the_footer_and_the_home_page_lead_to_the_open_data(client):
    html = client.get("/").data.decode()
    assert html.count('href="/donnees"') == 2  # the home page and the footer
    assert 'href="/donnees"' in client.get("/specialites").data.decode()
