"""Registration forms: they validate and normalise; they never save or send.

Every message is in French and sits beside its field; on any error the form is
shown again with everything typed. Choices come from the reference data.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

from flask_wtf import FlaskForm
from stdnum import luhn
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    i18n,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ato.core.text import valid_email
from ato.directory import services as directory
from ato.directory.models import NatureOutil, NatureSpecialite, Outil, Public

SEED = Path(__file__).resolve().parents[2] / "seed"
MAX_SERVICES = 40
CANAL_ROWS = 3  # rows shown for a new service
MAX_CANAUX = 10
# Choices are {value: label} dicts (tuples are deprecated in WTForms 3.3).
DELAIS = {
    "": "Non précisé",
    "24": "24 heures",
    "48": "48 heures",
    "72": "72 heures",
    "120": "5 jours",
    "168": "7 jours",
    "336": "15 jours",
}


class FrenchMeta:
    """WTForms' built-in messages (an invalid choice, a missing value) in French."""

    locales = ("fr_FR", "fr")

    def get_translations(self, form: Form) -> object:  # Flask-WTF would look for Flask-Babel
        return i18n.get_translations(self.locales)


# --- validators ---------------------------------------------------------------------------------


def _control_characters(value: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in value)


def single_line(form: Form, field: StringField) -> None:
    """One line, no control character (it may end up in a mail header or a database)."""
    value = field.data or ""
    if len(value.splitlines()) > 1 or any(
        c in value for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ):
        raise ValidationError("Ce champ tient sur une seule ligne.")
    if _control_characters(value):
        raise ValidationError("Ce champ contient un caractère invisible non autorisé.")


def plain_text(form: Form, field: TextAreaField) -> None:
    """Several lines allowed, but no control character (PostgreSQL refuses NUL)."""
    if field.data and _control_characters(field.data):
        raise ValidationError("Ce texte contient un caractère invisible non autorisé.")


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def finess(form: Form, field: StringField) -> None:
    value = _digits(field.data).upper()
    if not value:
        return
    if not re.fullmatch(r"\d{9}", value):
        raise ValidationError("Le numéro FINESS compte 9 chiffres.")
    if not luhn.is_valid(value):
        raise ValidationError("Ce numéro FINESS n'est pas valide (clé de contrôle incorrecte).")
    field.data = value


def rpps(form: Form, field: StringField) -> None:
    value = _digits(field.data)
    if not re.fullmatch(r"\d{11}", value):
        raise ValidationError("Le numéro RPPS compte 11 chiffres.")
    if not luhn.is_valid(value):
        raise ValidationError("Ce numéro RPPS n'est pas valide (clé de contrôle incorrecte).")
    field.data = value


def normalise_phone(value: str) -> str | None:
    """A French number as ``05 36 49 12 34``; None when it is not one."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if re.fullmatch(r"0[1-9]\d{8}", digits):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return None


def phone(form: Form, field: StringField) -> None:
    if not field.data:
        return
    normalised = normalise_phone(field.data)
    if normalised is None:
        raise ValidationError("Numéro de téléphone invalide (ex. : 05 61 00 00 00).")
    field.data = normalised


def email(form: Form, field: StringField) -> None:
    if not field.data:
        return
    try:
        field.data = valid_email(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def mssante(value: str) -> str:
    """A professional MSSanté address, or ValidationError."""
    try:
        address = valid_email(value)
    except ValueError as exc:
        raise ValidationError("Adresse MSSanté invalide.") from exc
    domain = address.rsplit("@", 1)[1].lower()
    if domain == "patient.mssante.fr" or domain.endswith(".patient.mssante.fr"):
        raise ValidationError(
            "Les adresses @patient.mssante.fr appartiennent aux patients : indiquez "
            "l'adresse MSSanté professionnelle du service."
        )
    if not domain.endswith(".mssante.fr"):
        raise ValidationError("Une adresse MSSanté se termine par « .mssante.fr ».")
    return address


def web_address(form: Form, field: StringField) -> None:
    """``https:`` addresses; ``http:`` accepted with a warning; nothing else."""
    value = (field.data or "").strip()
    if not value:
        return
    if value.lower().startswith("http://"):
        warnings = getattr(form, "warnings", None)
        if warnings is not None:
            warnings.append(f"L'adresse {value} n'est pas sécurisée (http) : préférez https.")
    elif not value.lower().startswith("https://"):
        raise ValidationError("L'adresse doit commencer par https:// (ex. : https://…).")
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s<>\"]*", value, re.IGNORECASE):
        raise ValidationError("Adresse web invalide.")
    scheme, rest = value.split("://", 1)
    field.data = f"{scheme.lower()}://{rest}"  # HTTPS://… is shown as a link too


# --- reference choices --------------------------------------------------------------------------


def professions() -> list[tuple[str, str]]:
    with (SEED / "professions.csv").open(encoding="utf-8") as handle:
        return [
            (r["code"], r["libelle"]) for r in csv.DictReader(handle) if r["statut"] == "active"
        ]


def _outils() -> list[Outil]:
    return list(directory.outils())


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- sub-forms ----------------------------------------------------------------------------------


class CanalForm(Form):
    Meta = FrenchMeta
    outil = SelectField("Outil", validators=[Optional()])
    adresse = StringField("Adresse", validators=[Optional(), Length(max=300), single_line])

    def validate_adresse(self, field: StringField) -> None:
        if not self.outil.data and not field.data:
            return
        if not self.outil.data:
            raise ValidationError("Choisissez l'outil correspondant à cette adresse.")
        if not field.data:
            raise ValidationError("Indiquez l'adresse, le numéro ou le lien.")
        nature = self.natures.get(self.outil.data)
        value = field.data.strip()
        if nature == NatureOutil.MESSAGERIE:
            field.data = mssante(value)
        elif nature == NatureOutil.TELEPHONE:
            normalised = normalise_phone(value.removeprefix("tel:"))
            if normalised is None:
                raise ValidationError("Numéro de téléphone invalide.")
            field.data = normalised
        else:
            if not value.lower().startswith(("https://", "http://")):
                raise ValidationError("Le lien doit commencer par https://.")
            web_address(self, field)


class ServiceForm(Form):
    Meta = FrenchMeta
    nom = StringField(
        "Nom du service",
        validators=[InputRequired("Indiquez le nom du service."), Length(max=200), single_line],
    )
    specialite = SelectField("Spécialité", validators=[InputRequired("Choisissez une spécialité.")])
    thematiques = MultiCheckboxField(
        "Thématiques ou pathologies (facultatif)", validators=[Optional()]
    )
    description = TextAreaField(
        "Ce que couvre la télé-expertise", validators=[Optional(), Length(max=2000)]
    )
    demandeurs = StringField(
        "Qui peut adresser une demande", validators=[Optional(), Length(max=300), single_line]
    )
    pieces = StringField("Pièces à joindre", validators=[Optional(), Length(max=300), single_line])
    delai = SelectField("Délai de réponse annoncé", choices=DELAIS, validators=[Optional()])
    disponibilite = StringField(
        "Disponibilité", validators=[Optional(), Length(max=300), single_line]
    )
    public = SelectField("Patients", choices={p.value: p.label for p in Public})
    regional = BooleanField("Demandes acceptées de toute l'Occitanie")
    departements = MultiCheckboxField(
        "Ou départements d'où les demandes sont acceptées", validators=[Optional()]
    )
    canaux = FieldList(FormField(CanalForm), min_entries=CANAL_ROWS, max_entries=MAX_CANAUX)

    def validate_departements(self, field: MultiCheckboxField) -> None:
        if not self.regional.data and not field.data:
            raise ValidationError("Cochez « toute l'Occitanie » ou au moins un département.")

    def validate_canaux(self, field: FieldList) -> None:
        if not any(entry.form.outil.data and entry.form.adresse.data for entry in field):
            raise ValidationError("Indiquez au moins un moyen d'adresser une demande.")


# --- main forms ---------------------------------------------------------------------------------


class RequisForm(FlaskForm):
    """What every kind of requis fills in; subclasses add their identity fields."""

    Meta = FrenchMeta

    adresse = StringField("Adresse", validators=[Optional(), Length(max=300), single_line])
    code_postal = StringField("Code postal", validators=[Optional(), Length(max=5), single_line])
    ville = StringField(
        "Ville", validators=[InputRequired("Indiquez la ville."), Length(max=120), single_line]
    )
    departement = SelectField(
        "Département", validators=[InputRequired("Choisissez le département.")]
    )
    site_web = StringField(
        "Site web (facultatif)",
        validators=[Optional(), Length(max=500), single_line, web_address],
    )
    telephone = StringField("Téléphone (standard)", validators=[Optional(), Length(max=30), phone])
    contact_nom = StringField(
        "Nom de la personne à contacter",
        validators=[
            InputRequired("Indiquez une personne à contacter."),
            Length(max=200),
            single_line,
        ],
    )
    contact_fonction = StringField(
        "Fonction", validators=[Optional(), Length(max=120), single_line]
    )
    contact_email = StringField(
        "Courriel de contact",
        validators=[InputRequired("Indiquez un courriel de contact."), Length(max=254), email],
    )
    contact_telephone = StringField(
        "Téléphone de contact", validators=[Optional(), Length(max=30), phone]
    )
    services = FieldList(FormField(ServiceForm), min_entries=1, max_entries=MAX_SERVICES)
    consentement = BooleanField(
        "Je suis habilité(e) à inscrire ce recours et j'accepte la publication des "
        "informations ci-dessus dans l'annuaire.",
        validators=[DataRequired("Cette confirmation est nécessaire pour inscrire le recours.")],
    )
    idem = HiddenField()
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by robots.
    site_internet = StringField("Ne pas remplir ce champ", validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []
        self.populate_choices()

    def populate_choices(self) -> None:
        self.departement.choices = {"": "Choisir…"} | {
            d.code: d.label for d in directory.departements()
        }
        specs = directory.specialites()
        ordinal = [(s.slug, s.libelle) for s in specs if s.nature == NatureSpecialite.SPECIALITE]
        themes = [(s.slug, s.libelle) for s in specs if s.nature == NatureSpecialite.THEMATIQUE]
        outils = _outils()
        natures = {o.slug: o.nature for o in outils}
        for entry in self.services:
            entry.form.specialite.choices = {"": "Choisir…"} | dict(ordinal)
            entry.form.thematiques.choices = dict(themes)
            entry.form.departements.choices = {d.code: d.label for d in directory.departements()}
            for canal in entry.form.canaux:
                canal.form.outil.choices = {"": "—"} | {o.slug: o.nom for o in outils}
                canal.form.natures = natures
                canal.form.warnings = self.warnings

    def handle_service_action(self, action: str) -> bool:
        """'Ajouter un service' / 'Retirer' buttons (no JavaScript needed): True if one was
        pressed, in which case the form is shown again and nothing is validated."""
        if action == "ajouter-service":
            self.add_service()
            return True
        index = action.removeprefix("retirer-service-")
        if action.startswith("retirer-service-") and index.isascii() and index.isdigit():
            if len(index) <= 3:
                self.remove_service(int(index))
            return True
        return False

    def add_service(self) -> None:
        if len(self.services) < MAX_SERVICES:
            self.services.append_entry()
            self.populate_choices()

    def remove_service(self, index: int) -> None:
        if len(self.services) > 1 and 0 <= index < len(self.services):
            entries = [e.data for i, e in enumerate(self.services) if i != index]
            while len(self.services):
                self.services.pop_entry()
            for data in entries:
                self.services.append_entry(data)
            self.populate_choices()


class EtablissementForm(RequisForm):
    nom = StringField(
        "Nom de l'établissement",
        validators=[
            InputRequired("Indiquez le nom de l'établissement."),
            Length(max=200),
            single_line,
        ],
    )
    finess = StringField(
        "Numéro FINESS (9 chiffres)",
        validators=[InputRequired("Le numéro FINESS est obligatoire."), finess],
    )


class LiberalForm(RequisForm):
    civilite = SelectField("Civilité", choices={"Dr": "Dr", "Pr": "Pr", "Mme": "Mme", "M.": "M."})
    prenom = StringField(
        "Prénom", validators=[InputRequired("Indiquez votre prénom."), Length(max=100), single_line]
    )
    nom = StringField(
        "Nom", validators=[InputRequired("Indiquez votre nom."), Length(max=200), single_line]
    )
    rpps = StringField(
        "Numéro RPPS (11 chiffres)",
        validators=[InputRequired("Le numéro RPPS est obligatoire."), rpps],
    )
    profession = SelectField("Profession", validators=[InputRequired("Choisissez la profession.")])

    def populate_choices(self) -> None:
        super().populate_choices()
        self.profession.choices = {"": "Choisir…"} | dict(professions())


class DispositifForm(RequisForm):
    nom = StringField(
        "Nom du dispositif",
        validators=[InputRequired("Indiquez le nom du dispositif."), Length(max=200), single_line],
    )
    type_dispositif = SelectField(
        "Type de dispositif",
        choices={
            "DAC": "Dispositif d'appui à la coordination (DAC)",
            "regional": "Dispositif ou réseau régional",
            "CPTS": "CPTS",
            "autre": "Autre",
        },
    )
    finess = StringField("Numéro FINESS (facultatif)", validators=[Optional(), finess])


FORMS = {"etablissement": EtablissementForm, "liberal": LiberalForm, "dispositif": DispositifForm}


class SignalementForm(FlaskForm):
    Meta = FrenchMeta
    categorie = SelectField(
        "Type d'erreur",
        choices={
            "lien_casse": "Lien cassé",
            "coordonnees": "Coordonnées erronées",
            "n_existe_plus": "Ce recours n'existe plus",
            "autre": "Autre",
        },
    )
    commentaire = TextAreaField(
        "Précisez", validators=[InputRequired("Décrivez l'erreur constatée."), Length(max=2000)]
    )
    courriel = StringField(
        "Votre courriel (facultatif, pour vous répondre)",
        validators=[Optional(), Length(max=254), email],
    )
