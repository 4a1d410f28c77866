"""Import forms: the upload (shared with the report datasets) and the confirmation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired

from ato.core.forms import CsvUploadForm, FrenchMeta

ImportForm = CsvUploadForm


class ConfirmImportForm(FlaskForm):
    """Carries the checked file back, compressed, so that confirming needs no server state."""

    Meta = FrenchMeta
    contenu = HiddenField(validators=[InputRequired()])
