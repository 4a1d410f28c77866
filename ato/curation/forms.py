"""Back-office directory forms: the list's filters (GET, no CSRF) and a short message (POST)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ato.core.forms import FilterForm, FrenchMeta, plausible_date, single_line
from ato.directory import services as directory
from ato.directory.models import Fraicheur, NatureRequis, Statut


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


class ClosureForm(FlaskForm):
    """A service's closure: from (required), to (optional: until further notice), message."""

    Meta = FrenchMeta
    du = DateField(
        "Indisponible du",
        validators=[InputRequired("Indiquez le premier jour de fermeture."), plausible_date],
    )
    au = DateField(
        "au (inclus ; laisser vide : jusqu'à nouvel ordre)",
        validators=[Optional(), plausible_date],
    )
    message = TextAreaField(
        "Message public (facultatif, ex. « adresser les urgences au standard »)",
        validators=[Optional(), Length(max=500)],
    )

    def validate_au(self, field: DateField) -> None:
        if field.data and self.du.data and field.data < self.du.data:
            raise ValidationError("Le dernier jour ne peut pas précéder le premier.")
