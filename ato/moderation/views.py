"""The staff back office under /admin: deny by default, every state change a POST with CSRF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ato.auth.models import User
from ato.extensions import db, login_manager
from ato.mail import services as mail
from ato.moderation import services
from ato.moderation.models import AuditEntry
from ato.registration import services as registration
from ato.registration.models import Demande, StatutDemande

bp = Blueprint("moderation", __name__, url_prefix="/admin")

ADMIN_ONLY = {"moderation.users"}


@bp.before_request
def deny_by_default() -> Response | None:
    """Every /admin URL: anonymous → login; moderators never reach administrator pages."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.endpoint in ADMIN_ONLY and not current_user.is_admin:
        abort(403)
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def queue() -> str:
    return render_template("moderation/queue.html", queue=services.queue())


def _demande(demande_id: int) -> Demande:
    demande = db.session.get(Demande, demande_id)
    if demande is None:
        abort(404)
    return demande


@bp.get("/demandes/<int:demande_id>")
def demande(demande_id: int) -> str:
    item = _demande(demande_id)
    changes = services.diff(item) if item.nature.value == "modification" else None
    duplicate = registration.find_duplicate(item.payload)
    if duplicate is not None and duplicate.requis.id == item.requis_id:
        duplicate = None
    return render_template(
        "moderation/demande.html", demande=item, changes=changes, duplicate=duplicate
    )


@bp.post("/demandes/<int:demande_id>/<action>")
def decide(demande_id: int, action: str) -> Response:
    item = _demande(demande_id)
    if item.statut not in services.OPEN_STATUTS:
        flash("Cette demande a déjà été traitée.")
        return redirect(url_for(".demande", demande_id=demande_id))
    text = (request.form.get("message") or "").strip()[:2000]
    try:
        if action == "publier":
            services.publish(item, current_user)
        elif action == "refuser":
            services.reject(item, current_user, text)
        elif action == "completer":
            services.ask_changes(item, current_user, text)
        elif action == "examiner":
            services.audit(
                current_user,
                "examen",
                "demande",
                item.id,
                {"statut": [item.statut.value, StatutDemande.EN_COURS.value]},
            )
            item.statut = StatutDemande.EN_COURS
        else:
            abort(404)
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc))
        return redirect(url_for(".demande", demande_id=demande_id))
    db.session.commit()
    mail.try_deliver()
    flash("Décision enregistrée.")
    return redirect(url_for(".queue"))


@bp.get("/journal")
def journal() -> str:
    entries = db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.created_at.desc()).limit(200)
    ).all()
    return render_template("moderation/journal.html", entries=entries)


@bp.get("/utilisateurs")
def users() -> str:
    return render_template(
        "moderation/users.html", users=db.session.scalars(select(User).order_by(User.email)).all()
    )
