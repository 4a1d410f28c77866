"""Staff forms of the reports: edit a key figure, import a département dataset.

They validate and normalise (French numbers, one-line texts, a whole CSV file
checked line by line); they never save. On any error the form is shown again
with everything typed.
"""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, Form, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ato.core.forms import FrenchMeta, single_line, squeeze, web_address
from ato.directory import services as directory
from ato.reports import services
from ato.reports.models import Indicateur, JeuDepartemental
from ato.reports.services import CsvRejected, ParsedCsv
from ato.web import nombre


class NumberField(StringField):
    """A number typed the French way (``87 208``, ``99,89``, ``-5``) → ``Decimal``.

    ``limit`` bounds its absolute value to what the database column holds.
    """

    def __init__(
        self,
        *args,  # noqa: ANN002
        message: str = "Saisissez un nombre, par exemple 87 208 ou 99,89.",
        limit: Decimal = Decimal("1e12"),
        **kwargs,  # noqa: ANN003
    ) -> None:
        super().__init__(*args, **kwargs)
        self.message = message
        self.limit = limit
        self.number: Decimal | None = None

    def pre_validate(self, form: Form) -> None:
        self.number = None
        raw = (self.data or "").strip()
        if not raw:
            return
        number = services.parse_number(raw)
        if number is None:
            raise ValidationError(self.message)
        if abs(number) >= self.limit:
            raise ValidationError(f"La valeur doit rester inférieure à {nombre(self.limit)}.")
        self.number = number


class IndicateurForm(FlaskForm):
    Meta = FrenchMeta
    libelle = StringField(
        "Libellé",
        filters=[squeeze],
        validators=[InputRequired("Le libellé est obligatoire."), Length(max=300), single_line],
    )
    valeur = NumberField("Valeur", validators=[InputRequired("La valeur est obligatoire.")])
    unite = StringField(
        "Unité",
        filters=[squeeze],
        validators=[InputRequired("L'unité est obligatoire."), Length(max=80), single_line],
    )
    periode = StringField(
        "Période",
        filters=[squeeze],
        validators=[InputRequired("La période est obligatoire."), Length(max=80), single_line],
    )
    evolution = NumberField(
        "Évolution par rapport à la période précédente (en %)",
        validators=[Optional()],
        message="Saisissez un pourcentage, par exemple 31 ou -5 (sans le signe %).",
        limit=Decimal("1e6"),
    )
    evolution_reference = StringField(
        "Période de comparaison",
        filters=[squeeze],
        validators=[Optional(), Length(max=80), single_line],
    )
    source = StringField(
        "Source",
        filters=[squeeze],
        validators=[
            InputRequired("La source est obligatoire : aucun chiffre sans source."),
            Length(max=500),
            single_line,
        ],
    )
    source_url = StringField(
        "Adresse de la source",
        filters=[squeeze],
        validators=[Optional(), Length(max=500), web_address],
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])

    @staticmethod
    def initial(item: Indicateur) -> dict[str, object]:
        """What the form shows before any edit: the figure's values, numbers the French way."""
        return {
            "libelle": item.libelle,
            "valeur": nombre(item.valeur),
            "unite": item.unite,
            "periode": item.periode,
            "evolution": nombre(item.evolution) if item.evolution is not None else "",
            "evolution_reference": item.evolution_reference,
            "source": item.source,
            "source_url": item.source_url,
            "note": item.note,
        }

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        """Fields one by one, then: an evolution needs the period it compares with."""
        valid = super().validate(extra_validators)
        if self.evolution.number is not None and not (self.evolution_reference.data or "").strip():
            self.evolution_reference.errors = [
                *self.evolution_reference.errors,
                "Indiquez la période à laquelle l'évolution se compare.",
            ]
            valid = False
        return valid

    def values(self) -> dict[str, object]:
        """The typed values, ready for ``services.update_indicateur``."""

        def text(field: Field) -> str | None:
            return (field.data or "").strip() or None

        return {
            "libelle": text(self.libelle),
            "valeur": self.valeur.number,
            "unite": text(self.unite),
            "periode": text(self.periode),
            "evolution": self.evolution.number,
            "evolution_reference": text(self.evolution_reference)
            if self.evolution.number is not None
            else None,
            "source": text(self.source),
            "source_url": text(self.source_url),
            "note": text(self.note),
        }


class JeuImportForm(FlaskForm):
    """A CSV file of values per département, with the unit, period and source it comes with."""

    Meta = FrenchMeta

    unite = StringField(
        "Unité des valeurs",
        filters=[squeeze],
        validators=[InputRequired("L'unité est obligatoire."), Length(max=80), single_line],
    )
    periode = StringField(
        "Période",
        filters=[squeeze],
        validators=[InputRequired("La période est obligatoire."), Length(max=80), single_line],
    )
    source = StringField(
        "Source",
        filters=[squeeze],
        validators=[
            InputRequired("La source est obligatoire : aucun chiffre sans source."),
            Length(max=500),
            single_line,
        ],
    )
    source_url = StringField(
        "Adresse de la source",
        filters=[squeeze],
        validators=[Optional(), Length(max=500), web_address],
    )
    fichier = FileField(
        "Fichier CSV", validators=[FileRequired("Choisissez le fichier CSV à importer.")]
    )

    parsed: ParsedCsv | None = None

    @staticmethod
    def initial(jeu: JeuDepartemental) -> dict[str, object]:
        """What the form shows before an upload: the dataset's unit, period and source."""
        return {
            "unite": jeu.unite,
            "periode": jeu.periode,
            "source": jeu.source,
            "source_url": jeu.source_url,
        }

    def values(self) -> dict[str, str | None]:
        """The typed unit, period and source, ready for ``services.replace_valeurs``."""
        return {
            "unite": self.unite.data,
            "periode": self.periode.data,
            "source": self.source.data,
            "source_url": (self.source_url.data or "").strip() or None,
        }

    def validate_fichier(self, field: Field) -> None:
        """The whole file is checked; every error is listed with its line number."""
        self.parsed = None
        data = field.data.read(services.MAX_UPLOAD_BYTES + 1)
        try:
            self.parsed = services.parse_departement_csv(
                data,
                (self.unite.data or "").strip(),
                [d.code for d in directory.departements()],
            )
        except CsvRejected as exc:
            field.errors.extend(exc.errors[:-1])
            raise ValidationError(exc.errors[-1]) from None
