"""Report queries, live statistics of the directory, CSV import, staff edits.

Plain functions over the session: writers ``flush`` and never commit (the view
or CLI command that calls them commits once) and record every change in the
audit log (:func:`ato.core.audit.log`). Public reads only ever see published
figures and datasets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from ato.core import csvfile
from ato.core.audit import Action, Actor, Subject, log
from ato.core.errors import DomainError
from ato.core.models import utcnow
from ato.core.text import fold
from ato.directory import services as directory
from ato.directory.models import (
    Departement,
    NatureRequis,
    NatureSpecialite,
    Requis,
    Service,
    Specialite,
    Statut,
)
from ato.extensions import db
from ato.reports.models import (
    Indicateur,
    JeuDepartemental,
    Rapport,
    RequestSide,
    ValeurDepartementale,
)
from ato.web import LOCALE, PARIS

# --- topics, key figures and datasets (public reads) ----------------------------------------


def rapports() -> list[Rapport]:
    """Every topic, in the order of the index, with what its entry in the index shows."""
    return list(
        db.session.scalars(
            select(Rapport)
            .order_by(Rapport.position, Rapport.id)
            .options(selectinload(Rapport.indicateurs), selectinload(Rapport.jeux))
        )
    )


def get_rapport(slug: str) -> Rapport | None:
    return db.session.scalar(
        select(Rapport)
        .where(Rapport.slug == slug)
        .options(
            selectinload(Rapport.indicateurs),
            selectinload(Rapport.jeux).selectinload(JeuDepartemental.valeurs),
        )
    )


def rapport_annuaire() -> Rapport | None:
    """The topic that shows the directory's live statistics (the first, if several)."""
    return db.session.scalar(
        select(Rapport)
        .where(Rapport.statistiques_annuaire)
        .order_by(Rapport.position, Rapport.id)
        .limit(1)
    )


def indicateurs_publies(rapport: Rapport) -> list[Indicateur]:
    return [i for i in rapport.indicateurs if i.publie]


def get_jeu(rapport: Rapport, slug: str) -> JeuDepartemental | None:
    return next((j for j in rapport.jeux if j.slug == slug), None)


def valeurs(jeu: JeuDepartemental) -> dict[str, Decimal]:
    """The dataset's values by département code (empty until staff upload them)."""
    return {v.departement_code: v.valeur for v in jeu.valeurs}


def indicateur(cle: str) -> Indicateur | None:
    """A published key figure by its key (a live figure's reference), or None."""
    return db.session.scalar(select(Indicateur).where(Indicateur.cle == cle, Indicateur.publie))


def last_update(rapport: Rapport) -> datetime | None:
    """When the published figures of a topic last changed."""
    dates = [i.updated_at for i in rapport.indicateurs if i.publie]
    dates += [j.valeurs_at or j.updated_at for j in rapport.jeux if j.publie]
    return max(dates, default=None)


def noms_departements() -> dict[str, str]:
    return {d.code: d.nom for d in directory.departements()}


# --- live statistics of the directory ----------------------------------------------------


def par_nature() -> list[tuple[NatureRequis, int]]:
    """Published recourses by kind (every kind listed, zero included)."""
    counts = directory.key_figures().par_nature
    return [(nature, counts.get(nature.value, 0)) for nature in NatureRequis]


@dataclass(frozen=True)
class LigneDepartement:
    code: str
    nom: str
    situes: int  # published recourses located in the département
    acceptent: int  # published recourses accepting its requests (region-wide included)


def par_departement() -> list[LigneDepartement]:
    located = dict(
        db.session.execute(
            select(Requis.departement_code, func.count())
            .where(Requis.statut == Statut.PUBLIEE)
            .group_by(Requis.departement_code)
        ).all()
    )
    accepting = directory.departement_counts()
    return [
        LigneDepartement(d.code, d.nom, located.get(d.code, 0), accepting.get(d.code, 0))
        for d in directory.departements()
    ]


def par_specialite() -> list[tuple[Specialite, int]]:
    """Published recourses per specialty or thématique, most offered first."""
    counts = directory.specialite_counts()
    items = [(s, counts[s.id]) for s in directory.specialites() if counts.get(s.id)]
    return sorted(items, key=lambda item: (-item[1], directory.sort_key(item[0].libelle)))


@dataclass(frozen=True)
class Mois:
    annee: int
    mois: int
    nouvelles: int
    cumul: int

    @property
    def cle(self) -> str:
        return f"{self.annee}-{self.mois:02d}"

    @property
    def libelle(self) -> str:
        """``mars 2024``: the month's name in French, from Babel's locale data."""
        return format_date(date(self.annee, self.mois, 1), "MMMM y", locale=LOCALE)

    @property
    def libelle_court(self) -> str:
        """``mars 2024``, ``janv. 2025``: the axis label of a chart."""
        return format_date(date(self.annee, self.mois, 1), "MMM y", locale=LOCALE)


def publications_par_mois(now: datetime | None = None) -> list[Mois]:
    """Currently published recourses by month of first publication (Europe/Paris).

    Every month from the first publication to the current one is listed, empty
    months included, with the running total. An entry archived since then is
    not counted: the series describes today's directory.
    """
    dates = db.session.scalars(
        select(Requis.published_at).where(
            Requis.statut == Statut.PUBLIEE, Requis.published_at.is_not(None)
        )
    ).all()
    if not dates:
        return []
    per_month: dict[tuple[int, int], int] = defaultdict(int)
    for published in dates:
        local = published.astimezone(PARIS)
        per_month[(local.year, local.month)] += 1
    year, month = min(per_month)
    end = (now or utcnow()).astimezone(PARIS)
    last = max(max(per_month), (end.year, end.month))
    result, total = [], 0
    while (year, month) <= last:
        new = per_month.get((year, month), 0)
        total += new
        result.append(Mois(year, month, new, total))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


@dataclass(frozen=True)
class LigneComparaison:
    """One row of a comparison with a report: which recourses, against which sourced figure."""

    libelle: str
    cle: str | None  # key of the report's figure; None when the report gives none
    nature: NatureRequis | None  # None: every published recourse


@dataclass(frozen=True)
class Comparaison:
    libelle: str
    reference: Indicateur | None
    aujourd_hui: int

    @property
    def ecart(self) -> int | None:
        if self.reference is None:
            return None
        return self.aujourd_hui - int(self.reference.valeur)


def comparaison(lignes: Sequence[LigneComparaison]) -> list[Comparaison] | None:
    """Today's published recourses, row by row, against the figures of a report.

    The rows (and the report's figures they cite) come from ``seed/figures.json``.
    None when the first row's figure (the total) is not loaded or not
    published: the comparison never shows a figure without its source.
    """
    if not lignes or lignes[0].cle is None or indicateur(lignes[0].cle) is None:
        return None
    counts = dict(par_nature())
    rows = []
    for ligne in lignes:
        today = sum(counts.values()) if ligne.nature is None else counts[ligne.nature]
        rows.append(Comparaison(ligne.libelle, indicateur(ligne.cle) if ligne.cle else None, today))
    return rows


def recence(now: datetime | None = None) -> directory.Recence:
    return directory.recence(now)


# --- supply and demand -------------------------------------------------------------------


def jeux_requerants_publies() -> list[JeuDepartemental]:
    """Published demand-side datasets, the most recent publication first."""
    return list(
        db.session.scalars(
            select(JeuDepartemental)
            .where(JeuDepartemental.publie, JeuDepartemental.side == RequestSide.REQUERANTS)
            .order_by(JeuDepartemental.published_at.desc(), JeuDepartemental.id.desc())
            .options(selectinload(JeuDepartemental.valeurs), selectinload(JeuDepartemental.rapport))
        )
    )


def choisir_jeu(jeux: Sequence[JeuDepartemental], cle: str | None) -> JeuDepartemental:
    """The dataset whose key the visitor chose, else the first (the latest published)."""
    return next((j for j in jeux if j.cle == cle), jeux[0])


@dataclass(frozen=True)
class LigneOffreDemande:
    code: str
    nom: str
    demandes: Decimal | None
    acceptent: int
    situes: int

    @property
    def demandes_par_recours(self) -> Decimal | None:
        if self.demandes is None or not self.acceptent:
            return None
        return (self.demandes / self.acceptent).quantize(Decimal(1))

    def sort_key(self) -> tuple:
        """Where requests come from with few recourses accepting them comes first."""
        if self.demandes is None:
            return (2, Decimal(0), self.code)
        if not self.acceptent:
            return (0, -self.demandes, self.code)
        return (1, -(self.demandes / self.acceptent), self.code)


def offre_demande(jeu: JeuDepartemental) -> list[LigneOffreDemande]:
    demand = valeurs(jeu)
    rows = [
        LigneOffreDemande(r.code, r.nom, demand.get(r.code), r.acceptent, r.situes)
        for r in par_departement()
    ]
    return sorted(rows, key=LigneOffreDemande.sort_key)


@dataclass
class Matrice:
    """Published recourses accepting requests from each département, per specialty."""

    departements: list[Departement]
    lignes: list[tuple[Specialite, dict[str, int]]] = field(default_factory=list)


def matrice_specialites() -> Matrice:
    """One SQL query: (département, specialty) → distinct published recourses.

    A service counts for its main specialty and its thématiques, in every
    département it accepts requests from (all of them when region-wide).
    """
    specs = directory.specialties().subquery()
    deps = directory.coverage().subquery()
    rows = db.session.execute(
        select(
            deps.c.departement_code, specs.c.specialite_id, func.count(distinct(Service.requis_id))
        )
        .select_from(specs)
        .join(deps, deps.c.service_id == specs.c.service_id)
        .join(Service, Service.id == specs.c.service_id)
        .join(Requis, Requis.id == Service.requis_id)
        .where(Requis.statut == Statut.PUBLIEE)
        .group_by(deps.c.departement_code, specs.c.specialite_id)
    ).all()
    cells: dict[int, dict[str, int]] = defaultdict(dict)
    for code, spec, count in rows:
        cells[spec][code] = count
    matrice = Matrice(list(directory.departements()))
    for spec in directory.specialites():
        if spec.id in cells:
            matrice.lignes.append((spec, cells[spec.id]))
    matrice.lignes.sort(
        key=lambda row: (row[0].nature != NatureSpecialite.SPECIALITE, row[0].libelle)
    )
    return matrice


# --- CSV import of a département dataset -------------------------------------------------

MAX_UPLOAD_BYTES = 64 * 1024
MAX_LINES = 200
MAX_VALUE = Decimal("1e12")  # what the value column holds
CODE_COLUMNS = ("code_departement", "code", "departement_code", "code_insee")
VALUE_COLUMN = "valeur"
UNIT_COLUMN = "unite"
NUMBER_SPACES = " \u00a0\u202f"  # what a spreadsheet or a French keyboard groups thousands with
GROUP_SEPARATOR = get_group_symbol(LOCALE)  # the narrow no-break space of fr_FR
NUMBER_CHARACTERS = frozenset("0123456789,." + NUMBER_SPACES)


class CsvRejected(DomainError):
    """An upload that changes nothing; ``errors`` says why, line by line (in French)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ParsedCsv:
    values: dict[str, Decimal]
    lignes: int


def parse_number(text: str) -> Decimal | None:
    """``12 345``, ``12345,5``, ``-3.2`` → Decimal; anything else (formulas too) → None.

    French grouping (space, no-break or narrow no-break space, by threes) and
    decimal comma, as Babel's ``parse_decimal`` reads them strictly; a decimal
    point is accepted when there is no comma. Only digits, separators and a
    leading sign get that far: no exponent, ``Infinity``, ``NaN`` or formula.
    """
    cleaned = text.strip()
    body = cleaned[1:] if cleaned[:1] in "+-" else cleaned
    if not body or not set(body) <= NUMBER_CHARACTERS or not (body[0] + body[-1]).isdigit():
        return None
    if "." in body and "," not in body:
        cleaned = cleaned.replace(".", ",")
    for space in NUMBER_SPACES:
        cleaned = cleaned.replace(space, GROUP_SEPARATOR)
    try:
        return parse_decimal(cleaned, locale=LOCALE, strict=True)
    except NumberFormatError:
        return None


def _normalise_header(name: str) -> str:
    """``Code département`` → ``code_departement``."""
    return fold(name.strip().strip('"')).replace(" ", "_").replace("-", "_")


def parse_departement_csv(data: bytes, unite: str, known_codes: Sequence[str]) -> ParsedCsv:
    """Validate a whole upload and return its values, or raise :class:`CsvRejected`.

    Expected: a header line with ``code_departement`` and ``valeur`` (an
    ``unite`` column, when present, must repeat the declared unit), ``;`` or
    ``,`` as separator (guessed by :func:`ato.core.csvfile.read`), UTF-8 only.
    Every line is checked and every error reported with its spreadsheet line
    number; one error rejects the whole file.
    """
    if not data.strip():
        raise CsvRejected(["Le fichier est vide."])
    if len(data) > MAX_UPLOAD_BYTES:
        raise CsvRejected(
            [
                f"Le fichier dépasse {MAX_UPLOAD_BYTES // 1024} Ko : un jeu départemental "
                "compte au plus 13 lignes de données."
            ]
        )
    try:
        text = csvfile.decode(data, utf8_only=True)
    except csvfile.CsvError as exc:
        raise CsvRejected([str(exc)]) from None
    if len(text.splitlines()) > MAX_LINES:
        raise CsvRejected([f"Le fichier compte plus de {MAX_LINES} lignes."])
    try:
        names, reader = csvfile.read(text)
        records = list(reader)
    except csvfile.CsvError as exc:
        raise CsvRejected([str(exc)]) from None
    header = [_normalise_header(h) for h in names]
    code_col = next((header.index(c) for c in CODE_COLUMNS if c in header), None)
    value_col = header.index(VALUE_COLUMN) if VALUE_COLUMN in header else None
    unit_col = header.index(UNIT_COLUMN) if UNIT_COLUMN in header else None
    if code_col is None or value_col is None:
        found = ", ".join(h for h in names if h.strip()) or "aucune"
        raise CsvRejected(
            [
                f"Ligne 1 : colonnes attendues « code_departement » et « valeur » "
                f"(séparées par « ; » ou « , ») ; colonnes trouvées : {found}."
            ]
        )
    known = set(known_codes)
    errors: list[str] = []
    values: dict[str, Decimal] = {}
    first_line: dict[str, int] = {}
    data_lines = 0
    for record in records:
        number, row = record.number, record.cells
        if not any(cell.strip() for cell in row):
            continue  # blank lines are ignored
        data_lines += 1
        problems = []
        code = row[code_col].strip() if code_col < len(row) else ""
        if code.isdigit() and len(code) == 1:
            code = "0" + code  # a spreadsheet drops the leading zero of 09
        raw_value = row[value_col] if value_col < len(row) else ""
        if not code:
            problems.append("code département manquant")
        elif code not in known:
            problems.append(
                f"code département « {_shown(code)} » inconnu (codes d'Occitanie : "
                f"{', '.join(sorted(known))})"
            )
        elif code in first_line:
            problems.append(f"département {code} déjà présent ligne {first_line[code]}")
        value = parse_number(raw_value)
        if not raw_value.strip():
            problems.append("valeur manquante")
        elif value is None:
            problems.append(f"valeur « {_shown(raw_value)} » qui n'est pas un nombre")
        elif abs(value) >= MAX_VALUE:
            problems.append(f"valeur « {_shown(raw_value)} » trop grande")
        if unit_col is not None and unit_col < len(row):
            cell_unit = row[unit_col].strip()
            if cell_unit and cell_unit != unite.strip():
                problems.append(
                    f"unité « {_shown(cell_unit)} » différente de l'unité déclarée « {unite} »"
                )
        if problems:
            errors.append(f"Ligne {number} : " + " ; ".join(problems) + ".")
        if code in known and code not in first_line:
            first_line[code] = number
        if not problems and value is not None:
            values[code] = value
    if not data_lines and not errors:
        errors.append("Le fichier ne contient aucune ligne de données après l'en-tête.")
    if errors:
        raise CsvRejected(errors)
    return ParsedCsv(values, data_lines)


def _shown(text: str, limit: int = 40) -> str:
    """User text quoted back in a message: one line, bounded."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- staff edits -------------------------------------------------------------------------

INDICATOR_FIELDS = (
    "libelle",
    "valeur",
    "unite",
    "periode",
    "evolution",
    "evolution_reference",
    "source",
    "source_url",
    "note",
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, Decimal) and isinstance(after, Decimal):
        return before.compare(after) == 0
    return before == after


def update_indicateur(
    item: Indicateur, values: dict[str, Any], actor: Actor | None
) -> dict[str, list]:
    """Apply staff edits; audit the changed fields (before, after). Returns the changes."""
    changes = {}
    for name in INDICATOR_FIELDS:
        before, after = getattr(item, name), values.get(name)
        if not _same(before, after):
            changes[name] = [_jsonable(before), _jsonable(after)]
            setattr(item, name, after)
    if changes:
        item.modifie_par_equipe_at = utcnow()
        log(actor, Action.MODIFICATION_INDICATEUR, Subject.INDICATEUR, item.id, changes)
    db.session.flush()
    return changes


def set_indicateur_publie(item: Indicateur, publie: bool, actor: Actor | None) -> None:
    if item.publie == publie:
        return
    log(
        actor,
        Action.PUBLICATION_INDICATEUR if publie else Action.DEPUBLICATION_INDICATEUR,
        Subject.INDICATEUR,
        item.id,
        {"publie": [item.publie, publie]},
    )
    item.publie = publie
    item.modifie_par_equipe_at = utcnow()
    db.session.flush()


def replace_valeurs(
    jeu: JeuDepartemental,
    parsed: ParsedCsv,
    meta: dict[str, str | None],
    actor: Actor | None,
) -> None:
    """Replace every value of a dataset (and its unit, period, source) in one step."""
    before = {code: _jsonable(v) for code, v in valeurs(jeu).items()}
    after = {code: _jsonable(v) for code, v in sorted(parsed.values.items())}
    changes: dict[str, list] = {"valeurs": [before, after]}
    for name in ("unite", "periode", "source", "source_url"):
        if name in meta and getattr(jeu, name) != meta[name]:
            changes[name] = [getattr(jeu, name), meta[name]]
            setattr(jeu, name, meta[name])
    jeu.valeurs.clear()
    db.session.flush()  # the old rows go before the new ones take their keys
    for code, value in sorted(parsed.values.items()):
        jeu.valeurs.append(ValeurDepartementale(departement_code=code, valeur=value))
    jeu.valeurs_at = utcnow()
    log(actor, Action.IMPORT_JEU_DEPARTEMENTAL, Subject.JEU_DEPARTEMENTAL, jeu.id, changes)
    db.session.flush()


def set_jeu_publie(jeu: JeuDepartemental, publie: bool, actor: Actor | None) -> None:
    """Publish (only with values) or unpublish a dataset.

    Raises :class:`DomainError` when asked to publish a dataset without values.
    """
    if publie and not jeu.valeurs:
        raise DomainError(
            "Ce jeu n'a pas encore de valeurs : importez d'abord le fichier CSV, puis publiez."
        )
    if jeu.publie == publie:
        return
    log(
        actor,
        Action.PUBLICATION_JEU_DEPARTEMENTAL if publie else Action.DEPUBLICATION_JEU_DEPARTEMENTAL,
        Subject.JEU_DEPARTEMENTAL,
        jeu.id,
        {"publie": [jeu.publie, publie]},
    )
    jeu.publie = publie
    if publie:
        jeu.published_at = utcnow()
    db.session.flush()


def all_for_staff() -> list[Rapport]:
    """Every topic with all its figures and datasets, published or not."""
    return list(
        db.session.scalars(
            select(Rapport)
            .order_by(Rapport.position, Rapport.id)
            .options(
                selectinload(Rapport.indicateurs),
                selectinload(Rapport.jeux).selectinload(JeuDepartemental.valeurs),
            )
        )
    )
