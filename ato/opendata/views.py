"""/donnees: the open data page and files; /flux: the Atom feeds of changes."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.wrappers import Response

from ato.directory import changes
from ato.directory import services as directory
from ato.directory.models import Departement
from ato.extensions import db
from ato.opendata import feeds, schema, services
from ato.web import external_url

bp = Blueprint("opendata", __name__)

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}


@bp.get("/donnees")
def index() -> str:
    return render_template(
        "opendata/index.html",
        tables=schema.tables(),
        licence=schema.LICENCE,
        separator=schema.LIST_SEPARATOR,
        last_change=changes.latest(),
        title=services.TITLE,
    )


def _file(name: str) -> Response:
    """A file of the current version, with its hash as ETag and its generation as date (304)."""
    version = services.current()
    response = current_app.response_class(
        version.file(name).read_bytes(), mimetype=MEDIA_TYPES[name.rsplit(".", 1)[1]]
    )
    response.set_etag(version.files[name]["sha256"])
    response.last_modified = version.generated_at
    response.cache_control.public = True
    response.cache_control.no_cache = True  # may be kept, but asked again (304 when unchanged)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.get("/donnees/recours.csv")
def recours_csv() -> Response:
    return _file("recours.csv")


@bp.get("/donnees/canaux.csv")
def canaux_csv() -> Response:
    return _file("canaux.csv")


@bp.get("/donnees/recours.json")
def recours_json() -> Response:
    return _file(services.JSON_FILE)


@bp.get("/donnees/datapackage.json")
def package() -> Response:
    return _file(services.PACKAGE_FILE)


# --- feeds ----------------------------------------------------------------------------------


def _atom(scope: feeds.Scope, found: list) -> Response:
    body = feeds.render(scope, found)
    response = current_app.response_class(body, content_type="application/atom+xml; charset=utf-8")
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.cache_control.public = True
    response.cache_control.no_cache = True
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response.make_conditional(request)


@bp.get("/flux/recours.atom")
def feed() -> Response:
    scope = feeds.Scope(
        "recours",
        "ATO : changements des recours de télé-expertise en Occitanie",
        "Ajouts, modifications et retraits de recours dans l'annuaire ATO.",
        external_url("opendata.feed"),
        external_url("directory.index"),
    )
    return _atom(scope, feeds.events())


@bp.get("/flux/departements/<code>.atom")
def feed_departement(code: str) -> Response:
    dep = db.session.get(Departement, code)
    if dep is None:
        abort(404)
    scope = feeds.Scope(
        f"departement:{dep.code}",
        f"ATO : changements des recours pour {dep.avec_article} ({dep.code})",
        f"Recours qui acceptent les demandes {dep.de} (ou de toute l'Occitanie) ou y sont "
        f"situés : ajouts, modifications et retraits.",
        external_url("opendata.feed_departement", code=dep.code),
        external_url("directory.departement", code=dep.code, slug=dep.slug),
    )
    return _atom(scope, feeds.events(feeds.departement_requis(dep.code), departement=dep.code))


@bp.get("/flux/specialites/<slug>.atom")
def feed_specialite(slug: str) -> Response:
    spec = directory.get_specialite_by_slug(slug)
    if spec is None:
        abort(404)
    scope = feeds.Scope(
        f"specialite:{spec.slug}",
        f"ATO : changements des recours en {spec.libelle}",
        f"Recours de télé-expertise en {spec.libelle} en Occitanie : ajouts, modifications et "
        f"retraits.",
        external_url("opendata.feed_specialite", slug=spec.slug),
        external_url("directory.specialite", slug=spec.slug),
    )
    return _atom(scope, feeds.events(feeds.specialite_requis(spec)))
