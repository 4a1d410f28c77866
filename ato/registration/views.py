"""Public registration: forms, tracking link, update link, error reports."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import RequestLimit
from sqlalchemy.exc import IntegrityError

from ato.directory import entries
from ato.directory import services as directory
from ato.extensions import csrf, db, limiter
from ato.mail import services as mail
from ato.registration import services
from ato.registration.forms import FORMS, RequisForm, SignalementForm
from ato.registration.models import StatutDemande
from ato.web import private, public_post

bp = Blueprint("registration", __name__)

TITLES = {
    "etablissement": "Inscrire un établissement de santé",
    "liberal": "Inscrire un professionnel libéral",
    "dispositif": "Inscrire un dispositif de coordination ou régional",
}


def _submission_limit() -> str:
    return current_app.config["ATO_SUBMISSION_RATE_LIMIT"]


def _too_many(limit: RequestLimit) -> Response:
    """Over the per-IP limit: show the form again, everything typed kept, and say why."""
    nature = (request.view_args or {}).get("nature")
    if nature in FORMS:
        form = FORMS[nature]()
        return Response(_render_form(form, nature, limited=True), status=429)
    return Response(
        render_template(
            "errors/error.html",
            code=429,
            title="Trop de demandes",
            message="Réessayez dans une heure.",
        ),
        status=429,
    )


def _render_form(form: RequisForm, nature: str, **context: object) -> str:
    return render_template(
        "registration/formulaire.html",
        form=form,
        nature=nature,
        title=context.pop("title", TITLES[nature]),
        **context,
    )


def _csrf_failed(form: RequisForm) -> bool:
    """Whether the form failed only because its CSRF token expired or is missing."""
    token = getattr(form, "csrf_token", None)
    return bool(token is not None and token.errors)


@bp.get("/inscription")
def choix() -> str:
    return render_template("registration/choix.html")


@bp.route("/inscription/<nature>", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so that an expired one keeps what was typed
@private  # never cached: the page carries this form's own key
@public_post(on_breach=_too_many)
@limiter.limit(
    _submission_limit,
    methods=["POST"],
    on_breach=_too_many,
    deduct_when=lambda response: response.status_code == 303,
)
def inscription(nature: str) -> str | Response | tuple[str, int]:
    if nature not in FORMS:
        abort(404)
    form = FORMS[nature]()
    if request.method == "GET":
        form.idempotency_key.data = services.new_idempotency_key()
        return _render_form(form, nature)
    if not services.valid_idempotency_key(form.idempotency_key.data):
        form.idempotency_key.data = services.new_idempotency_key()
    if form.handle_service_action(request.form.get("action", "")):
        return _render_form(form, nature)
    if form.site_internet.data:  # honeypot: answer as if all went well, keep nothing
        return render_template("registration/recu.html")
    entry = form.validate_entry()
    if entry is None:
        return _render_form(form, nature, expired=_csrf_failed(form)), 422
    # The identifier is checked *before* the key: an identical post (double click, back
    # and resubmit) that commits between the two lookups is then seen as this request,
    # never as a duplicate of it. After both, a twin's commit surfaces at our commit.
    duplicate = directory.find_duplicate(entry)
    earlier = services.find_by_key(form.idempotency_key.data)
    if earlier is not None and earlier.payload == entry:
        return _to_tracking(form.idempotency_key.data)
    if earlier is not None:  # a key is not a pass: other content under it is another request
        form.idempotency_key.data = services.new_idempotency_key()
    if duplicate is not None:
        return _render_form(form, nature, duplicate=duplicate), 409
    try:
        services.submit(entry, form.idempotency_key.data)
        db.session.commit()
    except IntegrityError:  # the same form, or the same identifier, committed meanwhile
        db.session.rollback()
        twin = services.find_by_key(form.idempotency_key.data)
        if twin is not None and twin.payload == entry:
            return _to_tracking(form.idempotency_key.data)
        return _render_form(form, nature, duplicate=directory.find_duplicate(entry)), 409
    mail.nudge()
    return _to_tracking(form.idempotency_key.data, nouveau=True)


def _to_tracking(key: str, nouveau: bool = False) -> Response:
    token = services.tracking_token(key)
    target = url_for("registration.suivi", token=token, nouveau=1 if nouveau else None)
    return redirect(target, 303)


@bp.route("/suivi/<token>", methods=["GET", "POST"])
@csrf.exempt
@public_post()
@private
def suivi(token: str) -> str | Response | tuple[str, int]:
    demande = services.find_by_token(token)
    if demande is None:  # the same answer whether the request exists or not
        return render_template("registration/suivi_inconnu.html"), 404
    nature = demande.payload["nature"]
    form = None
    duplicate = None
    if demande.statut == StatutDemande.A_COMPLETER:
        if request.method == "POST":
            form = FORMS[nature]()
            entry = (
                None
                if form.handle_service_action(request.form.get("action", ""))
                else form.validate_entry()
            )
            if entry is not None:
                duplicate = directory.find_duplicate(entry, exclude=demande.requis_id)
                if duplicate is None:
                    try:
                        services.resubmit(demande, entry, token)
                        db.session.commit()
                    except IntegrityError:  # the identifier was taken meanwhile
                        db.session.rollback()
                        duplicate = directory.find_duplicate(entry, exclude=demande.requis_id)
                    else:
                        mail.nudge()
                        return redirect(url_for("registration.suivi", token=token), 303)
        else:
            form = FORMS[nature].from_entry(demande.payload)
    elif request.method == "POST":
        return redirect(url_for("registration.suivi", token=token), 303)
    page = render_template(
        "registration/suivi.html",
        demande=demande,
        sent=services.readable_entry(demande.payload),
        estimate=services.estimate(demande) if demande.statut in services.OPEN_STATUTS else None,
        form=form,
        nature=nature,
        nouveau=request.args.get("nouveau") == "1",
        duplicate=duplicate,
        expired=form is not None and _csrf_failed(form),
    )
    if duplicate is not None:
        return page, 409
    return page, 200 if form is None or not form.errors else 422


@bp.post("/requis/<int:requis_id>/mise-a-jour")
@public_post()
@limiter.limit("5 per hour")
def demander_lien(requis_id: int) -> str:
    requis = directory.get_published_requis(requis_id)
    if requis is None:
        abort(404)
    services.send_update_link(requis)
    db.session.commit()
    mail.nudge()
    return render_template("registration/lien_envoye.html", requis=requis)


@bp.route("/mise-a-jour/<token>", methods=["GET", "POST"])
@csrf.exempt
@public_post()
@private
def mise_a_jour(token: str) -> str | Response | tuple[str, int]:
    requis = services.requis_from_update_link(token)
    if requis is None:
        return render_template("registration/lien_invalide.html"), 404
    nature = requis.nature.value
    title = f"Mettre à jour la fiche : {requis.display_name}"
    if request.method == "GET":
        form = FORMS[nature].from_entry(entries.from_requis(requis))
        form.idempotency_key.data = services.new_idempotency_key()
        return _render_form(form, nature, title=title, update=requis)
    form = FORMS[nature]()
    if not services.valid_idempotency_key(form.idempotency_key.data):
        form.idempotency_key.data = services.new_idempotency_key()
    if form.handle_service_action(request.form.get("action", "")):
        return _render_form(form, nature, title=title, update=requis)
    entry = form.validate_entry()
    if entry is None:
        return _render_form(
            form, nature, title=title, update=requis, expired=_csrf_failed(form)
        ), 422
    earlier = services.find_by_key(form.idempotency_key.data)
    if earlier is not None and (earlier.requis_id != requis.id or earlier.payload != entry):
        form.idempotency_key.data = services.new_idempotency_key()  # not a pass to another one
        earlier = None
    if earlier is None:
        try:
            services.propose_update(requis, entry, form.idempotency_key.data)
            db.session.commit()
        except IntegrityError:  # the same form committed concurrently: one request
            db.session.rollback()
        mail.nudge()
    return _to_tracking(form.idempotency_key.data, nouveau=True)


@bp.route("/requis/<int:requis_id>/signaler", methods=["GET", "POST"])
@public_post()
@limiter.limit("10 per hour", methods=["POST"])
def signaler(requis_id: int) -> str | tuple[str, int]:
    requis = directory.get_published_requis(requis_id)
    if requis is None:
        abort(404)
    form = SignalementForm()
    if request.method == "POST":
        if form.validate():
            services.report_error(
                requis, form.categorie.data, form.commentaire.data, form.courriel.data
            )
            db.session.commit()
            return render_template("registration/signalement_merci.html", requis=requis)
        return render_template("registration/signaler.html", form=form, requis=requis), 422
    return render_template("registration/signaler.html", form=form, requis=requis)


@bp.route("/confirmation/<token>", methods=["GET", "POST"])
@public_post()
@private
def confirmation(token: str) -> str | Response | tuple[str, int]:
    """A campaign link: the page shows the entry and one button; the POST confirms.

    A GET never confirms: mail security scanners open every link of a mail,
    and would otherwise confirm entries nobody has read.
    """
    link = services.find_confirmation(token)
    problem = services.confirmation_problem(link)
    if problem is not None:
        done = link is not None and link.used_at is not None
        return render_template(
            "registration/confirmation.html", link=link, problem=problem, done=done
        ), 200 if done else 404
    if request.method == "POST":
        services.confirm(link)
        db.session.commit()
        return redirect(url_for("registration.confirmation", token=token, merci=1), 303)
    return render_template("registration/confirmation.html", link=link, problem=None, done=False)


@bp.get("/confirmation/<token>/mise-a-jour")
@private
def confirmation_mise_a_jour(token: str) -> Response | tuple[str, int]:
    """'Je la mets à jour': while the campaign link is valid, open a fresh update form."""
    link = services.find_confirmation(token)
    if services.confirmation_problem(link) is not None:  # used, expired, contact changed…
        return render_template("registration/lien_invalide.html"), 404
    return redirect(services.update_link(link.requis), 303)
