"""What an API request asks for, read from its query string and checked.

The filters and the text are read by the site's own search form
(:class:`ato.search.forms.SearchForm`: same names, same reference lists, same
cleaning of the text), so the API finds what ``/recherche`` finds. Where the
site ignores a wrong value with a message, the API refuses the request: a
program must learn that its filter was not applied. Every refusal is an
:class:`ApiError` with a French message and the parameter at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from ato.search.forms import UNKNOWN, SearchForm
from ato.search.query import printable
from ato.search.services import SearchParams
from ato.web import small_int

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
FILTERS = ("departement", "specialite", "type", "outil")
LIST_PARAMETERS = ("q", *FILTERS, "situe", "limite", "curseur", "modifie_depuis")
TRUE, FALSE = ("1", "true", "oui"), ("0", "false", "non")


class ApiError(Exception):
    """A request the API refuses: an RFC 9457 problem (status, title, detail, parameter)."""

    def __init__(self, status: int, title: str, detail: str, parametre: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.parametre = status, title, detail, parametre


def invalid(parametre: str, detail: str) -> ApiError:
    return ApiError(400, "Paramètre invalide", detail, parametre)


@dataclass(frozen=True)
class ListQuery:
    """A request of ``/api/v1/recours``: a search (or none), a page, or a sync."""

    search: SearchParams
    limit: int
    cursor: str | None
    modified_since: datetime | None

    @property
    def searching(self) -> bool:
        s = self.search
        return bool(s.q.strip() or s.departement or s.specialite or s.type or s.outil)


def check_known(args: MultiDict, allowed: tuple[str, ...]) -> None:
    """Refuse a parameter the API does not know (a typo would silently filter nothing) or
    one given twice (which value counts would be a guess)."""
    for name in args:
        if name not in allowed:
            raise invalid(
                name[:40],
                f"Paramètre inconnu : « {name[:40]} ». Paramètres acceptés : "
                f"{', '.join(allowed) or 'aucun'}.",
            )
        if len(args.getlist(name)) > 1:
            raise invalid(name, f"Le paramètre « {name} » est donné plusieurs fois.")


def parse_list(args: MultiDict, outils: list[tuple[str, str]]) -> ListQuery:
    check_known(args, LIST_PARAMETERS)
    form = SearchForm(args, outils=outils)
    values: dict[str, str | None] = {}
    for name in FILTERS:
        value = (form[name].data or "").strip()
        if value and value not in {code for code, _ in form.choices[name]}:
            raise invalid(name, f"{UNKNOWN[name]} : « {value[:60]} ».")
        values[name] = value or None
    search = SearchParams(
        q=printable(form.q.data or ""),
        situe=_flag(args, "situe"),
        **values,  # type: ignore[arg-type]
    )
    query = ListQuery(
        search=search,
        limit=_limit(args.get("limite")),
        cursor=args.get("curseur") or None,
        modified_since=_moment(args.get("modifie_depuis")),
    )
    if query.modified_since is not None and query.searching:
        raise invalid(
            "modifie_depuis",
            "La synchronisation (modifie_depuis) porte sur tout l'annuaire : elle ne se combine "
            "ni avec une recherche (q) ni avec des filtres. Filtrez votre copie locale.",
        )
    return query


def _flag(args: MultiDict, name: str) -> bool:
    value = (args.get(name) or "").strip().lower()
    if value in TRUE:
        return True
    if value in (*FALSE, ""):
        return False
    raise invalid(name, f"« {name} » vaut 1 (oui) ou 0 (non), pas « {value[:20]} ».")


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    limit = small_int(raw.strip(), maximum=MAX_LIMIT)
    if limit is None:
        raise invalid(
            "limite",
            f"« limite » est un nombre entier de 1 à {MAX_LIMIT} (par défaut {DEFAULT_LIMIT}), "
            f"pas « {raw[:20]} ».",
        )
    return limit


def _moment(raw: str | None) -> datetime | None:
    """An ISO 8601 date and time; without an offset it is read as UTC. A ``+`` that a query
    string turned into a space is read back as ``+``."""
    if raw is None:
        return None
    text = raw.strip()
    if " " in text and "T" in text:
        text = text.replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text) if text else None
        if moment is not None:
            moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # not a date, or beyond year 1–9999 once in UTC
        moment = None
    if moment is None:
        raise invalid(
            "modifie_depuis",
            f"Date invalide : « {raw[:40]} ». Indiquez une date et une heure ISO 8601, par "
            "exemple 2026-11-29T08:00:00Z (la valeur « prochain_modifie_depuis » de la "
            "synchronisation précédente).",
        )
    return moment
