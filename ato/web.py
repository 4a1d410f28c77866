"""Cross-cutting web concerns: security headers, error pages and template filters."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import Flask, Response, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from ato.core.models import PARIS, paris_day, utcnow
from ato.core.text import plural, plural_form
from ato.directory import delays

log = logging.getLogger(__name__)

LOCALE = "fr_FR"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

ERROR_MESSAGES = {
    400: ("Requête incorrecte", "La demande envoyée n'a pas pu être comprise."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: ("Page introuvable", "Cette page n'existe pas ou n'est plus publiée."),
    405: ("Méthode non autorisée", "Cette action n'est pas possible à cette adresse."),
    413: ("Envoi trop volumineux", "Les données envoyées dépassent la taille autorisée."),
    429: (
        "Trop de demandes",
        "Vous avez fait trop de demandes en peu de temps. Réessayez dans quelques minutes.",
    ),
    500: (
        "Erreur du serveur",
        "Une erreur inattendue s'est produite. L'équipe technique a été prévenue ; "
        "réessayez dans quelques instants.",
    ),
}


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only ids the database can hold: a huge id is a 404, not a 500."""

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


MAX_ID = 2**31 - 1


def small_int(value: str | None, maximum: int = MAX_ID, minimum: int = 1) -> int | None:
    """An integer typed by a user (ASCII digits only, within bounds), else None."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def tune_garbage_collector() -> None:
    """Collect cyclic garbage less often than Python's default, in a serving process.

    The first generation is collected every 700 new objects by default: in the
    middle of any page that maps a hundred entries, and its pauses made the
    slowest 5 % of API pages (``benchmarks/api.py``: p95 of a cold page 283 ms,
    100 ms with these thresholds). What exists once the app is built (code,
    reference data) is frozen out of the collector's reach. Called by
    ``wsgi.py`` and the benchmarks, never by ``create_app``.
    """
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Exception, _server_error)
    app.jinja_env.filters.update(
        date_fr=date_fr,
        datetime_fr=datetime_fr,
        nombre=nombre,
        delai=delai,
        attente=attente,
        periode_fr=periode_fr,
        anciennete=anciennete,
        mois_ecoules=mois_ecoules,
        pluriel=plural,
        accord=plural_form,
    )
    # What pages date things against: now (UTC) and today (Europe/Paris), called by
    # templates and macros alike (imported macros see globals, not the page's context).
    app.jinja_env.globals.update(maintenant=utcnow, aujourdhui=paris_day)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _security_headers(response: Response) -> Response:
    from flask import current_app

    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("ATO_HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


#: Pages whose URL carries a secret token send a Referer to their own origin only.
#: ``no-referrer`` would be stricter but breaks their forms over HTTPS: Flask-WTF's
#: CSRF protection then requires a same-origin Referer (``WTF_CSRF_SSL_STRICT``).
#: ``same-origin`` keeps the token out of every request to another site, https or not.
PRIVATE_REFERRER_POLICY = "same-origin"


def public_post(on_breach: Callable[..., Response] | None = None) -> Callable:
    """One budget of POSTs per address shared by every public form (valid or not).

    An anonymous visitor cannot spend the server's time on invalid posts: each
    one counts, whatever the form, within ``ATO_PUBLIC_POST_RATE_LIMIT``.
    ``on_breach`` answers over the limit (the registration form shows itself
    again with what was typed); otherwise a French 429 page.
    """
    from flask import current_app

    from ato.extensions import limiter

    return limiter.shared_limit(
        lambda: current_app.config["ATO_PUBLIC_POST_RATE_LIMIT"],
        scope="public-post",
        methods=["POST"],
        on_breach=on_breach,
    )


def private(view: Callable[..., object]) -> Callable[..., Response]:
    """Mark a view whose URL carries a secret token (tracking, activation, campaign links).

    Its responses are never stored by a cache, and the token never leaves in a
    Referer for another site (see :data:`PRIVATE_REFERRER_POLICY`).
    """

    @functools.wraps(view)
    def wrapper(*args: object, **kwargs: object) -> Response:
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = PRIVATE_REFERRER_POLICY
        return response

    return wrapper


def external_url(endpoint: str, **values: object) -> str:
    """An absolute URL for a mail: on ATO_BASE_URL when set, never on the Host header."""
    from flask import current_app, url_for

    base = current_app.config["ATO_BASE_URL"]
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)  # development and tests only


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    title, default = ERROR_MESSAGES.get(code, ERROR_MESSAGES[500 if code >= 500 else 400])
    return render_template(
        "errors/error.html", code=code, title=title, message=message or default
    ), code


def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
    if exc.code is None or exc.code < 400:
        return exc.get_response()
    if exc.response is not None:  # a view's own answer (e.g. the form shown again on 429)
        return exc.response
    page, code = render_error(exc.code)
    response = Response(page, status=code, mimetype="text/html")
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    return render_error(
        400,
        "Le formulaire a expiré ou n'a pas pu être vérifié. Revenez en arrière, "
        "rechargez la page et renvoyez-le : vos saisies sont conservées par votre navigateur.",
    )


def _server_error(exc: Exception) -> tuple[str, int]:
    log.exception("Erreur non gérée sur %s %s", request.method, request.path)
    from ato.extensions import db

    db.session.rollback()
    return render_error(500)


# --- filters --------------------------------------------------------------------------------


def _paris(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def date_fr(value: datetime | date | None, fmt: str = "long") -> str:
    """``22 novembre 2026`` in Europe/Paris (a ``date`` is already a Paris day); empty for
    None. The first of the month is written « 1er »."""
    if value is None:
        return ""
    day = _paris(value).date() if isinstance(value, datetime) else value
    text = format_date(day, format=fmt, locale=LOCALE)
    if fmt == "long" and day.day == 1:
        text = "1er" + text[1:]
    return text


def periode_fr(start: date, end: date | None) -> str:
    """A span of days: « du 14 au 31 décembre 2026 », « du 21 décembre 2026 au 3 janvier
    2027 », « le 14 décembre 2026 », « à partir du 14 décembre 2026 » (no end)."""
    if end is None:
        return "à partir du " + date_fr(start)
    if end == start:
        return "le " + date_fr(start)
    if (start.year, start.month) == (end.year, end.month):
        first = date_fr(start).split(" ")[0]
    elif start.year == end.year:
        first = date_fr(start).rsplit(" ", 1)[0]
    else:
        first = date_fr(start)
    return f"du {first} au {date_fr(end)}"


def mois_ecoules(since: datetime, now: datetime | None = None) -> int:
    """Whole calendar months from ``since`` to ``now`` (Europe/Paris days)."""
    start, end = paris_day(since), paris_day(now)
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (end.day < start.day)


def anciennete(since: datetime, now: datetime | None = None) -> str:
    """How long ago, in words: « aujourd'hui », « hier », « il y a 12 jours », « il y a 3
    mois », « il y a 2 ans » (whole Europe/Paris days and calendar months)."""
    days = (paris_day(now) - paris_day(since)).days
    if days <= 0:
        return "aujourd'hui"
    if days == 1:
        return "hier"
    months = mois_ecoules(since, now)
    if months < 1:
        return "il y a " + plural(days, "jour")
    if months < 24:
        return "il y a " + plural(months, "mois", "mois")
    return "il y a " + plural(months // 12, "an")


def datetime_fr(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(_paris(value), "d MMMM y 'à' HH:mm", locale=LOCALE)


def nombre(value: float | int | None) -> str:
    """French number formatting (narrow no-break space between thousands)."""
    if value is None:
        return ""
    return format_decimal(value, locale=LOCALE)


def attente(since: datetime | None, now: datetime | None = None) -> str:
    """How long something has waited, in words: ``aujourd'hui``, ``1 jour``, ``12 jours``."""
    if since is None:
        return ""
    days = ((now or datetime.now(UTC)) - since).days
    if days < 1:
        return "aujourd'hui"
    return plural(days, "jour")


def delai(minutes: int | None) -> str:
    """A declared response time in words: ``sous 30 min``, ``sous 48 h``, ``sous 1 semaine``."""
    if not minutes:
        return "non précisé"
    return f"sous {delays.words(minutes)}"
