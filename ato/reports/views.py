"""Report pages under /rapports and their staff administration under /admin/rapports.

Public pages read published figures only; every chart has a stable CSV URL.
Staff pages sit on a staff blueprint (:func:`ato.core.access.staff_blueprint`):
each view declares the role it requires — moderators may edit and publish the
figures — and an undeclared one is closed to everyone. Every change is a POST
with CSRF, audited by its service, committed once here.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ato.core import csvfile
from ato.core.access import Role, required_role, requires, staff_blueprint
from ato.core.errors import DomainError
from ato.core.text import plural
from ato.directory import services as directory
from ato.extensions import db
from ato.reports import figures, services
from ato.reports.figures import Tableau
from ato.reports.forms import IndicateurForm, JeuImportForm
from ato.reports.models import Indicateur, JeuDepartemental
from ato.web import nombre, render_error

bp = Blueprint("reports", __name__, url_prefix="/rapports")
admin_bp = staff_blueprint("reports_admin", __name__, "/admin/rapports")


# --- number formatting --------------------------------------------------------------------


@bp.app_template_filter("evolution")
def evolution(value: Decimal | None) -> str:
    """``+31 %``, ``−5 %`` (a true minus sign, read « moins »)."""
    if value is None:
        return ""
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{nombre(abs(value))}\u00a0%"


@bp.app_template_filter("valeur")
def valeur(value: Decimal | int | None, unite: str = "") -> str:
    """A value with its unit, French style: ``99,89 %``, ``87 208 demandes``."""
    if value is None:
        return "non renseigné"
    if unite == "%":
        return f"{nombre(value)}\u00a0%"
    return f"{nombre(value)} {unite}".strip()


def csv_response(table: Tableau, filename: str) -> Response:
    """A data table as a CSV download (the same rows as the table on the page)."""
    return csvfile.response(csvfile.write(table.colonnes, table.lignes), filename)


# --- public pages -------------------------------------------------------------------------


@bp.get("")
def index() -> str:
    return render_template(
        "reports/index.html",
        rapports=services.rapports(),
        offre_demande=bool(services.jeux_requerants_publies()),
    )


def _rapport(slug: str):  # noqa: ANN202
    rapport = services.get_rapport(slug)
    if rapport is None:
        abort(404)
    return rapport


@bp.get("/offre-et-demande")
def offre_demande() -> str:
    jeux = services.jeux_requerants_publies()
    if not jeux:
        return render_template(
            "reports/offre_demande.html", jeu=None, jeux=[], annuaire=services.rapport_annuaire()
        )
    chosen = services.choisir_jeu(jeux, request.args.get("jeu"))
    return render_template(
        "reports/offre_demande.html",
        jeu=chosen,
        jeux=jeux,
        graphique=figures.offre_demande(chosen),
        matrice=figures.matrice_tableau(services.matrice_specialites()),
        departements=directory.departements(),
    )


def _requerants_or_404():  # noqa: ANN202
    jeux = services.jeux_requerants_publies()
    if not jeux:
        abort(404)
    return services.choisir_jeu(jeux, request.args.get("jeu"))


@bp.get("/offre-et-demande.csv")
def offre_demande_csv() -> Response:
    g = figures.offre_demande(_requerants_or_404())
    return csv_response(g.tableau, g.csv_name)


@bp.get("/offre-et-demande/specialites.csv")
def offre_demande_specialites_csv() -> Response:
    _requerants_or_404()
    table = figures.matrice_tableau(services.matrice_specialites())
    return csv_response(table, "ato-offre-par-specialite.csv")


@bp.get("/<slug>")
def rapport(slug: str) -> str:
    item = _rapport(slug)
    return render_template(
        "reports/rapport.html",
        rapport=item,
        indicateurs=services.indicateurs_publies(item),
        graphiques=figures.for_rapport(item),
        mis_a_jour=services.last_update(item),
        examples=item.statistiques_annuaire and directory.examples_published(),
    )


@bp.get("/<slug>/indicateurs.csv")
def indicateurs_csv(slug: str) -> Response:
    item = _rapport(slug)
    table = figures.indicateurs(item)
    return csv_response(table, f"ato-{item.slug}-indicateurs.csv")


@bp.get("/<slug>/<graphique>")
def graphique(slug: str, graphique: str) -> str:
    item = _rapport(slug)
    chart = figures.one(item, graphique)
    if chart is None:
        abort(404)
    return render_template(
        "reports/graphique.html",
        rapport=item,
        graphique=chart,
        examples=chart.en_direct and directory.examples_published(),
    )


@bp.get("/<slug>/<graphique>.csv")
def graphique_csv(slug: str, graphique: str) -> Response:
    chart = figures.one(_rapport(slug), graphique)
    if chart is None or not chart.publie:
        abort(404)
    return csv_response(chart.tableau, chart.csv_name)


# --- staff administration -----------------------------------------------------------------


@admin_bp.get("/")
@requires(Role.MODERATEUR)
def admin() -> str:
    return render_template("reports/admin.html", rapports=services.all_for_staff())


@admin_bp.route("/indicateurs/<int:indicateur_id>", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
def indicateur(indicateur_id: int) -> str | Response | tuple[str, int]:
    item: Indicateur = db.get_or_404(Indicateur, indicateur_id)
    form = IndicateurForm(data=None if request.method == "POST" else IndicateurForm.initial(item))
    if form.validate_on_submit():
        changes = services.update_indicateur(item, form.values(), current_user)
        db.session.commit()
        flash("Indicateur enregistré." if changes else "Aucune modification.")
        return redirect(url_for(".admin", _anchor=f"indicateur-{item.id}"), 303)
    page = render_template("reports/admin_indicateur.html", form=form, indicateur=item)
    return (page, 422) if form.errors else page


@admin_bp.post("/indicateurs/<int:indicateur_id>/<action>")
@requires(Role.MODERATEUR)
def indicateur_publication(indicateur_id: int, action: str) -> Response:
    item: Indicateur = db.get_or_404(Indicateur, indicateur_id)
    if action not in ("publier", "depublier"):
        abort(404)
    services.set_indicateur_publie(item, action == "publier", current_user)
    db.session.commit()
    flash("Indicateur publié." if item.publie else "Indicateur retiré des pages publiques.")
    return redirect(url_for(".admin", _anchor=f"indicateur-{item.id}"), 303)


def _render_import(form: JeuImportForm, jeu: JeuDepartemental, status: int = 200):  # noqa: ANN202
    page = render_template(
        "reports/admin_import.html",
        form=form,
        jeu=jeu,
        max_ko=services.MAX_UPLOAD_BYTES // 1024,
        departements=directory.departements(),
    )
    return page, status


@admin_bp.route("/jeux/<int:jeu_id>/import", methods=["GET", "POST"])
@requires(Role.MODERATEUR)
def jeu_import(jeu_id: int) -> Response | tuple[str, int]:
    jeu: JeuDepartemental = db.get_or_404(JeuDepartemental, jeu_id)
    form = JeuImportForm(data=None if request.method == "POST" else JeuImportForm.initial(jeu))
    if form.validate_on_submit() and form.parsed is not None:
        services.replace_valeurs(jeu, form.parsed, form.values(), current_user)
        db.session.commit()
        state = "publiées" if jeu.publie else "enregistrées ; le jeu n'est pas encore publié"
        flash(f"{plural(form.parsed.lignes, 'valeur importée', 'valeurs importées')} et {state}.")
        return redirect(url_for(".admin", _anchor=f"jeu-{jeu.id}"), 303)
    return _render_import(form, jeu, 422 if form.errors else 200)


@admin_bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> Response | tuple[str, int]:
    """A file over the request limit: the import page again, saying so, nothing changed.

    The limit is hit while the body is read (by the CSRF check), before the
    blueprint's guard runs: the page is shown only to staff the import view admits.
    """
    role = required_role(jeu_import)
    admitted = (
        current_user.is_authenticated and role is not None and Role(current_user.role).allows(role)
    )
    if admitted and request.endpoint == "reports_admin.jeu_import" and request.view_args:
        jeu = db.session.get(JeuDepartemental, request.view_args["jeu_id"])
        if jeu is not None:
            form = JeuImportForm(
                formdata=None,
                data={"unite": jeu.unite, "periode": jeu.periode, "source": jeu.source},
            )
            form.fichier.errors = [
                f"Le fichier dépasse {services.MAX_UPLOAD_BYTES // 1024} Ko : un jeu "
                "départemental compte au plus 13 lignes de données. Rien n'a été modifié."
            ]
            return _render_import(form, jeu, 413)
    return render_error(413)


@admin_bp.post("/jeux/<int:jeu_id>/<action>")
@requires(Role.MODERATEUR)
def jeu_publication(jeu_id: int, action: str) -> Response:
    jeu: JeuDepartemental = db.get_or_404(JeuDepartemental, jeu_id)
    if action not in ("publier", "depublier"):
        abort(404)
    try:
        services.set_jeu_publie(jeu, action == "publier", current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message)
        return redirect(url_for(".admin", _anchor=f"jeu-{jeu_id}"), 303)
    db.session.commit()
    flash("Jeu publié." if jeu.publie else "Jeu retiré des pages publiques.")
    return redirect(url_for(".admin", _anchor=f"jeu-{jeu.id}"), 303)
