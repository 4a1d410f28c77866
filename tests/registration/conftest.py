"""Helpers to post registration forms as a browser without JavaScript would."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1) if match else ""


def establishment_data(**overrides) -> dict:
    data = {
        "nom": "Centre hospitalier fictif de Test",
        "finess": "310781406",
        "adresse": "1 rue de l'Exemple",
        "code_postal": "31000",
        "ville": "Toulouse",
        "departement": "31",
        "site_web": "https://ch-fictif.exemple.fr/",
        "telephone": "05 61 00 00 00",
        "contact_nom": "Camille Exemple",
        "contact_fonction": "Cadre de santé",
        "contact_email": "camille@exemple.fr",
        "contact_telephone": "0561000001",
        "services-0-nom": "Télédermatologie",
        "services-0-specialite": "dermatologie",
        "services-0-thematiques": "plaies-et-cicatrisation",
        "services-0-description": "Avis sur les plaies chroniques.",
        "services-0-demandeurs": "Médecins généralistes",
        "services-0-pieces": "Photos",
        "services-0-delai": "48 h",
        "services-0-disponibilite": "Lundi-vendredi",
        "services-0-public": "tous",
        "services-0-departements": ["31", "32"],
        "services-0-canaux-0-outil": "teleo",
        "services-0-canaux-0-adresse": "https://teleo.exemple.fr/demande/dermato",
        "services-0-canaux-1-outil": "mssante",
        "services-0-canaux-1-adresse": "dermato@ch-fictif.mssante.fr",
        "services-0-canaux-2-outil": "",
        "services-0-canaux-2-adresse": "",
        "consentement": "y",
        "action": "envoyer",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def form_page(client):
    """GET a registration form; returns (html, csrf token, idempotency key)."""

    def get(nature: str = "etablissement"):
        html = client.get(f"/inscription/{nature}").get_data(as_text=True)
        return html, hidden_value(html, "csrf_token"), hidden_value(html, "idempotency_key")

    return get


class Element(dict):
    """One element of a page: its tag, its attributes (a dict) and its text."""

    @property
    def tag(self) -> str:
        return self["tag"]

    @property
    def attrs(self) -> dict:
        return self["attrs"]

    @property
    def text(self) -> str:
        return " ".join("".join(self["text"]).split())


class _Reader(HTMLParser):
    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        element = Element(tag=tag, attrs={k: v if v is not None else "" for k, v in attrs}, text=[])
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                del self.open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element["text"].append(data)


def elements(html: str) -> list[Element]:
    """Every element of a page, in document order (text includes the descendants' text)."""
    reader = _Reader()
    reader.feed(html)
    return reader.elements


def by_id(html: str) -> dict[str, Element]:
    return {e.attrs["id"]: e for e in elements(html) if "id" in e.attrs}
