"""Import and export of the directory as CSV, under /admin (staff)."""

from __future__ import annotations

import base64
import binascii
import zlib

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ato.core import csvfile
from ato.core.access import Role, requires, staff_blueprint
from ato.extensions import db
from ato.transfer import services
from ato.transfer.forms import ConfirmImportForm, ImportForm

bp = staff_blueprint("transfer", __name__, "/admin")


@bp.get("/export.csv")
@requires(Role.MODERATEUR)
def export() -> Response:
    return csvfile.response(services.export_published(), "ato-annuaire.csv")


def _pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data)).decode()


def _unpack(text: str) -> bytes | None:
    """The uploaded file back, or None if tampered with or larger than an upload may be."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.b64decode(text, validate=True), limit)
    except (binascii.Error, zlib.error, ValueError):
        return None
    return None if inflater.unconsumed_tail else data


@bp.route("/import", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
def import_csv() -> str | tuple[str, int]:
    """Upload → dry run: what would be created and every error, line by line. Writes nothing."""
    form = ImportForm()
    if request.method == "GET":
        return render_template("transfer/import.html", form=form, columns=services.COLUMNS)
    if not form.validate():
        return render_template("transfer/import.html", form=form, columns=services.COLUMNS), 422
    data = form.fichier.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    plan = services.plan(data)
    confirm = ConfirmImportForm(formdata=None, contenu=_pack(data)) if plan.ok else None
    return render_template(
        "transfer/import.html",
        form=form,
        columns=services.COLUMNS,
        plan=plan,
        confirm=confirm,
        filename=form.fichier.data.filename,
    ), 200 if plan.ok else 422


@bp.post("/import/confirmer")
@requires(Role.MODERATEUR)
def import_confirm() -> str | Response | tuple[str, int]:
    """Create the entries: the file is checked again; any error and nothing is written."""
    form = ConfirmImportForm()
    data = _unpack(form.contenu.data or "") if form.validate() else None
    if data is None:
        flash("Import interrompu : le fichier n'a pas été transmis. Déposez-le à nouveau.")
        return redirect(url_for(".import_csv"), 303)
    plan = services.plan(data)
    if not plan.ok:
        return render_template(
            "transfer/import.html",
            form=ImportForm(),
            columns=services.COLUMNS,
            plan=plan,
            confirm=None,
            changed=True,
        ), 409
    try:
        created = services.apply(plan, current_user)
        db.session.commit()
    except IntegrityError:  # an identifier taken by a concurrent change
        db.session.rollback()
        flash("L'annuaire a changé pendant l'import : rien n'a été enregistré. Réessayez.")
        return redirect(url_for(".import_csv"), 303)
    flash(f"{len(created)} fiche(s) importée(s) et publiée(s), à vérifier par une campagne.")
    return redirect(url_for("curation.fiches", statut="publiee", fraicheur="jamais"), 303)
