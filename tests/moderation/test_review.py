"""The review page of a request: the entry in French words, and a revision side by side."""

import html
import re
from html.parser import HTMLParser

from ato.directory import entries
from ato.extensions import db
from ato.registration import services as registration
from ato.registration.models import Demande
from tests.factories import make_requis, make_service


class _Tables(HTMLParser):
    """Each table of a page as its caption and rows: (row class, [cell texts], inner html)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append({"class": a.get("class") or "", "cells": []})
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag in ("ins", "del") and self._cell is not None:
            self._cell.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1]["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("ins", "del") and self._cell is not None:
            self._cell.append(f"</{tag}>")

    def handle_data(self, data):
        if self._in_caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> list[dict]:
    reader = _Tables()
    reader.feed(page)
    return reader.tables


def row(page: str, label: str) -> dict:
    """The first table row whose header starts with ``label``."""
    for table in tables(page):
        for r in table["rows"]:
            if r["cells"] and r["cells"][0].startswith(label):
                return r
    raise AssertionError(f"no row {label!r}")


RAW = ("code_postal", "delai_minutes", "departements", "['", "regional", "True", "None", "canaux")


def test_a_new_registration_reads_as_an_entry_in_french(app, staff, submitted):
    page = html.unescape(staff.get(f"/admin/demandes/{submitted}").get_data(as_text=True))
    main = page[page.index("<main") :]
    for heading in ("Établissement", "Contact", "Service 1 : Télédermatologie"):
        assert re.search(rf"<h3[^>]*>{re.escape(heading)}</h3>", main), heading
    for shown in (
        "Code postal",
        "Haute-Garonne (31)",
        "Haute-Garonne (31) et Gers (32)",
        "Plaies et cicatrisation",
        "Dermatologie",
        "TéléO : https://teleo.exemple.fr/demande/dermato",
        "sous 48 h",
        "Adultes et enfants",
        "Établissement de santé",
    ):
        assert shown in main, shown
    for raw in RAW:
        assert raw not in re.sub(r"<[^>]+>", " ", main), raw


def _revision(app, published_services, proposed):
    """A pending revision of a published entry with services of these fields;
    ``proposed`` edits the entry in place."""
    with app.test_request_context():
        requis = make_requis(
            nom="CHU fictif",
            contact_email="contact@chu-fictif.fr",
            services=[make_service(**fields) for fields in published_services],
        )
        payload = entries.from_requis(requis)
        proposed(payload)
        demande, _ = registration.propose_update(requis, payload, "r" * 32)
        db.session.commit()
        return demande.id


def test_a_revision_is_shown_side_by_side_with_changes_marked(app, staff, smtp):
    def proposed(entry):
        entry["requis"]["telephone"] = "05 61 99 99 99"
        entry["services"][0]["delai_minutes"] = 168 * 60
        entry["services"][0]["departements"] = ["31", "81"]
        entry["services"][0]["regional"] = False

    did = _revision(app, [{"nom": "Télédermatologie", "couverture": "region"}], proposed)
    page = html.unescape(staff.get(f"/admin/demandes/{did}").get_data(as_text=True))
    headers = [t["rows"][0]["cells"] for t in tables(page) if t["rows"]]
    assert ["Champ", "Publié", "Proposé"] in headers
    phone = row(page, "Téléphone (standard)")
    assert "modifié" in phone["cells"][0] and "diff-changed" in phone["class"]
    assert phone["cells"][1:] == ["—", "<ins>05 61 99 99 99</ins>"]
    delay = row(page, "Délai de réponse annoncé")
    assert delay["cells"][1:] == ["<del>sous 48 h</del>", "<ins>sous 1 semaine</ins>"]
    assert row(page, "Toute l'Occitanie")["cells"][1:] == ["<del>Oui</del>", "<ins>Non</ins>"]
    assert row(page, "Départements")["cells"][2] == "<ins>Haute-Garonne (31) et Tarn (81)</ins>"
    name = row(page, "Nom du service")  # unchanged: shown, greyed, not marked
    assert "modifié" not in name["cells"][0] and "diff-same" in name["class"]
    assert name["cells"][1:] == ["Télédermatologie", "Télédermatologie"]
    for raw in RAW:
        assert raw not in re.sub(r"<[^>]+>", " ", page[page.index("<main") :]), raw


def test_a_section_without_changes_is_folded(app, staff, smtp):
    def proposed(entry):
        entry["requis"]["ville"] = "Muret"

    did = _revision(app, [{"nom": "Télédermatologie"}], proposed)
    page = html.unescape(staff.get(f"/admin/demandes/{did}").get_data(as_text=True))
    contact = re.search(r"<details[^>]*>\s*<summary>(.*?)</summary>", page, re.S)
    assert contact and "Contact" in contact.group(1) and "aucune modification" in contact.group(1)
    assert "1 champ modifié" in page


def _service_table(page, number):
    (table,) = [t for t in tables(page) if f"Service {number}" in t["caption"]]
    return [r["cells"] for r in table["rows"]]


def test_a_service_added_by_a_revision_is_said_added(app, staff, smtp):
    def proposed(entry):
        entry["services"].append({**entry["services"][0], "nom": "Nouveau service"})

    did = _revision(app, [{"nom": "Télédermatologie"}], proposed)
    page = html.unescape(staff.get(f"/admin/demandes/{did}").get_data(as_text=True))
    assert re.search(r"<h3[^>]*>Service 2 : Nouveau service\s*<[^>]*>service ajouté<", page)
    assert ["Nom du service modifié", "—", "<ins>Nouveau service</ins>"] in _service_table(page, 2)


def test_services_are_matched_by_position_and_a_removed_one_is_said_removed(app, staff, smtp):
    def proposed(entry):
        entry["services"][0]["pieces"] = "Photographies et compte rendu"
        del entry["services"][1]

    did = _revision(
        app,
        [{"nom": "Télédermatologie"}, {"nom": "Service retiré"}],
        proposed,
    )
    page = html.unescape(staff.get(f"/admin/demandes/{did}").get_data(as_text=True))
    assert re.search(r"<h3[^>]*>Service 2 : Service retiré\s*<[^>]*>service supprimé<", page)
    assert ["Nom du service modifié", "<del>Service retiré</del>", "—"] in _service_table(page, 2)
    first = _service_table(page, 1)
    assert [
        "Pièces à joindre modifié",
        "<del>Photographies</del>",
        "<ins>Photographies et compte rendu</ins>",
    ] in first
    assert ["Nom du service", "Télédermatologie", "Télédermatologie"] in first


def test_the_review_keeps_its_decisions_and_identifier_checks(app, staff, submitted):
    with app.app_context():
        demande = db.session.get(Demande, submitted)
        identity = {**demande.payload["requis"], "finess": ""}
        demande.payload = {**demande.payload, "requis": identity}
        db.session.commit()
    page = html.unescape(staff.get(f"/admin/demandes/{submitted}").get_data(as_text=True))
    assert "Établissement sans FINESS." in page
    for button in ("Publier", "Demander de compléter", "Refuser"):
        assert f">{button}</button>" in page


def test_the_queue_says_the_kind_and_state_in_french(app, staff, submitted):
    page = html.unescape(staff.get("/admin/").get_data(as_text=True))
    (line,) = [r["cells"] for t in tables(page) for r in t["rows"] if "Clinique" in r["cells"][0]]
    assert line[1:2] == ["Établissement de santé"]
    assert line[-1] == "Reçue"
    assert "etablissement" not in page and ">recue<" not in page
