"""WTForms plumbing every feature's forms share: French messages, filters, text checks."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, Form, StringField, i18n
from wtforms.fields.core import UnboundField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import ListWidget

from ato.core.text import (
    CONTROL_MESSAGE,
    has_control_characters,
    single_line_problem,
    valid_email,
)
from ato.core.text import web_address as check_web_address


def no_control_characters(form: Form, field: Field) -> None:
    """No invisible control character in any typed text (PostgreSQL refuses NUL outright).

    It runs first on every text field (see :class:`FrenchMeta`) and stops the
    field's other checks, so that the message is said once.
    """
    value = field.data
    if isinstance(value, str) and has_control_characters(value):
        raise StopValidation(CONTROL_MESSAGE)


class FrenchMeta:
    """Every form's shared behaviour: WTForms' built-in messages in French, and one check on
    every text field (:func:`no_control_characters`), so that no form can forget it."""

    locales = ("fr_FR", "fr")

    def get_translations(self, form: Form) -> object:  # Flask-WTF would look for Flask-Babel
        return i18n.get_translations(self.locales)

    def bind_field(self, form: Form, unbound_field: UnboundField, options: dict) -> Field:
        field = unbound_field.bind(form=form, **options)
        if isinstance(field, StringField):  # text, text areas, passwords, hidden fields
            field.validators = [no_control_characters, *field.validators]
        return field


class FilterForm(Form):
    """Filters read from the query string (GET, no CSRF): values checked against whitelists."""

    Meta = FrenchMeta

    def values(self) -> dict[str, Any]:
        """Valid filter values only: an invalid one is ignored (and shown as an error)."""
        self.validate()
        return {
            name: field.data
            for name, field in self._fields.items()
            if not field.errors and field.data not in (None, "")
        }

    def args(self, source: dict[str, str]) -> dict[str, str]:
        """The query string of the current filters: the form's own fields, never other keys."""
        return {name: source[name] for name in self._fields if name in source}


def single_line(form: Form, field: Field) -> None:
    """One line, no control character (it may end up in a mail header or a database)."""
    problem = single_line_problem(field.data)
    if problem:
        raise ValidationError(problem)


def email(form: Form, field: Field) -> None:
    """An e-mail address, stored in its normal form."""
    if not field.data:
        return
    try:
        field.data = valid_email(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def web_address(form: Form, field: Field) -> None:
    """An ``https:`` (or ``http:``) address, in its normal form."""
    if not field.data:
        return
    try:
        field.data = check_web_address(field.data, getattr(form, "warnings", None))
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def squeeze(value: str | None) -> str | None:
    """A filter: surrounding spaces removed, inner runs of spaces made one."""
    return " ".join(value.split()) if isinstance(value, str) else value


def plausible_date(form: Form, field: Field) -> None:
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError("Indiquez une date entre 2000 et 2100.")


class CsvUploadForm(FlaskForm):
    """One CSV file to upload (the directory import and the report datasets)."""

    Meta = FrenchMeta
    fichier = FileField(
        "Fichier CSV (UTF-8 ou Windows, séparateur virgule ou point-virgule)",
        validators=[FileRequired("Choisissez un fichier CSV.")],
    )


# --- error summary ------------------------------------------------------------------------------

SUMMARY_SKIPPED = ("CSRFTokenField", "HiddenField")


def focus_target(field: Field) -> str:
    """The id a link to ``field`` should point at: its input, or a group's first box."""
    if isinstance(field.widget, ListWidget):
        return f"{field.id}-0"  # a list of checkboxes or radios: its first option
    return field.id


def summary_label(field: Field) -> str:
    """A field's label as a summary line starts: without the « (facultatif) » mention."""
    return field.label.text.removesuffix(" (facultatif)")


def field_errors(field: Field, context: str = "") -> list[tuple[str, str]]:
    """``(id to link to, "Label (context) : message")`` for each message of one field."""
    label = summary_label(field) + (f" ({context})" if context else "")
    return [(focus_target(field), f"{label} : {e}") for e in field.errors if isinstance(e, str)]


class SummarisedForm:
    """A form whose errors are listed above it, each a link to its field.

    :meth:`error_summary` walks the fields in their declared order (the order
    the page shows them); a form laid out otherwise overrides it.
    """

    def error_summary(self) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        for field in self:  # type: ignore[attr-defined]
            if field.type not in SUMMARY_SKIPPED:
                items.extend(field_errors(field))
        return items
