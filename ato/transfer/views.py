"""Import and export of the directory as CSV, under /admin (staff)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ato.core import csvfile
from ato.core.access import Role, requires, staff_blueprint
from ato.extensions import db
from ato.transfer import services
from ato.transfer.forms import ConfirmImportForm, ImportForm
from ato.transfer.models import EtatImport, ImportJob, NatureImport

bp = staff_blueprint("transfer", __name__, "/admin")


@bp.get("/export.csv")
@requires(Role.MODERATEUR)
def export() -> Response:
    return csvfile.response(services.export_published(), "ato-annuaire.csv")


@bp.route("/import", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
def import_csv() -> str | Response | tuple[str, int]:
    """Upload: a verification job starts (a dry run, nothing written); its page follows it."""
    form = ImportForm()
    if request.method == "GET":
        return render_template("transfer/import.html", form=form, columns=services.COLUMNS)
    if not form.validate():
        return render_template("transfer/import.html", form=form, columns=services.COLUMNS), 422
    data = form.fichier.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    job = services.start_job(
        NatureImport.VERIFICATION, data, form.fichier.data.filename or "fichier.csv", current_user
    )
    db.session.commit()
    services.launch(current_app._get_current_object(), job.id)
    return redirect(url_for(".job", job_id=job.id), 303)


@bp.get("/import/<int:job_id>")
@requires(Role.MODERATEUR)
def job(job_id: int) -> str | tuple[str, int]:
    """Where a job is: a progress bar while it runs (the page refreshes itself), then its
    result: every error by line, or what would be (or was) created."""
    item = db.get_or_404(ImportJob, job_id)
    if item.running:
        return render_template("transfer/progress.html", job=item)
    context = {"form": ImportForm(), "columns": services.COLUMNS, "job": item}
    if item.etat == EtatImport.ECHOUE or not item.result["ok"]:
        return render_template("transfer/import.html", **context), 422
    confirm = ConfirmImportForm() if item.nature == NatureImport.VERIFICATION else None
    return render_template("transfer/import.html", confirm=confirm, **context)


@bp.post("/import/<int:job_id>/confirmer")
@requires(Role.MODERATEUR)
def import_confirm(job_id: int) -> Response:
    """Create the entries: an import job checks the same file again, then writes all or
    nothing."""
    verification = db.get_or_404(ImportJob, job_id)
    form = ConfirmImportForm()
    if (
        not form.validate()
        or verification.nature != NatureImport.VERIFICATION
        or verification.etat != EtatImport.TERMINE
        or not verification.result["ok"]
    ):
        flash("Seule une vérification terminée et sans erreur peut être importée.")
        return redirect(url_for(".job", job_id=job_id), 303)
    job = services.start_job(
        NatureImport.IMPORT, verification.data, verification.filename, current_user
    )
    db.session.commit()
    services.launch(current_app._get_current_object(), job.id)
    return redirect(url_for(".job", job_id=job.id), 303)
