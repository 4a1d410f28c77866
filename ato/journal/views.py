"""The journal under /admin/journal: what staff did, filtered, and as CSV."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response

from ato.core import audit, csvfile
from ato.core.access import Role, requires, staff_blueprint
from ato.directory import labels
from ato.extensions import db
from ato.journal import services
from ato.journal.forms import AuditFilterForm
from ato.web import small_int

bp = staff_blueprint("journal", __name__, "/admin")
PER_PAGE = 50


def _form() -> AuditFilterForm:
    return AuditFilterForm(audit.recorded_actions(), request.args)


@bp.get("/journal")
@requires(Role.MODERATEUR)
def index() -> str:
    form = _form()
    page = db.paginate(
        services.query(form.values()),
        page=small_int(request.args.get("page"), 100_000) or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    vocabulary = labels.Vocabulary.load()
    return render_template(
        "journal/journal.html",
        form=form,
        page=page,
        changes={e.id: services.describe(e, vocabulary) for e in page.items},
        args=form.args(request.args),
    )


@bp.get("/journal.csv")
@requires(Role.MODERATEUR)
def export() -> Response:
    text = csvfile.write(services.HEADER, services.rows(_form().values()))
    return csvfile.response(text, "ato-journal.csv")
