"""Registration forms: they validate and normalise; they never save or send.

Every message is in French and sits beside its field; on any error the form is
shown again with everything typed. Choices come from the reference data.
"""

from __future__ import annotations

import re
from typing import Any

from flask import has_request_context, request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ato.core.forms import FrenchMeta, SummarisedForm, email, field_errors, single_line
from ato.directory import delays, schema
from ato.directory import services as directory
from ato.directory.models import NatureSpecialite, Public
from ato.registration.models import CategorieSignalement

MAX_SERVICES = schema.MAX_SERVICES
MAX_CANAUX = schema.MAX_CANAUX
CANAL_ROWS = 3  # rows shown for a new service


class Shown:
    """What the page says about a field (required, maximum length); it checks nothing.

    An entry is checked in one place, :func:`ato.directory.schema.validate`;
    these flags only let the browser and the labels tell people beforehand.
    """

    def __init__(self, required: bool = False, maxlength: int | None = None) -> None:
        self.field_flags: dict[str, Any] = {}
        if required:
            self.field_flags["required"] = True
        if maxlength:
            self.field_flags["maxlength"] = maxlength

    def __call__(self, form: Form, field: Field) -> None:
        return None


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- sub-forms ----------------------------------------------------------------------------------


def _select(label: str, **kwargs: Any) -> SelectField:
    """A choice checked by the entry schema (the list may change between GET and POST)."""
    return SelectField(label, validate_choice=False, **kwargs)


class CanalForm(Form):
    """One way to send a request; its labels are numbered by :meth:`RequisForm.label_rows`."""

    Meta = FrenchMeta
    outil = _select("Outil")
    adresse = StringField("Lien, adresse MSSanté ou téléphone", validators=[Shown(maxlength=300)])


COVERAGE_LEGEND = "Départements d'où les demandes sont acceptées"
CANAUX_LEGEND = "Comment vous adresser une demande"
# The fields of a service block, in the order the page shows them.
SERVICE_ORDER = (
    "nom",
    "specialite",
    "thematiques",
    "description",
    "demandeurs",
    "pieces",
    "delai",
    "public",
    "disponibilite",
    "regional",
    "departements",
)
# Optional details of a service, folded unless one of them is filled in or wrong.
SERVICE_DETAILS = ("description", "demandeurs", "pieces", "delai", "disponibilite", "public")


class ServiceForm(Form):
    Meta = FrenchMeta
    nom = StringField("Nom du service", validators=[Shown(True, 200)])
    specialite = _select("Spécialité", validators=[Shown(True)])
    thematiques = MultiCheckboxField(
        "Thématiques ou pathologies (facultatif)", validate_choice=False
    )
    description = TextAreaField(
        "Ce que couvre la télé-expertise", validators=[Shown(maxlength=2000)]
    )
    demandeurs = StringField("Qui peut adresser une demande", validators=[Shown(maxlength=300)])
    pieces = StringField("Pièces à joindre", validators=[Shown(maxlength=300)])
    delai = StringField(  # read by ato.directory.delays when the entry is checked
        "Délai de réponse annoncé",
        description=f"ex. : {delays.EXAMPLES}",
        validators=[Shown(maxlength=delays.MAX_LENGTH)],
    )
    disponibilite = StringField("Disponibilité", validators=[Shown(maxlength=300)])
    public = _select("Patients", choices={p.value: p.label for p in Public})
    regional = BooleanField("Demandes acceptées de toute l'Occitanie")
    departements = MultiCheckboxField(
        "Ou départements d'où les demandes sont acceptées", validate_choice=False
    )
    canaux = FieldList(FormField(CanalForm), min_entries=CANAL_ROWS, max_entries=MAX_CANAUX)


# --- main forms ---------------------------------------------------------------------------------

POSTED_ROW = re.compile(r"services-(?P<service>\d{1,6})-(?:canaux-(?P<canal>\d{1,6})-)?")
SERVICE_FIELDS = {"delai_minutes": "delai"}  # entry key -> form field, where they differ


class RequisForm(SummarisedForm, FlaskForm):
    """What every kind of requis fills in; subclasses add their identity fields.

    The form renders and collects; :meth:`validate_entry` checks the entry
    through :func:`ato.directory.schema.validate` and puts each error beside
    its field; :meth:`error_summary` lists them above the form, in page order.
    """

    Meta = FrenchMeta
    nature = ""
    identity_fields: tuple[str, ...] = ()  # the subclass's own fields, in page order
    common_fields = (
        "adresse",
        "code_postal",
        "ville",
        "departement",
        "telephone",
        "site_web",
        "contact_nom",
        "contact_fonction",
        "contact_email",
        "contact_telephone",
    )

    adresse = StringField("Adresse", validators=[Shown(maxlength=300)])
    code_postal = StringField("Code postal", validators=[Shown(maxlength=5)])
    ville = StringField("Ville", validators=[Shown(True, 120)])
    departement = _select("Département", validators=[Shown(True)])
    site_web = StringField("Site web (facultatif)", validators=[Shown(maxlength=500)])
    telephone = StringField("Téléphone (standard)", validators=[Shown(maxlength=30)])
    contact_nom = StringField("Nom de la personne à contacter", validators=[Shown(True, 200)])
    contact_fonction = StringField("Fonction", validators=[Shown(maxlength=120)])
    contact_email = StringField("Courriel de contact", validators=[Shown(True, 254)])
    contact_telephone = StringField("Téléphone de contact", validators=[Shown(maxlength=30)])
    services = FieldList(FormField(ServiceForm), min_entries=1, max_entries=MAX_SERVICES)
    consentement = BooleanField(
        "J'ai qualité pour inscrire ce recours et j'accepte la publication des "
        "informations ci-dessus dans l'annuaire.",
        validators=[DataRequired("Cette confirmation est nécessaire pour inscrire le recours.")],
    )
    idempotency_key = HiddenField()
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by robots.
    site_internet = StringField("Ne pas remplir ce champ", validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []
        self.entry: dict[str, Any] | None = None
        self.added: int | None = None  # the service block "Ajouter un service" just made
        self.removed: int | None = None  # the number of the service just removed
        self.populate_choices()

    @classmethod
    def from_entry(cls, entry: dict[str, Any], **kwargs: Any) -> RequisForm:
        """The form showing a stored entry again (blank channel rows to add more)."""
        data: dict[str, Any] = {k: v for k, v in entry["requis"].items() if v is not None}
        data.update({f"contact_{k}": v for k, v in entry["contact"].items()})
        data["services"] = [
            {
                **{k: v for k, v in s.items() if k not in ("canaux", "delai_minutes")},
                "delai": delays.words(s["delai_minutes"]) if s.get("delai_minutes") else "",
                "canaux": s["canaux"] + [{"outil": "", "adresse": ""}] * (3 - len(s["canaux"])),
            }
            for s in entry["services"]
        ]
        form = cls(data=data, **kwargs)
        form.populate_choices()
        return form

    def raw_entry(self) -> tuple[dict[str, Any], dict[tuple[int, int], int]]:
        """What was typed, in the entry shape, and where each kept channel sits in the form."""
        rows: dict[tuple[int, int], int] = {}
        services = []
        for i, row in enumerate(self.services):
            s = row.form
            canaux = []
            for j, canal in enumerate(s.canaux):
                if (canal.form.outil.data or "").strip() or (canal.form.adresse.data or "").strip():
                    rows[(i, len(canaux))] = j
                    canaux.append(
                        {"outil": canal.form.outil.data, "adresse": canal.form.adresse.data}
                    )
            services.append(
                {
                    "nom": s.nom.data,
                    "specialite": s.specialite.data,
                    "thematiques": list(s.thematiques.data or []),
                    "description": s.description.data,
                    "demandeurs": s.demandeurs.data,
                    "pieces": s.pieces.data,
                    "delai_minutes": s.delai.data,
                    "disponibilite": s.disponibilite.data,
                    "public": s.public.data,
                    "regional": bool(s.regional.data),
                    "departements": list(s.departements.data or []),
                    "canaux": canaux,
                }
            )
        identity = {name: self[name].data for name in schema.IDENTITY if name in self}
        contact = {
            name: self[f"contact_{name}"].data for name in ("nom", "fonction", "email", "telephone")
        }
        return (
            {"nature": self.nature, "requis": identity, "contact": contact, "services": services},
            rows,
        )

    def validate_entry(self) -> dict[str, Any] | None:
        """Check the form (CSRF, consent) and the entry; the entry, or None with errors shown."""
        valid = self.validate()
        too_many = self._beyond_bounds()
        if too_many:
            self.form_errors.append(too_many)
            self._errors = None
            return None
        data, rows = self.raw_entry()
        try:
            self.entry = schema.validate(data, warnings=self.warnings)
        except schema.InvalidEntry as exc:
            for location, messages in exc.errors.items():
                field = self._field_at(location, rows)
                field.errors.extend(m for m in messages if m not in field.errors)
            self._refresh_errors()
            return None
        return self.entry if valid else None

    def _beyond_bounds(self) -> str | None:
        """What the post holds beyond the form's bounds (the form shows only the first ones)."""
        posted = request.form if has_request_context() else {}
        services: dict[str, set[str]] = {}
        for key in posted:
            match = POSTED_ROW.match(key)
            if match:
                services.setdefault(match["service"], set())
                if match["canal"] is not None:
                    services[match["service"]].add(match["canal"])
        if len(services) > MAX_SERVICES:
            return (
                f"Une inscription compte au plus {MAX_SERVICES} services : inscrivez les "
                "suivants par une seconde inscription, ou demandez un import à l'équipe."
            )
        if any(len(canaux) > MAX_CANAUX for canaux in services.values()):
            return f"Un service compte au plus {MAX_CANAUX} moyens d'adresser une demande."
        return None

    def _refresh_errors(self) -> None:
        """WTForms caches the nested error lists at validation: rebuild them after additions."""
        for service in self.services:
            for canal in service.form.canaux:
                canal.form._errors = None
            canaux = service.form.canaux
            own = [e for e in canaux.errors if isinstance(e, str)]  # "au moins un moyen…"
            canaux.errors = own + [c.errors for c in canaux]
            service.form._errors = None
        self.services.errors = [s.errors for s in self.services]
        self._errors = None

    def _field_at(self, location: schema.Location, rows: dict[tuple[int, int], int]) -> Any:
        """The field an entry error belongs to (the form itself when there is none)."""
        fallback = _FormErrors(self.form_errors)
        match location:
            case ("requis", str(name), *_) if name in self:
                return self[name]
            case ("contact", str(name), *_) if f"contact_{name}" in self:
                return self[f"contact_{name}"]
            case ("services", int(i), "canaux", int(j), str(name), *_) if i < len(self.services):
                canaux = self.services[i].form.canaux
                row = rows.get((i, j), j)
                return canaux[row].form[name] if row < len(canaux) else fallback
            case ("services", int(i), str(name), *_) if i < len(self.services):
                form = self.services[i].form
                name = SERVICE_FIELDS.get(name, name)
                return form[name] if name in form else fallback  # noqa: SIM401 - a Form
        return fallback

    def populate_choices(self) -> None:
        self.departement.choices = {"": "Choisir…"} | {
            d.code: d.label for d in directory.departements()
        }
        specs = directory.specialites()
        ordinal = [(s.slug, s.libelle) for s in specs if s.nature == NatureSpecialite.SPECIALITE]
        themes = [(s.slug, s.libelle) for s in specs if s.nature == NatureSpecialite.THEMATIQUE]
        outils = {"": "—"} | {o.slug: o.nom for o in directory.outils()}
        departements = {d.code: d.label for d in directory.departements()}
        for entry in self.services:
            entry.form.specialite.choices = {"": "Choisir…"} | dict(ordinal)
            entry.form.thematiques.choices = dict(themes)
            entry.form.departements.choices = departements
            for canal in entry.form.canaux:
                canal.form.outil.choices = outils
        self.label_rows()

    def label_rows(self) -> None:
        """Number each channel row's labels: « Moyen 2 : outil », never three « Outil »."""
        for entry in self.services:
            for j, canal in enumerate(entry.form.canaux, start=1):
                canal.form.outil.label.text = f"Moyen {j} : outil"
                canal.form.adresse.label.text = f"Moyen {j} : lien, adresse MSSanté ou téléphone"

    # --- what the page shows about the form ---------------------------------------------------

    def error_summary(self) -> list[tuple[str, str]]:
        """``(id, text)`` for each error, in page order; the id is empty for a form-level one."""
        items = [("", e) for e in self.form_errors if isinstance(e, str)]
        for name in (*self.identity_fields, *self.common_fields):
            items.extend(field_errors(self[name]))
        for i, entry in enumerate(self.services):
            s, context = entry.form, f"service {i + 1}"
            for name in SERVICE_ORDER:
                if name == "departements":
                    label = f"{COVERAGE_LEGEND} ({context})"
                    items.extend(
                        (s.regional.id, f"{label} : {e}")
                        for e in s.departements.errors
                        if isinstance(e, str)
                    )
                else:
                    items.extend(field_errors(s[name], context))
            label = f"{CANAUX_LEGEND} ({context})"
            first = s.canaux[0].form.outil.id if len(s.canaux) else s.nom.id
            items.extend((first, f"{label} : {e}") for e in s.canaux.errors if isinstance(e, str))
            for canal in s.canaux:
                items.extend(field_errors(canal.form.outil, context))
                items.extend(field_errors(canal.form.adresse, context))
        if "consentement" in self:
            items.extend(field_errors(self.consentement))
        return items

    def service_name(self, index: int) -> str:
        """How the page names a service: its name, else its specialty, else nothing."""
        s = self.services[index].form
        name = (s.nom.data or "").strip()
        if name or not s.specialite.data:
            return name
        return dict(s.specialite.choices or {}).get(s.specialite.data, "")

    def service_details_open(self, index: int) -> bool:
        """Whether a service's optional details are unfolded: one is filled in, or wrong."""
        s = self.services[index].form
        for name in SERVICE_DETAILS:
            value, default = s[name].data, "tous" if name == "public" else ""
            if s[name].errors or (value not in (None, default) and str(value).strip()):
                return True
        return False

    def service_folded(self, index: int) -> bool:
        """Whether a service block is folded: complete as far as the page can tell, no error,
        not the one just added (the entry check still runs on every field when sent)."""
        s = self.services[index].form
        if index == self.added or s.errors:
            return False
        reached = any((c.form.adresse.data or "").strip() for c in s.canaux)
        covered = bool(s.regional.data or s.departements.data)
        return bool((s.nom.data or "").strip() and s.specialite.data and covered and reached)

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
            self.added = len(self.services) - 1

    def remove_service(self, index: int) -> None:
        if len(self.services) > 1 and 0 <= index < len(self.services):
            kept = [e.data for i, e in enumerate(self.services) if i != index]
            while len(self.services):
                self.services.pop_entry()
            for data in kept:
                self.services.append_entry(data)
            self.populate_choices()
            self.removed = index + 1


class _FormErrors:
    """Stands for a field where an error has no field of its own: it goes above the form."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors


class EtablissementForm(RequisForm):
    nature = "etablissement"
    identity_fields = ("nom", "finess")
    nom = StringField("Nom de l'établissement", validators=[Shown(True, 200)])
    finess = StringField("Numéro FINESS (9 chiffres)", validators=[Shown(True)])


class LiberalForm(RequisForm):
    nature = "liberal"
    identity_fields = ("civilite", "prenom", "nom", "rpps", "profession")
    civilite = _select("Civilité", choices={c: c for c in schema.CIVILITES})
    prenom = StringField("Prénom", validators=[Shown(True, 100)])
    nom = StringField("Nom", validators=[Shown(True, 200)])
    rpps = StringField("Numéro RPPS (11 chiffres)", validators=[Shown(True)])
    profession = _select("Profession", validators=[Shown(True)])

    def populate_choices(self) -> None:
        super().populate_choices()
        self.profession.choices = {"": "Choisir…"} | schema.professions()


class DispositifForm(RequisForm):
    nature = "dispositif"
    identity_fields = ("nom", "type_dispositif", "finess")
    nom = StringField("Nom du dispositif", validators=[Shown(True, 200)])
    type_dispositif = _select("Type de dispositif", choices=schema.TYPES_DISPOSITIF)
    finess = StringField("Numéro FINESS (facultatif)")


FORMS: dict[str, type[RequisForm]] = {
    "etablissement": EtablissementForm,
    "liberal": LiberalForm,
    "dispositif": DispositifForm,
}


class SignalementForm(SummarisedForm, FlaskForm):
    Meta = FrenchMeta
    categorie = SelectField(
        "Type d'erreur", choices={c.value: c.label for c in CategorieSignalement}
    )
    commentaire = TextAreaField(
        "Précisez",
        validators=[InputRequired("Décrivez l'erreur constatée."), Length(max=2000)],
    )
    courriel = StringField(
        "Votre courriel (facultatif, pour vous répondre)",
        validators=[Optional(), Length(max=254), single_line, email],
    )
