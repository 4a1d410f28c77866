"""The staff back office under /admin: deny by default, every state change a POST with CSRF."""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from ato.auth import services as auth
from ato.auth.models import User
from ato.core.access import Role
from ato.core.models import utcnow
from ato.directory import services as directory
from ato.directory.models import Requis, Service, Statut
from ato.extensions import csrf, db, login_manager
from ato.mail import services as mail
from ato.moderation import services, transfer
from ato.moderation.forms import (
    AuditFilterForm,
    ConfirmImportForm,
    DirectoryFilterForm,
    ImportForm,
    InviteForm,
    MessageForm,
)
from ato.registration import services as registration
from ato.registration.forms import FORMS, RequisForm
from ato.registration.models import Demande, Signalement, StatutDemande
from ato.search.models import SearchMiss
from ato.web import external_url, small_int

bp = Blueprint("moderation", __name__, url_prefix="/admin")

ADMIN_ONLY = {
    "moderation.users",
    "moderation.invite",
    "moderation.user_active",
    "moderation.delete_requis",
}
PER_PAGE = 50


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


@bp.get("/demandes/<int:demande_id>")
def demande(demande_id: int) -> str:
    item = db.get_or_404(Demande, demande_id)
    changes = services.diff(item) if item.nature.value == "modification" else None
    duplicate = registration.find_duplicate(item.payload)
    if duplicate is not None and duplicate.requis.id == item.requis_id:
        duplicate = None
    return render_template(
        "moderation/demande.html",
        demande=item,
        changes=changes,
        duplicate=duplicate,
        homonyms=registration.find_homonyms(item.payload, exclude=item.requis_id),
        identifier_checks=services.identifier_checks(item.payload),
    )


@bp.post("/demandes/<int:demande_id>/<action>")
def decide(demande_id: int, action: str) -> Response:
    item = db.get_or_404(Demande, demande_id)
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


def _staff_form(nature: str, payload: dict | None) -> RequisForm:
    """The public form, for staff: prefilled from ``payload`` on GET, without the consent box."""
    form = (
        FORMS[nature]()
        if payload is None
        else FORMS[nature](data=registration.form_data_from_payload(payload))
    )
    del form.consentement  # staff correct an entry; the requis consented when registering
    if payload is not None:
        form.populate_choices()
    return form


def _edit(
    nature: str, payload: dict, title: str, exclude: int, save
) -> str | Response | tuple[str, int]:
    """GET shows the form; POST validates, checks identifiers, calls ``save`` and commits."""
    if request.method == "GET":
        return render_template(
            "moderation/edit.html", form=_staff_form(nature, payload), nature=nature, title=title
        )
    form = _staff_form(nature, None)
    if form.handle_service_action(request.form.get("action", "")):
        return render_template("moderation/edit.html", form=form, nature=nature, title=title)
    if not form.validate():
        expired = bool(form.csrf_token.errors) if "csrf_token" in form else False
        return render_template(
            "moderation/edit.html", form=form, nature=nature, title=title, expired=expired
        ), 422
    new_payload = registration.payload_from_form(nature, form)
    duplicate = registration.find_duplicate(new_payload, exclude=exclude)
    if duplicate is None:
        try:
            result = save(new_payload)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            duplicate = registration.find_duplicate(new_payload, exclude=exclude)
        else:
            return result
    return render_template(
        "moderation/edit.html", form=form, nature=nature, title=title, duplicate=duplicate
    ), 409


@bp.route("/demandes/<int:demande_id>/modifier", methods=["GET", "POST"])
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

    def save(payload: dict) -> Response:
        changes = services.correct(item, payload, current_user)
        flash(f"Corrections enregistrées ({len(changes)} champ(s)). La demande reste à décider.")
        return redirect(url_for(".demande", demande_id=demande_id), 303)

    return _edit(
        item.payload["nature"],
        item.payload,
        f"Corriger la demande : {item.payload['requis']['nom']}",
        item.requis_id,
        save,
    )


# --- the directory --------------------------------------------------------------------------------


@bp.get("/fiches")
def fiches() -> str:
    form = DirectoryFilterForm(request.args)
    values = form.values()
    if "specialite" in values:
        values["specialite"] = int(values["specialite"])
    page = db.paginate(
        services.directory_query(**values), page=_page(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "moderation/fiches.html",
        form=form,
        page=page,
        now=utcnow(),
        args=_filter_args(form),
    )


def _page() -> int:
    return small_int(request.args.get("page"), 100_000) or 1


def _filter_args(form: object) -> dict[str, str]:
    """The query string of the current filters: only the form's own fields, never other keys."""
    return {name: request.args[name] for name in form._fields if name in request.args}  # type: ignore[attr-defined]


@bp.get("/fiches/<int:requis_id>")
def fiche(requis_id: int) -> str:
    requis = db.get_or_404(Requis, requis_id)
    return render_template(
        "moderation/fiche.html",
        requis=requis,
        history=services.history("requis", requis.id),
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
    )


@bp.route("/fiches/<int:requis_id>/modifier", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so that an expired one keeps what was typed
def edit_requis(requis_id: int) -> str | Response | tuple[str, int]:
    """Staff edit a published entry: applied at once, recorded as a staff revision."""
    requis = db.get_or_404(Requis, requis_id)
    if requis.statut != Statut.PUBLISHED:
        flash("Seule une fiche publiée se modifie ici ; une demande se corrige depuis la file.")
        return redirect(url_for(".fiche", requis_id=requis_id))

    def save(payload: dict) -> Response:
        services.revise(requis, payload, current_user)
        flash("Fiche modifiée et publiée.")
        return redirect(url_for(".fiche", requis_id=requis_id), 303)

    return _edit(
        requis.nature.value,
        registration.payload_from_requis(requis),
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
def fiche_action(requis_id: int, action: str) -> Response:
    requis = db.get_or_404(Requis, requis_id)
    if action == "confirmation":
        sent, _ = services.send_campaign([requis.id], current_user)
        db.session.commit()
        mail.try_deliver()
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
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc))
    else:
        db.session.commit()
        flash(message)
    return redirect(url_for(".fiche", requis_id=requis_id), 303)


@bp.post("/fiches/<int:requis_id>/supprimer")
def delete_requis(requis_id: int) -> Response:
    requis = db.get_or_404(Requis, requis_id)
    name = requis.display_name
    services.delete(requis, current_user)
    db.session.commit()
    flash(f"Fiche « {name} » supprimée définitivement (son contenu reste dans le journal).")
    return redirect(url_for(".fiches"), 303)


@bp.post("/services/<int:service_id>/disponibilite")
def availability(service_id: int) -> Response:
    service = db.get_or_404(Service, service_id)
    form = MessageForm()
    unavailable = request.form.get("indisponible") == "1"
    if not form.validate():
        flash("Message trop long (500 caractères au plus) : rien n'a changé.")
    else:
        services.set_unavailable(service, unavailable, form.message.data or "", current_user)
        db.session.commit()
        flash(
            "Service marqué temporairement indisponible."
            if unavailable
            else "Service de nouveau disponible."
        )
    return redirect(url_for(".fiche", requis_id=service.requis_id), 303)


# --- freshness ------------------------------------------------------------------------------------


@bp.get("/fraicheur")
def freshness() -> str:
    return render_template(
        "moderation/fraicheur.html",
        groups=services.freshness(),
        recence=directory.recence(),
        Fraicheur=services.Fraicheur,
    )


@bp.post("/fraicheur/campagne")
def campaign() -> Response:
    ids = [i for i in map(small_int, request.form.getlist("requis")[:5000]) if i is not None]
    if not ids:
        flash("Cochez au moins une fiche.")
        return redirect(url_for(".freshness"), 303)
    sent, skipped = services.send_campaign(ids, current_user)
    db.session.commit()
    mail.try_deliver()
    message = f"{len(sent)} demande(s) de confirmation envoyée(s)."
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
def reports() -> str:
    items = db.session.scalars(
        select(Signalement)
        .options(selectinload(Signalement.requis))
        .order_by(Signalement.traite_at.is_not(None), Signalement.created_at.desc())
        .limit(500)
    ).all()
    return render_template("moderation/signalements.html", items=items, form=MessageForm())


@bp.post("/signalements/<int:signalement_id>/traiter")
def close_report(signalement_id: int) -> Response:
    item = db.get_or_404(Signalement, signalement_id)
    if item.traite_at is None:
        services.close_report(item, current_user)
        db.session.commit()
        flash("Signalement marqué comme traité.")
    return redirect(url_for(".reports"), 303)


@bp.get("/recherches-sans-resultat")
def misses() -> str:
    items = db.session.scalars(
        select(SearchMiss).order_by(SearchMiss.count.desc(), SearchMiss.last_at.desc()).limit(300)
    ).all()
    return render_template("moderation/recherches.html", items=items)


# --- audit log ------------------------------------------------------------------------------------


def _audit_filters() -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(services.audit_actions(), request.args)
    values = form.values()
    return form, {
        "action": values.get("action", ""),
        "actor": values.get("acteur", ""),
        "object_type": values.get("objet", ""),
        "object_id": values.get("objet_id"),
        "start": values.get("debut"),
        "end": values.get("fin"),
    }


@bp.get("/journal")
def journal() -> str:
    form, filters = _audit_filters()
    page = db.paginate(
        services.audit_query(**filters), page=_page(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "moderation/journal.html",
        form=form,
        page=page,
        args=_filter_args(form),
    )


@bp.get("/journal.csv")
def journal_csv() -> Response:
    _, filters = _audit_filters()
    entries = db.session.scalars(services.audit_query(**filters).limit(100_000))
    rows = (
        [
            e.created_at.isoformat(),
            e.actor_label,
            e.action,
            e.object_type,
            e.object_id,
            field,
            _cell(values[0] if isinstance(values, list) and values else None),
            _cell(values[1] if isinstance(values, list) and len(values) > 1 else None),
        ]
        for e in entries
        for field, values in (e.changes.items() or [("", [None, None])])
    )
    header = ["date", "auteur", "action", "objet", "numero", "champ", "avant", "apres"]
    return _csv_response(transfer.write_csv(header, rows), "ato-journal.csv")


def _cell(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _csv_response(text: str, filename: str) -> Response:
    response = current_app.response_class(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- import and export ----------------------------------------------------------------------------


@bp.get("/export.csv")
def export() -> Response:
    return _csv_response(transfer.export_published(), "ato-annuaire.csv")


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
def import_csv() -> str | tuple[str, int]:
    """Upload → dry run: what would be created and every error, line by line. Writes nothing."""
    form = ImportForm()
    if request.method == "GET":
        return render_template("moderation/import.html", form=form, columns=transfer.COLUMNS)
    if not form.validate():
        return render_template("moderation/import.html", form=form, columns=transfer.COLUMNS), 422
    data = form.fichier.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    plan = transfer.plan(data)
    confirm = ConfirmImportForm(formdata=None, contenu=_pack(data)) if plan.ok else None
    return render_template(
        "moderation/import.html",
        form=form,
        columns=transfer.COLUMNS,
        plan=plan,
        confirm=confirm,
        filename=form.fichier.data.filename,
    ), 200 if plan.ok else 422


@bp.post("/import/confirmer")
def import_confirm() -> str | Response | tuple[str, int]:
    """Create the entries: the file is checked again; any error and nothing is written."""
    form = ConfirmImportForm()
    data = _unpack(form.contenu.data or "") if form.validate() else None
    if data is None:
        flash("Import interrompu : le fichier n'a pas été transmis. Déposez-le à nouveau.")
        return redirect(url_for(".import_csv"), 303)
    plan = transfer.plan(data)
    if not plan.ok:
        return render_template(
            "moderation/import.html",
            form=ImportForm(),
            columns=transfer.COLUMNS,
            plan=plan,
            confirm=None,
            changed=True,
        ), 409
    try:
        created = transfer.apply(plan, current_user)
        db.session.commit()
    except IntegrityError:  # an identifier taken by a concurrent change
        db.session.rollback()
        flash("L'annuaire a changé pendant l'import : rien n'a été enregistré. Réessayez.")
        return redirect(url_for(".import_csv"), 303)
    flash(f"{len(created)} fiche(s) importée(s) et publiée(s), à vérifier par une campagne.")
    return redirect(url_for(".fiches", statut="published", fraicheur="jamais"), 303)


# --- staff accounts (administrators) --------------------------------------------------------------


@bp.get("/utilisateurs")
def users() -> str:
    return render_template(
        "moderation/users.html",
        users=db.session.scalars(select(User).order_by(User.email)).all(),
        form=InviteForm(),
    )


@bp.post("/utilisateurs")
def invite() -> str | Response | tuple[str, int]:
    form = InviteForm()
    if form.validate():
        try:
            user, token = auth.invite(form.email.data, form.nom.data, Role(form.role.data))
        except ValueError as exc:
            form.email.errors.append(str(exc))
        else:
            services.audit(
                current_user,
                "invitation",
                "user_account",
                user.id,
                {"email": [None, user.email], "role": [None, user.role.value]},
            )
            mail.queue(
                user.email,
                "ATO — votre compte dans l'équipe de l'annuaire",
                render_template(
                    "moderation/mail_invitation.txt",
                    user=user,
                    by=current_user,
                    link=external_url("auth.activation", token=token),
                ),
            )
            db.session.commit()
            mail.try_deliver()
            flash(f"Invitation envoyée à {user.email} (lien valable 3 jours).")
            return redirect(url_for(".users"), 303)
    return render_template(
        "moderation/users.html",
        users=db.session.scalars(select(User).order_by(User.email)).all(),
        form=form,
    ), 422


@bp.post("/utilisateurs/<int:user_id>/<action>")
def user_active(user_id: int, action: str) -> Response:
    user = db.session.get(User, user_id)
    if user is None or action not in ("desactiver", "reactiver"):
        abort(404)
    active = action == "reactiver"
    if user.id == current_user.id:
        flash("Vous ne pouvez pas désactiver votre propre compte.")
        return redirect(url_for(".users"), 303)
    if (
        not active
        and user.is_admin
        and db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.role == Role.ADMINISTRATEUR,
                User.active.is_(True),
                User.password_hash != auth.UNUSABLE_PASSWORD,
            )
        )
        <= 1
    ):
        flash("Il doit rester au moins un administrateur actif.")
        return redirect(url_for(".users"), 303)
    services.audit(
        current_user, "compte_" + action, "user_account", user.id, {"active": [user.active, active]}
    )
    auth.set_active(user, active)
    db.session.commit()
    flash(f"Compte {user.email} {'réactivé' if active else 'désactivé'}.")
    return redirect(url_for(".users"), 303)
