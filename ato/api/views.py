"""``/api/v1/``: read-only JSON for other systems (GET and HEAD; OPTIONS for CORS).

Every answer is ``application/json`` (errors ``application/problem+json``,
RFC 9457, in French), carries a weak ``ETag`` and a ``Last-Modified`` and
answers ``If-None-Match`` / ``If-Modified-Since`` with a bodiless 304 before
any entry is loaded. Any origin may read (``Access-Control-Allow-Origin: *``,
never credentials). The API has its own rate limit, ``ATO_API_RATE_LIMIT``,
per address. No view reads or writes the session.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date, is_resource_modified

from ato.api import forms, services
from ato.api.forms import ApiError
from ato.api.openapi import document
from ato.core.models import paris_day
from ato.directory import changes, public
from ato.directory.models import Outil
from ato.extensions import csrf, db, limiter
from ato.search.services import matching_requis
from ato.web import external_url

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # nothing is written: a POST is answered 405, never checked for a token

JSON = "application/json"
PROBLEM = "application/problem+json"
READ_METHODS = ("GET", "HEAD")
ALLOW = "GET, HEAD, OPTIONS"
CORS_MAX_AGE = "86400"
#: Request headers a browser may send from another origin (conditional requests).
CORS_REQUEST_HEADERS = "If-None-Match, If-Modified-Since"
#: Response headers a script from another origin may read besides the safelisted ones.
CORS_EXPOSED = "ETag, Link"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # Last-Modified of an empty directory

limited = limiter.shared_limit(
    lambda: current_app.config["ATO_API_RATE_LIMIT"],
    scope="api",
    exempt_when=lambda: request.method == "OPTIONS",
)


# --- responses ---------------------------------------------------------------------------


def _json(body: Any, status: int = 200, mimetype: str = JSON) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, mimetype=mimetype)


def problem(
    status: int, title: str, detail: str, parametre: str | None = None, **extra: Any
) -> Response:
    """An RFC 9457 problem, in French."""
    body: dict[str, Any] = {
        "type": "about:blank"
        if parametre is None
        else "https://ato.invalid/api/v1/problemes/parametre",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if parametre is not None:
        body["parametre"] = parametre
    return _json(body, status, PROBLEM)


def conditional(
    tag: str, last_modified: datetime | None, build: Callable[[], Response]
) -> Response:
    """A 304 when the client's copy is current, else the response ``build`` makes; both
    carry the validators."""
    modified = (last_modified or EPOCH).replace(microsecond=0)
    if is_resource_modified(request.environ, etag=tag, last_modified=modified):
        response = build()
    else:
        response = Response(status=304)
    response.set_etag(tag, weak=True)
    response.headers["Last-Modified"] = http_date(modified)
    response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    response.vary.add("Origin")
    return response


def _validators(*parts: object) -> tuple[str, datetime | None]:
    """The ETag and Last-Modified of an answer that follows the directory's changes and
    the day (delays and closures are read against today) and the request's address and
    query (absolute links)."""
    latest = changes.latest()
    tag = services.etag(latest, paris_day(), request.host_url, request.path, *parts)
    return tag, latest


# --- cross-cutting -------------------------------------------------------------------------


@bp.after_request
def _cors(response: Response) -> Response:
    """Read-only CORS: any origin reads, nobody sends credentials."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED
    response.headers.pop("Access-Control-Allow-Credentials", None)
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return problem(exc.status, exc.title, exc.detail, exc.parametre)


TITLES = {
    404: ("Ressource introuvable", "Cette adresse ne correspond à aucune ressource de l'API."),
    405: (
        "Méthode non autorisée",
        "L'API est en lecture seule : seules les méthodes GET et HEAD sont acceptées.",
    ),
    429: (
        "Trop de demandes",
        "Trop de requêtes en peu de temps depuis votre adresse. Réessayez dans une minute.",
    ),
}


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    title, detail = TITLES.get(code, ("Requête incorrecte", "La requête n'a pas pu être lue."))
    response = problem(code, title, detail)
    if code == 405:
        response.headers["Allow"] = ALLOW
    return response


@bp.errorhandler(Exception)
def _server_error(exc: Exception) -> Response:
    log.exception("Erreur non gérée sur %s %s", request.method, request.path)
    db.session.rollback()
    return problem(500, "Erreur du serveur", "Une erreur inattendue s'est produite.")


@bp.route("/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def _elsewhere(rest: str) -> Response:
    """Unknown addresses (404) and writing methods (405) answer in JSON too."""
    if request.method in (*READ_METHODS, "OPTIONS"):
        return problem(404, *TITLES[404])
    return _http_error(_method_not_allowed())


def _method_not_allowed() -> HTTPException:
    from werkzeug.exceptions import MethodNotAllowed

    return MethodNotAllowed(valid_methods=list(READ_METHODS))


def _preflight() -> Response:
    """Answer a CORS preflight for a read; any other method is refused (405)."""
    wanted = (request.headers.get("Access-Control-Request-Method") or "GET").upper()
    if wanted not in READ_METHODS:
        return _http_error(_method_not_allowed())
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
    response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
    response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
    response.headers["Allow"] = ALLOW
    return response


def read_only(view: Callable[..., Response]) -> Callable[..., Response]:
    """A GET view of the API: a preflight is answered here, every other method is a 405."""
    import functools

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method not in READ_METHODS:
            return _http_error(_method_not_allowed())
        return view(*args, **kwargs)

    return wrapper


METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


def route(rule: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        return bp.route(rule, methods=METHODS, provide_automatic_options=False)(
            limited(read_only(view))
        )

    return decorate


# --- resources -----------------------------------------------------------------------------


def _base() -> str:
    """What the fiche addresses start with (a cached shape holds its fiche's address)."""
    return current_app.config["ATO_BASE_URL"] or request.host_url


def _fiche(requis) -> str:  # noqa: ANN001
    return external_url("directory.requis", requis_id=requis.id, slug=requis.slug)


def _outils() -> list[tuple[str, str]]:
    return list(db.session.execute(select(Outil.slug, Outil.nom).order_by(Outil.id)).all())


@route("/recours")
def recours() -> Response:
    query = forms.parse_list(request.args, _outils())
    cursor = None
    if query.cursor is not None:
        cursor = services.decode_cursor(query.cursor)
        if cursor is None:
            raise forms.invalid(
                "curseur",
                "Curseur invalide : reprenez au lien « suivant » de la page précédente, "
                "sans le modifier, ou depuis la première page.",
            )
    tag, latest = _validators(sorted(request.args.items(multi=True)))

    def build() -> Response:
        body = _recours_page(query, cursor)
        response = _json(body)
        if body["suivant"]:  # the next page in a Link header too (RFC 8288)
            response.headers["Link"] = f'<{body["suivant"]}>; rel="next"'
        return response

    return conditional(tag, latest, build)


def _recours_page(query: forms.ListQuery, cursor: services.Cursor | None) -> dict[str, Any]:
    started = cursor.started if cursor else changes.next_since()
    if query.modified_since is not None:
        page = services.changed_page(query.modified_since, cursor, query.limit)
    else:
        wanted = matching_requis(query.search) if query.searching else None
        page = services.published_page(cursor, query.limit, wanted)
    body: dict[str, Any] = {
        "donnees": services.items(page.entries, today=paris_day(), base=_base(), url=_fiche),
        "limite": query.limit,
        "suivant": None,
    }
    if not query.searching:
        body["prochain_modifie_depuis"] = started.isoformat()
    if page.more:
        last = page.entries[-1]
        token = services.encode_cursor(services.Cursor(last.at, last.requis_id, started))
        args = {k: v for k, v in request.args.items() if k != "curseur"}
        body["suivant"] = external_url("api.recours", curseur=token, **args)
    return body


@route("/recours/<int:requis_id>")
def recours_detail(requis_id: int) -> Response:
    forms.check_known(request.args, ())
    at = changes.last_modified([requis_id]).get(requis_id)
    if at is None:  # never published: unknown to the public
        return problem(
            404, "Recours introuvable", f"Aucun recours publié n'a l'identifiant {requis_id}."
        )
    tag, _ = _validators(requis_id)

    def build() -> Response:
        loaded = public.load([requis_id]).get(requis_id)
        if loaded is None:
            body = services.tombstone(requis_id, at)
            return _json(
                {
                    **body,
                    "type": "about:blank",
                    "title": "Recours retiré",
                    "status": 410,
                    "detail": "Ce recours a été retiré de l'annuaire (archivé ou supprimé).",
                },
                410,
                PROBLEM,
            )
        return _json(public.recourse(loaded, today=paris_day(), modified_at=at, url=_fiche(loaded)))

    return conditional(tag, at, build)


def _reference(build: Callable[[], list[dict[str, Any]]]) -> Response:
    """A reference list: it changes only with a deployment or a reference seed, so its
    validator is its own content."""
    forms.check_known(request.args, ())
    body = {"donnees": build()}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    tag = services.etag(text)
    return conditional(tag, changes.latest(), lambda: _json(body))


@route("/specialites")
def specialites() -> Response:
    return _reference(services.specialites)


@route("/departements")
def departements() -> Response:
    return _reference(services.departements)


@route("/outils")
def outils() -> Response:
    return _reference(services.outils)


@route("/openapi.json")
def openapi() -> Response:
    forms.check_known(request.args, ())
    body = document()
    tag = services.etag(json.dumps(body, sort_keys=True))
    return conditional(tag, None, lambda: _json(body))
