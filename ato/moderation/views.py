"""The moderation queue under /admin: requests waiting for a decision, and the decisions.

Every decision is a POST with CSRF; the service flushes, this view commits once.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ato.core.access import Role, requires, staff_blueprint
from ato.core.errors import DomainError
from ato.core.text import plural
from ato.directory import labels
from ato.directory import services as directory
from ato.extensions import csrf, db
from ato.mail import services as mail
from ato.moderation import services
from ato.registration import staff
from ato.registration.models import Demande

bp = staff_blueprint("moderation", __name__, "/admin")


@bp.get("/")
@requires(Role.MODERATEUR)
def queue() -> str:
    return render_template("moderation/queue.html", queue=services.queue())


@bp.get("/demandes/<int:demande_id>")
@requires(Role.MODERATEUR)
def demande(demande_id: int) -> str:
    item = db.get_or_404(Demande, demande_id)
    review = services.review(item)
    duplicate = directory.find_duplicate(item.payload)
    if duplicate is not None and duplicate.requis.id == item.requis_id:
        duplicate = None
    return render_template(
        "moderation/demande.html",
        demande=item,
        review=review,
        tally=labels.tally(review),
        duplicate=duplicate,
        homonyms=directory.find_homonyms(item.payload, exclude=item.requis_id),
        identifier_checks=services.identifier_checks(item.payload),
    )


DECISIONS = {
    "publier": lambda item, text: services.publish(item, current_user),
    "refuser": lambda item, text: services.reject(item, current_user, text),
    "completer": lambda item, text: services.ask_changes(item, current_user, text),
    "examiner": lambda item, text: services.examine(item, current_user),
}


@bp.post("/demandes/<int:demande_id>/<action>")
@requires(Role.MODERATEUR)
def decide(demande_id: int, action: str) -> Response:
    item = db.get_or_404(Demande, demande_id)
    if action not in DECISIONS:
        abort(404)
    if item.statut not in services.OPEN_STATUTS:
        flash("Cette demande a déjà été traitée.")
        return redirect(url_for(".demande", demande_id=demande_id))
    text = (request.form.get("message") or "").strip()[:2000]
    try:
        DECISIONS[action](item, text)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc))
        return redirect(url_for(".demande", demande_id=demande_id))
    db.session.commit()
    mail.nudge()
    flash("Décision enregistrée.")
    return redirect(url_for(".queue"))


@bp.route("/demandes/<int:demande_id>/modifier", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
@csrf.exempt  # the form checks its own token, so that an expired one keeps what was typed
def edit_demande(demande_id: int) -> str | Response | tuple[str, int]:
    """Staff correct a pending request. It stays pending: correcting never publishes."""
    item = db.get_or_404(Demande, demande_id)
    if item.statut not in services.OPEN_STATUTS:
        flash(
            "Cette demande n'est plus à décider (traitée, ou renvoyée au demandeur qui la "
            "complète) : elle ne peut pas être corrigée maintenant."
        )
        return redirect(url_for(".demande", demande_id=demande_id))

    def save(entry: dict) -> Response:
        changes = services.correct(item, entry, current_user)
        flash(
            f"Corrections enregistrées ({plural(len(changes), 'champ')}). "
            "La demande reste à décider."
        )
        return redirect(url_for(".demande", demande_id=demande_id), 303)

    return staff.edit(
        item.payload["nature"],
        item.payload,
        f"Corriger la demande : {item.payload['requis']['nom']}",
        item.requis_id,
        save,
    )
