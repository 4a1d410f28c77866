"""The back-office directory under /admin: entries, their upkeep, freshness, what the public
reports. Every state change is a POST with CSRF; services flush, these views commit once."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from ato.core import audit
from ato.core.access import Role, requires, staff_blueprint
from ato.core.audit import Subject
from ato.core.errors import DomainError
from ato.core.models import paris_day, utcnow
from ato.core.text import plural
from ato.curation import services
from ato.curation.forms import ClosureForm, DirectoryFilterForm, MessageForm
from ato.directory import entries, labels
from ato.directory import services as directory
from ato.directory.models import Fraicheur, Requis, Service, Statut
from ato.extensions import csrf, db
from ato.journal import services as journal
from ato.mail import services as mail
from ato.registration import staff
from ato.registration.models import Demande, Signalement
from ato.search.models import SearchMiss
from ato.web import periode_fr, small_int

bp = staff_blueprint("curation", __name__, "/admin")
PER_PAGE = 50


@bp.get("/fiches")
@requires(Role.MODERATEUR)
def fiches() -> str:
    form = DirectoryFilterForm(request.args)
    values = form.values()
    if "specialite" in values:
        values["specialite"] = int(values["specialite"])
    page = db.paginate(
        services.directory_query(**values),
        page=small_int(request.args.get("page"), 100_000) or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "curation/fiches.html", form=form, page=page, now=utcnow(), args=form.args(request.args)
    )


@bp.get("/fiches/<int:requis_id>")
@requires(Role.MODERATEUR)
def fiche(requis_id: int) -> str:
    return _render_fiche(db.get_or_404(Requis, requis_id))


def _render_fiche(requis: Requis, closure: tuple[int, ClosureForm] | None = None) -> str:
    """The staff page of an entry; ``closure`` shows one service's closure form again with
    what was typed and its errors."""
    forms = {
        s.id: ClosureForm(
            formdata=None,
            prefix=f"s{s.id}",
            du=s.indisponible_du,
            au=s.indisponible_au,
            message=s.indisponible_message,
        )
        for s in requis.services
    }
    if closure:
        forms[closure[0]] = closure[1]
    history = audit.history(Subject.REQUIS, requis.id)
    vocabulary = labels.Vocabulary.load()
    return render_template(
        "curation/fiche.html",
        requis=requis,
        history=history,
        changes={e.id: journal.describe(e, vocabulary) for e in history},
        demandes=db.session.scalars(
            select(Demande)
            .where(Demande.requis_id == requis.id)
            .order_by(Demande.created_at.desc())
        ).all(),
        signalements=db.session.scalars(
            select(Signalement)
            .where(Signalement.requis_id == requis.id)
            .order_by(Signalement.created_at.desc())
        ).all(),
        form=MessageForm(),
        closure_forms=forms,
        today=paris_day(),
    )


@bp.route("/fiches/<int:requis_id>/modifier", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
@csrf.exempt  # the form checks its own token, so that an expired one keeps what was typed
def edit_requis(requis_id: int) -> str | Response | tuple[str, int]:
    """Staff edit a published entry: applied at once, recorded as a staff revision."""
    requis = db.get_or_404(Requis, requis_id)
    if requis.statut != Statut.PUBLIEE:
        flash("Seule une fiche publiée se modifie ici ; une demande se corrige depuis la file.")
        return redirect(url_for(".fiche", requis_id=requis_id))

    def save(entry: dict) -> Response:
        services.revise(requis, entry, current_user)
        flash("Fiche modifiée et publiée.")
        return redirect(url_for(".fiche", requis_id=requis_id), 303)

    return staff.edit(
        requis.nature.value,
        entries.from_requis(requis),
        f"Modifier la fiche : {requis.display_name}",
        requis.id,
        save,
    )


FICHE_ACTIONS = {
    "verifier": (services.mark_verified, "Fiche marquée comme vérifiée aujourd'hui."),
    "archiver": (services.archive, "Fiche archivée : elle n'est plus publiée."),
    "republier": (services.restore, "Fiche publiée à nouveau."),
}


@bp.post("/fiches/<int:requis_id>/<action>")
@requires(Role.MODERATEUR)
def fiche_action(requis_id: int, action: str) -> Response:
    requis = db.get_or_404(Requis, requis_id)
    if action == "confirmation":
        sent, _ = services.send_campaign([requis.id], current_user)
        db.session.commit()
        mail.nudge()
        flash(
            "Demande de confirmation envoyée au contact de la fiche."
            if sent
            else "Aucun envoi : la fiche n'est pas publiée ou n'a pas de courriel de contact."
        )
        return redirect(url_for(".fiche", requis_id=requis_id), 303)
    if action not in FICHE_ACTIONS:
        abort(404)
    operation, message = FICHE_ACTIONS[action]
    try:
        operation(requis, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc))
    else:
        db.session.commit()
        flash(message)
    return redirect(url_for(".fiche", requis_id=requis_id), 303)


@bp.post("/fiches/<int:requis_id>/supprimer")
@requires(Role.ADMINISTRATEUR)
def delete_requis(requis_id: int) -> Response:
    requis = db.get_or_404(Requis, requis_id)
    name = requis.display_name
    services.delete(requis, current_user)
    db.session.commit()
    flash(f"Fiche « {name} » supprimée définitivement (son contenu reste dans le journal).")
    return redirect(url_for(".fiches"), 303)


@bp.post("/services/<int:service_id>/disponibilite")
@requires(Role.MODERATEUR)
def availability(service_id: int) -> Response | tuple[str, int]:
    """Set a service's closure (dates and message), or cancel it (``annuler``)."""
    service = db.get_or_404(Service, service_id)
    if request.form.get("annuler") == "1":
        if not MessageForm().validate():  # the CSRF token
            flash("Le formulaire a expiré : rien n'a changé. Recommencez.")
        else:
            services.set_available(service, current_user)
            db.session.commit()
            flash("Service de nouveau disponible.")
        return redirect(url_for(".fiche", requis_id=service.requis_id), 303)
    form = ClosureForm(prefix=f"s{service.id}")
    if not form.validate():
        flash("L'indisponibilité n'a pas été enregistrée : corrigez le formulaire du service.")
        return _render_fiche(service.requis, (service.id, form)), 422
    services.set_unavailable(
        service, form.du.data, form.au.data, form.message.data or "", current_user
    )
    db.session.commit()
    flash(
        "Service indisponible "
        + periode_fr(form.du.data, form.au.data)
        + (" (annoncé sur la fiche d'ici là)." if form.du.data > paris_day() else ".")
    )
    return redirect(url_for(".fiche", requis_id=service.requis_id), 303)


# --- freshness ------------------------------------------------------------------------------------


@bp.get("/fraicheur")
@requires(Role.MODERATEUR)
def freshness() -> str:
    return render_template(
        "curation/fraicheur.html",
        groups=services.freshness(),
        recence=directory.recence(),
        Fraicheur=Fraicheur,
    )


@bp.post("/fraicheur/campagne")
@requires(Role.MODERATEUR)
def campaign() -> Response:
    ids = [i for i in map(small_int, request.form.getlist("requis")[:5000]) if i is not None]
    if not ids:
        flash("Cochez au moins une fiche.")
        return redirect(url_for(".freshness"), 303)
    sent, skipped = services.send_campaign(ids, current_user)
    db.session.commit()
    mail.nudge()
    message = (
        plural(len(sent), "demande de confirmation envoyée", "demandes de confirmation envoyées")
        + "."
    )
    if skipped:
        message += (
            " Sans envoi (non publiée ou sans courriel) : "
            + ", ".join(r.display_name for r in skipped[:20])
            + "."
        )
    flash(message)
    return redirect(url_for(".freshness"), 303)


# --- what the public tells us ---------------------------------------------------------------------


@bp.get("/signalements")
@requires(Role.MODERATEUR)
def signalements() -> str:
    items = db.session.scalars(
        select(Signalement)
        .options(selectinload(Signalement.requis))
        .order_by(Signalement.closed_at.is_not(None), Signalement.created_at.desc())
        .limit(500)
    ).all()
    return render_template("curation/signalements.html", items=items, form=MessageForm())


@bp.post("/signalements/<int:signalement_id>/traiter")
@requires(Role.MODERATEUR)
def close_signalement(signalement_id: int) -> Response:
    item = db.get_or_404(Signalement, signalement_id)
    if item.closed_at is None:
        services.close_signalement(item, current_user)
        db.session.commit()
        flash("Signalement marqué comme traité.")
    return redirect(url_for(".signalements"), 303)


@bp.get("/recherches-sans-resultat")
@requires(Role.MODERATEUR)
def misses() -> str:
    items = db.session.scalars(
        select(SearchMiss).order_by(SearchMiss.count.desc(), SearchMiss.last_at.desc()).limit(300)
    ).all()
    return render_template("curation/recherches.html", items=items)
