"""/flux: Atom feeds of the directory's additions, modifications and withdrawals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from sqlalchemy import select

from ato.directory.models import DirectoryChange, Requis
from ato.extensions import db
from tests.factories import make_requis, make_service
from tests.opendata.conftest import SECRETS

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).with_name("atom.rng"))))
FEEDS = ("/flux/recours.atom", "/flux/departements/31.atom", "/flux/specialites/cardiologie.atom")


def atom(client, path: str) -> etree._Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    document = etree.fromstring(response.data)
    assert SCHEMA.validate(document), SCHEMA.error_log
    return document


def entries(document) -> list[dict]:
    found = []
    for entry in document.iter(f"{ATOM}entry"):
        summary = entry.find(f"{ATOM}summary")
        found.append(
            {
                "id": entry.findtext(f"{ATOM}id"),
                "title": entry.findtext(f"{ATOM}title"),
                "link": entry.find(f"{ATOM}link").get("href"),
                "summary": summary.text if summary is not None else "",
            }
        )
    return found


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_are_valid_atom_that_feedparser_reads(client, site, path):
    document = atom(client, path)
    parsed = feedparser.parse(client.get(path).data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and parsed.feed.language == "fr"
    assert len(parsed.entries) == len(entries(document)) > 0
    # The Schematron rules of RFC 4287 that RELAX NG does not check:
    assert document.find(f"{ATOM}author") is not None
    for entry in document.iter(f"{ATOM}entry"):
        links = entry.findall(f"{ATOM}link")
        assert [link.get("rel", "alternate") for link in links] == ["alternate"]  # RFC 4287 4.2.7.2


def test_entries_say_addition_modification_and_withdrawal(app, client, site):
    found = entries(atom(client, "/flux/recours.atom"))
    titles = [e["title"] for e in found]
    assert "Ajout : CHU fictif de Toulouse" in titles
    assert "Ajout : Dr Camille Martin" in titles
    assert titles[0] == "Retrait : Centre fictif de Rodez"  # the newest first
    added = next(e for e in found if e["title"] == "Ajout : CHU fictif de Toulouse")
    assert added["link"].endswith(f"/requis/{site.published}/chu-fictif-de-toulouse")
    assert "Cardiologie" in added["summary"] and "Insuffisance cardiaque" in added["summary"]
    assert "Haute-Garonne (31)" in added["summary"]
    withdrawn = found[0]
    assert withdrawn["link"] == "http://localhost/"
    assert withdrawn["summary"] == "Département : Aveyron (12)."


def test_a_withdrawal_tells_only_the_name_and_departement(client, site):
    for path in (*FEEDS, "/flux/departements/12.atom"):
        text = client.get(path).data.decode()
        for secret in SECRETS:
            assert secret not in text, (path, secret)
        assert f"/requis/{site.archived}" not in text
    (withdrawn,) = [
        e for e in entries(atom(client, "/flux/departements/12.atom")) if "Rodez" in e["title"]
    ]
    assert "Cardiologie" not in withdrawn["summary"]


def test_a_modification_is_an_entry_with_a_stable_id(app, client, site):
    with app.app_context():  # the additions were made minutes ago (one event per minute)
        for row in db.session.scalars(select(DirectoryChange)):
            row.created_at -= timedelta(minutes=5)
        db.session.commit()
    before = {e["id"] for e in entries(atom(client, "/flux/recours.atom"))}
    with app.app_context():
        db.session.get(Requis, site.liberal).ville = "Sète"
        db.session.commit()
    found = entries(atom(client, "/flux/recours.atom"))
    assert before <= {e["id"] for e in found}  # earlier events keep their ids
    new = [e for e in found if e["id"] not in before]
    assert [e["title"] for e in new] == ["Modification : Dr Camille Martin"]
    assert new[0]["id"].startswith("tag:localhost,2026:ato:requis:")
    assert atom(client, "/flux/recours.atom").findtext(f"{ATOM}id") == (
        "tag:localhost,2026:ato:flux:recours"
    )


def test_a_departement_feed_holds_the_entries_serving_or_located_there(app, client, site):
    with app.app_context():
        make_requis(
            nom="Clinique fictive de Perpignan",
            departement="66",
            services=[make_service("pneumologie", couverture=["66"])],
        )
    gers = " ".join(e["title"] for e in entries(atom(client, "/flux/departements/32.atom")))
    assert "CHU fictif de Toulouse" in gers  # it accepts requests from the Gers
    assert "Martin" not in gers and "Perpignan" not in gers and "Rodez" not in gers
    herault = " ".join(e["title"] for e in entries(atom(client, "/flux/departements/34.atom")))
    assert "Dr Camille Martin" in herault
    assert "CHU fictif de Toulouse" in herault  # its dermatology takes the whole region


def test_a_specialty_feed_holds_the_entries_with_that_specialty_or_thematique(client, site):
    cardio = " ".join(
        e["title"] for e in entries(atom(client, "/flux/specialites/cardiologie.atom"))
    )
    assert "CHU fictif de Toulouse" in cardio and "Retrait : Centre fictif de Rodez" in cardio
    assert "Martin" not in cardio
    theme = entries(atom(client, "/flux/specialites/insuffisance-cardiaque.atom"))
    assert [e["title"] for e in theme] == ["Ajout : CHU fictif de Toulouse"]


@pytest.mark.parametrize("path", ["/flux/departements/75.atom", "/flux/specialites/inconnue.atom"])
def test_an_unknown_departement_or_specialty_has_no_feed(client, path):
    assert client.get(path).status_code == 404


def test_an_unchanged_feed_answers_304(client, site):
    first = client.get("/flux/recours.atom")
    again = client.get("/flux/recours.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "/flux/recours.atom"),
        ("/departements/31/haute-garonne", "/flux/departements/31.atom"),
        ("/specialites/cardiologie", "/flux/specialites/cardiologie.atom"),
    ],
)
def test_pages_announce_and_link_their_feed(client, page, feed):
    html = client.get(page).data.decode()
    head = html.split("</head>")[0]
    assert '<link rel="alternate" type="application/atom+xml"' in head and feed in head
    body = html.split("<main")[1]
    assert f'href="{feed}"' in body and "S'abonner aux changements (Atom)" in body
