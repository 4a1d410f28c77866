"""Back-office directory forms: the list's filters (GET, no CSRF) and a short message (POST)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ato.core.forms import FilterForm, FrenchMeta, single_line
from ato.curation.services import Fraicheur
from ato.directory import services as directory
from ato.directory.models import NatureRequis, Statut


class DirectoryFilterForm(FilterForm):
    q = StringField(
        "Nom, ville, FINESS, RPPS ou courriel",
        validators=[Optional(), Length(max=100), single_line],
    )
    statut = SelectField(
        "État", default="", choices={"": "Tous"} | {s.value: s.label for s in Statut}
    )
    departement = SelectField("Département", default="")
    specialite = SelectField("Spécialité", default="")
    nature = SelectField(
        "Type", default="", choices={"": "Tous"} | {n.value: n.label for n in NatureRequis}
    )
    fraicheur = SelectField(
        "Vérification", default="", choices={"": "Toutes"} | {f.value: f.label for f in Fraicheur}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departement.choices = {"": "Tous"} | {
            d.code: d.label for d in directory.departements()
        }
        self.specialite.choices = {"": "Toutes"} | {
            str(s.id): s.libelle for s in directory.specialites()
        }


class MessageForm(FlaskForm):
    Meta = FrenchMeta
    message = TextAreaField("Message", validators=[Optional(), Length(max=500)])
