"""Public directory pages: home, départements, specialties, requis fiches."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ato.config import accessibility_audit
from ato.core.models import paris_day
from ato.directory import services
from ato.directory.models import Departement, NatureSpecialite
from ato.extensions import db

bp = Blueprint("directory", __name__)


@bp.get("/")
def index() -> str:
    departements = services.departements()
    specs = services.specialites_by_nature(services.specialites(), services.specialite_counts())
    return render_template(
        "directory/index.html",
        departements=departements,
        departement_counts=services.departement_counts(),
        specialites=specs.get(NatureSpecialite.SPECIALITE, []),
        thematiques=specs.get(NatureSpecialite.THEMATIQUE, []),
        figures=services.key_figures(),
        examples=services.examples_published(),
    )


@bp.get("/departements")
def departements() -> str:
    return render_template(
        "directory/departements.html",
        departements=services.departements(),
        departement_counts=services.departement_counts(),
    )


@bp.get("/departements/<code>")
@bp.get("/departements/<code>/<slug>")
def departement(code: str, slug: str | None = None) -> str | Response:

    dep = db.session.get(Departement, code)
    if dep is None:
        abort(404)
    if slug != dep.slug:
        return redirect(url_for(".departement", code=dep.code, slug=dep.slug), 301)
    groups = services.services_for_departement(dep.code)
    located = {s.requis_id for g in groups for s in g.services if s.requis.departement_code == code}
    total = {s.requis_id for g in groups for s in g.services}
    return render_template(
        "directory/departement.html",
        departement=dep,
        groups=groups,
        total=len(total),
        located=len(located),
    )


@bp.get("/specialites")
def specialites() -> str:
    specs = services.specialites_by_nature(services.specialites(), services.specialite_counts())
    return render_template(
        "directory/specialites.html",
        specialites=specs.get(NatureSpecialite.SPECIALITE, []),
        thematiques=specs.get(NatureSpecialite.THEMATIQUE, []),
    )


@bp.get("/specialites/<slug>")
def specialite(slug: str) -> str:
    spec = services.get_specialite_by_slug(slug)
    if spec is None:
        abort(404)
    groups = services.services_for_specialite(spec)
    return render_template(
        "directory/specialite.html",
        specialite=spec,
        groups=groups,
        total=len({s.requis_id for g in groups for s in g.services}),
    )


@bp.get("/requis/<int:requis_id>")
@bp.get("/requis/<int:requis_id>/<slug>")
def requis(requis_id: int, slug: str | None = None) -> str | Response:
    entry = services.get_published_requis(requis_id)
    if entry is None:
        abort(404)
    if slug != entry.slug:
        return redirect(url_for(".requis", requis_id=entry.id, slug=entry.slug), 301)
    today = paris_day()
    flagged = services.flagged_links(entry)
    return render_template(
        "directory/requis.html",
        requis=entry,
        today=today,
        flagged=flagged,
        canaux={s.id: services.channels_in_order(s, flagged) for s in entry.services},
        alternatives={
            s.id: services.alternatives(s, today) for s in entry.services if s.unavailable_on(today)
        },
    )


#: When the checks the accessibility statement describes were last run (update with them).
ACCESSIBILITY_CHECKED_ON = date(2026, 11, 29)
#: Pages those checks cover (the automated ones: tests/e2e with axe-core).
ACCESSIBILITY_PAGES = (
    "accueil",
    "recherche (résultats, filtres, aucun résultat)",
    "fiche d'un recours (avec un service indisponible)",
    "liste d'un département",
    "rapports, leurs graphiques et leurs cartes",
    "déclaration d'accessibilité",
    "pages de l'équipe pour les rapports",
)


def conformity(rate: float | None) -> str:
    """The RGAA's words for an audit's rate: « totalement » at 100 %, « partiellement »
    from 50 %, « non conforme » below, and without any audit."""
    if rate is None or rate < 50:
        return "non conforme"
    return "totalement conforme" if rate >= 100 else "partiellement conforme"


@bp.get("/accessibilite")
def accessibilite() -> str:
    audit = accessibility_audit(current_app.config["ATO_ACCESSIBILITY_STATUS"])
    plan = current_app.config["ATO_ACCESSIBILITY_PLAN"].strip()
    return render_template(
        "directory/accessibilite.html",
        audit=audit,
        conformity=conformity(audit[1] if audit else None),
        plan=plan,
        plan_is_link=plan.startswith("https://"),
        checked_on=ACCESSIBILITY_CHECKED_ON,
        pages=ACCESSIBILITY_PAGES,
    )


@bp.get("/mentions-legales")
def mentions_legales() -> str:
    return render_template("directory/mentions_legales.html")
