"""``/fhir/``: a read-only FHIR R4 server (JSON) over the published directory.

``GET /fhir/metadata`` (CapabilityStatement), ``GET /fhir/<Type>/<id>`` (read)
and ``GET /fhir/<Type>?…`` (search, a ``Bundle`` of type searchset). Every
error, whatever its cause, is an ``OperationOutcome`` in French with a 4xx
status (5xx only for a real server fault), never an HTML page.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ato.core.models import utcnow
from ato.extensions import csrf, db
from ato.fhir import resources, services
from ato.fhir.services import FhirError

log = logging.getLogger(__name__)

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
# No session and no write: a POST, PUT… gets a FHIR 405, not the HTML CSRF page.
csrf.exempt(bp)

MIMETYPE = "application/fhir+json"
JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def base_url() -> str:
    """The public base (ATO_BASE_URL in production), never trusted from Host there."""
    return (current_app.config.get("ATO_BASE_URL") or request.host_url).rstrip("/")


def answer(body: dict[str, Any], status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = Response(text, status=status, content_type=MIMETYPE + "; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def outcome(status: int, code: str, message: str) -> Response:
    return answer(resources.operation_outcome(code, message), status)


@bp.before_request
def _negotiate() -> Response | None:
    if request.method not in ("GET", "HEAD"):
        response = outcome(
            405, "not-supported", "Ce serveur FHIR est en lecture seule : seul GET est accepté."
        )
        response.headers["Allow"] = "GET, HEAD"
        return response
    wanted = request.args.get("_format")
    if wanted is not None:
        if wanted.strip().lower() not in JSON_FORMATS:
            return outcome(
                406,
                "not-supported",
                f"Format « {wanted} » non pris en charge : ce serveur ne répond qu'en JSON "
                "(_format=json).",
            )
    elif request.accept_mimetypes and not request.accept_mimetypes.best_match(
        [MIMETYPE, "application/json"]
    ):
        return outcome(
            406,
            "not-supported",
            "Ce serveur ne répond qu'en JSON (application/fhir+json) ; le XML n'est pas pris "
            "en charge.",
        )
    return None


@bp.errorhandler(FhirError)
def _refused(exc: FhirError) -> Response:
    return outcome(exc.status, exc.code, exc.message)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    messages = {404: "Adresse inconnue de ce serveur FHIR.", 405: "Méthode non autorisée."}
    return outcome(
        exc.code or 500,
        "not-found" if exc.code == 404 else "processing",
        messages.get(exc.code or 0, "La requête n'a pas pu être traitée."),
    )


@bp.errorhandler(Exception)
def _fault(exc: Exception) -> Response:
    log.exception("Erreur non gérée sur %s %s", request.method, request.path)
    db.session.rollback()
    return outcome(500, "exception", "Erreur inattendue du serveur ; réessayez plus tard.")


def _kind(kind: str) -> str:
    if kind not in resources.TYPES:
        raise FhirError(
            404,
            "not-supported",
            f"Type de ressource « {kind} » non pris en charge (servis : "
            f"{', '.join(resources.TYPES)}).",
        )
    return kind


@bp.route("/metadata", methods=METHODS)
def metadata() -> Response:
    return answer(services.capability(base_url()))


@bp.route("/<kind>", methods=METHODS)
def search(kind: str) -> Response:
    query = services.parse_query(_kind(kind), request.args)
    base = base_url()
    moment = utcnow()
    page = services.search(query, base)
    return answer(bundle(query, page, base, moment))


@bp.route("/<kind>/<ident>", methods=METHODS)
def read(kind: str, ident: str) -> Response:
    return answer(services.read(_kind(kind), ident, base_url()))


@bp.route("/", methods=METHODS)
@bp.route("/<path:rest>", methods=METHODS)
def unknown(rest: str = "") -> Response:
    return outcome(
        404, "not-supported", "Opération non prise en charge : lecture et recherche seulement."
    )


def _link(base: str, cursor: str | None = None) -> str:
    params = [(k, v) for k, v in request.args.items(multi=True) if k != "_curseur"]
    if cursor is not None:
        params.append(("_curseur", cursor))
    query = urlencode(params)
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def bundle(query: services.Query, page: services.Page, base: str, moment: Any) -> dict[str, Any]:
    links = [{"relation": "self", "url": _link(base, request.args.get("_curseur"))}]
    if page.next_cursor is not None:
        links.append({"relation": "next", "url": _link(base, page.next_cursor)})

    def entry(resource: dict[str, Any], mode: str) -> dict[str, Any]:
        return {
            "fullUrl": f"{base}/fhir/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": mode},
        }

    return {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": resources.instant(moment)},
        "type": "searchset",
        "total": page.total,
        "link": links,
        "entry": [entry(r, "match") for r in page.matches]
        + [entry(r, "include") for r in page.included],
    }
