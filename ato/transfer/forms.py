"""Import forms: the upload (shared with the report datasets) and the confirmation."""

from __future__ import annotations

from flask_wtf import FlaskForm

from ato.core.forms import CsvUploadForm, FrenchMeta

ImportForm = CsvUploadForm


class ConfirmImportForm(FlaskForm):
    """Confirm the import of a verified file (the file stays with its job on the server)."""

    Meta = FrenchMeta
