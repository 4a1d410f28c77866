"""Back-office forms: filters (GET, no CSRF) and small action forms (POST, CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    Form,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ato.core.access import Role
from ato.directory import services as directory
from ato.directory.models import NatureRequis, Statut
from ato.moderation.services import Fraicheur
from ato.registration.forms import FrenchMeta, email, single_line


def plausible_date(form: Form, field: DateField) -> None:
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError("Indiquez une date entre 2000 et 2100.")


class FilterForm(Form):
    """Filters read from the query string (GET, no CSRF): values checked against whitelists."""

    Meta = FrenchMeta

    def values(self) -> dict:
        """Valid filter values only: an invalid one is ignored (and shown as an error)."""
        self.validate()
        return {
            name: field.data
            for name, field in self._fields.items()
            if not field.errors and field.data not in (None, "")
        }


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

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.departement.choices = {"": "Tous"} | {
            d.code: d.label for d in directory.departements()
        }
        self.specialite.choices = {"": "Toutes"} | {
            str(s.id): s.libelle for s in directory.specialites()
        }


class AuditFilterForm(FilterForm):
    action = SelectField("Action", default="")
    acteur = StringField("Auteur (courriel)", validators=[Optional(), Length(max=254), single_line])
    objet = SelectField(
        "Objet",
        default="",
        choices={
            "": "Tous",
            "requis": "Fiche",
            "demande": "Demande",
            "user_account": "Compte",
            "signalement": "Signalement",
        },
    )
    objet_id = IntegerField(
        "Numéro de l'objet", validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )
    debut = DateField("Du", validators=[Optional(), plausible_date])
    fin = DateField("Au", validators=[Optional(), plausible_date])

    def __init__(self, actions: list[str], *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.action.choices = {"": "Toutes"} | {a: a for a in actions}


class MessageForm(FlaskForm):
    Meta = FrenchMeta
    message = TextAreaField("Message", validators=[Optional(), Length(max=500)])


class ImportForm(FlaskForm):
    Meta = FrenchMeta
    fichier = FileField(
        "Fichier CSV (UTF-8 ou Windows, séparateur virgule ou point-virgule)",
        validators=[FileRequired("Choisissez un fichier CSV.")],
    )


class ConfirmImportForm(FlaskForm):
    Meta = FrenchMeta
    contenu = HiddenField(validators=[InputRequired()])


class InviteForm(FlaskForm):
    Meta = FrenchMeta
    email = StringField(
        "Courriel professionnel",
        validators=[InputRequired("Indiquez le courriel."), Length(max=254), email],
    )
    nom = StringField(
        "Nom et prénom", validators=[InputRequired("Indiquez le nom."), Length(max=200)]
    )
    role = SelectField("Rôle", choices={r.value: r.label for r in Role})
