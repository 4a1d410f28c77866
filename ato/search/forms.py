"""The search form: GET, bookmarkable, no CSRF.

Every filter value is checked against the reference lists (a whitelist): an
unknown value is ignored with a French message, never passed on.
"""

from __future__ import annotations

from wtforms import BooleanField, Form, StringField

from ato.directory import services as directory
from ato.directory.models import NatureRequis
from ato.search.query import printable
from ato.search.services import MAX_PAGE, SearchParams

SORT_CHOICES = [("pertinence", "Pertinence"), ("nom", "Nom")]


#: Each filter said unknown with its own gender.
UNKNOWN = {
    "departement": "Département inconnu",
    "specialite": "Spécialité inconnue",
    "type": "Type de recours inconnu",
    "outil": "Outil inconnu",
    "tri": "Ordre de tri inconnu",
}


class SearchForm(Form):
    q = StringField("Rechercher un recours")
    departement = StringField("Département")
    specialite = StringField("Spécialité ou thématique")
    type = StringField("Type de recours")
    outil = StringField("Outil d'adressage")
    situe = BooleanField("Seulement les recours situés dans le département")
    tri = StringField("Trier par")
    page = StringField("Page")

    def __init__(self, formdata, outils: list[tuple[str, str]]) -> None:  # noqa: ANN001
        super().__init__(formdata)
        self.choices: dict[str, list[tuple[str, str]]] = {
            "departement": [("", "Tous")] + [(d.code, d.label) for d in directory.departements()],
            "specialite": [("", "Toutes")] + [(s.slug, s.libelle) for s in directory.specialites()],
            "type": [("", "Tous")] + [(n.value, n.label) for n in NatureRequis],
            "outil": [("", "Tous"), *outils],
            "tri": SORT_CHOICES,
        }

    def params(self) -> tuple[SearchParams, list[str]]:
        """Valid parameters, and French messages for the ones that were ignored."""
        messages: list[str] = []

        def choice(name: str) -> str | None:
            field = self[name]
            value = (field.data or "").strip()
            if value and value not in {c[0] for c in self.choices[name]}:
                messages.append(
                    f"{UNKNOWN[name]} : « {value[:60]} ». Ce filtre a été ignoré, "
                    "les résultats ne sont pas filtrés par ce critère."
                )
                return None
            return value or None

        raw_page = (self.page.data or "").strip()
        page = 1
        if raw_page:
            if raw_page.isascii() and raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE:
                page = int(raw_page)
            else:
                messages.append("Numéro de page invalide : retour à la première page.")
        return SearchParams(
            q=printable(self.q.data or ""),
            departement=choice("departement"),
            specialite=choice("specialite"),
            type=choice("type"),
            outil=choice("outil"),
            situe=bool(self.situe.data),
            page=page,
            tri=choice("tri") or "pertinence",
        ), messages
