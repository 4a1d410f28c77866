"""CSV import and export of the directory.

The import reads one line per service; lines with the same FINESS (or RPPS,
or, for a device without FINESS, the same name and town) make one entry. Each
entry goes through :func:`ato.directory.schema.validate`, the check every
submission passes (FINESS and RPPS keys, MSSanté addresses, links, phones), and
each error comes back with its line and column. :func:`plan` writes nothing: it
reports what would be created and every error; :func:`apply` creates the
entries only when the plan has no error at all. The export writes the import's
columns, so that an export can be imported again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ato.auth.models import User
from ato.core import audit, csvfile
from ato.core.audit import Action, Subject
from ato.core.errors import DomainError
from ato.core.models import utcnow
from ato.core.text import fold, plural_form
from ato.directory import delays, entries, schema
from ato.directory import services as directory
from ato.directory.models import Canal, Requis, Service, Statut
from ato.directory.vocabulary import key as name_key
from ato.extensions import db
from ato.transfer.models import EtatImport, ImportJob, NatureImport

log = logging.getLogger(__name__)

# The file's identity columns: the entry's, but the kind of device (always "autre" here).
IDENTITY = [
    "nature",
    *(name for name in schema.IDENTITY if name != "type_dispositif"),
    "contact_nom",
    "contact_email",
]
SERVICE = [
    "service",
    "specialite",
    "thematiques",
    "description",
    "demandeurs",
    "pieces",
    "delai",
    "disponibilite",
    "public",
    "departements_acceptes",
]
CANAUX = 10  # channel columns of the file format; the schema allows fewer (said by line)
CHANNELS = [name for i in range(1, CANAUX + 1) for name in (f"outil_{i}", f"adresse_{i}")]
COLUMNS = IDENTITY + SERVICE + CHANNELS
# Columns of earlier files still read: "delai_heures" held a number of hours, which
# "delai" reads the same way (a bare number is hours).
FORMER = {"delai_heures": "delai"}
REQUIRED = {"nature", "nom", "ville", "departement", "service", "specialite", "outil_1"}
REGION = "region"
REGION_NAMES = {"region", "occitanie", "toute l occitanie", "toute la region", "region occitanie"}
MAX_LINES = 5000


# --- writing -------------------------------------------------------------------------------------


def export_rows(requis_list: Iterable[Requis]) -> Iterable[list[Any]]:
    """One line per service, in the import's columns: an export can be imported again."""
    for requis in requis_list:
        entry = entries.from_requis(requis)
        identity = {
            "nature": entry["nature"],
            **entry["requis"],
            "contact_nom": entry["contact"]["nom"],
            "contact_email": entry["contact"]["email"],
        }
        for s in entry["services"]:
            values = dict(
                identity,
                service=s["nom"],
                specialite=s["specialite"],
                thematiques=";".join(s["thematiques"]),
                description=s["description"],
                demandeurs=s["demandeurs"],
                pieces=s["pieces"],
                delai=delays.words(s["delai_minutes"]) if s["delai_minutes"] else None,
                disponibilite=s["disponibilite"],
                public=s["public"],
                departements_acceptes=REGION if s["regional"] else ";".join(s["departements"]),
            )
            for i, canal in enumerate(s["canaux"][:CANAUX], start=1):
                values[f"outil_{i}"] = canal["outil"]
                values[f"adresse_{i}"] = canal["adresse"]
            yield [values.get(c) for c in COLUMNS]


def export_published() -> str:
    requis_list = db.session.scalars(
        select(Requis)
        .where(Requis.statut == Statut.PUBLIEE)
        .order_by(Requis.departement_code, Requis.nom, Requis.id)
        .options(
            selectinload(Requis.services).selectinload(Service.specialite),
            selectinload(Requis.services).selectinload(Service.thematiques),
            selectinload(Requis.services).selectinload(Service.departements),
            selectinload(Requis.services).selectinload(Service.canaux).selectinload(Canal.outil),
        )
    )
    return csvfile.write(COLUMNS, export_rows(requis_list))


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Line:
    number: int  # as a spreadsheet shows it: the header is line 1
    values: dict[str, str]


@dataclass
class Group:
    """The lines of the file that make one entry, and that entry once it is valid."""

    lines: list[Line]
    entry: dict[str, Any] | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        first = self.lines[0].values
        return " ".join(v for v in (first.get("prenom"), first.get("nom")) if v) or "(sans nom)"


@dataclass
class Plan:
    entries: list[Group] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # file-level and line errors

    @property
    def all_errors(self) -> list[tuple[int, str]]:
        found = list(self.errors)
        for group in self.entries:
            found.extend(group.errors)
        return sorted(found)

    @property
    def ok(self) -> bool:
        return bool(self.entries) and not self.all_errors

    @property
    def services(self) -> int:
        return sum(len(e.lines) for e in self.entries)


def read_lines(data: bytes, plan: Plan) -> list[Line]:
    """Parse the file; header and file errors go to ``plan.errors``."""
    try:
        header_cells, records = csvfile.read(csvfile.decode(data))
        header = [h.strip().lower() for h in header_cells]
        missing = sorted(REQUIRED - set(header))
        if missing:
            plan.errors.append((1, "Colonnes obligatoires absentes : " + ", ".join(missing) + "."))
        unknown = [h for h in header if h and h not in COLUMNS and h not in FORMER]
        if unknown:
            plan.errors.append((1, "Colonnes inconnues : " + ", ".join(unknown[:10]) + "."))
        if missing or unknown:
            return []
        lines: list[Line] = []
        duplicated = [h for h, new in FORMER.items() if h in header and new in header]
        if duplicated:
            plan.errors.append(
                (1, f"Colonnes « {duplicated[0]} » et « {FORMER[duplicated[0]]} » : gardez-en une.")
            )
            return []
        header = [FORMER.get(h, h) for h in header]
        for record in records:
            row = record.cells
            if not any(cell.strip() for cell in row):
                continue
            if len(lines) >= MAX_LINES:
                plan.errors.append(
                    (record.number, f"Plus de {MAX_LINES} lignes : découpez le fichier.")
                )
                break
            if len(row) > len(header):
                plan.errors.append(
                    (record.number, "Plus de cellules que de colonnes dans l'en-tête.")
                )
                continue
            values = {
                h: csvfile.unescape(row[i] if i < len(row) else "") for i, h in enumerate(header)
            }
            lines.append(Line(record.number, values))
    except csvfile.CsvError as exc:
        plan.errors.append((1, str(exc)))
        return []
    return lines


def _key(values: dict[str, str]) -> tuple[str, ...]:
    for column in ("finess", "rpps"):
        digits = "".join(c for c in values.get(column, "") if c.isalnum())
        if digits:
            return (column, digits.upper())
    return (
        "nom",
        schema.nature_of(values.get("nature")) or "",
        fold(values.get("nom", "")),
        fold(values["ville"]),
    )


@dataclass
class _Draft:
    """An entry as read from its lines, and where each of its values came from."""

    data: dict[str, Any]
    channel_columns: dict[tuple[int, int], int]  # (service, kept channel) -> column number


def _draft(group: Group) -> _Draft:
    """The entry as the file words it: names, labels, codes and delays as people write them
    are the schema's to resolve (see :mod:`ato.directory.vocabulary`)."""
    first = group.lines[0].values
    nature = schema.nature_of(first.get("nature")) or ""
    identity = {
        c: first.get(c, "")
        for c in IDENTITY
        if c not in ("nature",) and not c.startswith("contact_")
    }
    if nature == "dispositif":
        identity["type_dispositif"] = "autre"
    columns: dict[tuple[int, int], int] = {}
    services = []
    for i, line in enumerate(group.lines):
        v = line.values
        coverage = v.get("departements_acceptes", "").strip()
        regional = name_key(coverage) in REGION_NAMES
        canaux = []
        for j in range(1, CANAUX + 1):
            outil, adresse = v.get(f"outil_{j}", "").strip(), v.get(f"adresse_{j}", "").strip()
            if outil or adresse:
                columns[(i, len(canaux))] = j
                canaux.append({"outil": outil, "adresse": adresse})
        services.append(
            {
                "nom": v.get("service", ""),
                "specialite": v.get("specialite", ""),
                "thematiques": v.get("thematiques", ""),
                "description": v.get("description"),
                "demandeurs": v.get("demandeurs"),
                "pieces": v.get("pieces"),
                "delai_minutes": v.get("delai"),
                "disponibilite": v.get("disponibilite"),
                "public": v.get("public") or "tous",
                "regional": regional,
                "departements": [] if regional else coverage,
                "canaux": canaux,
            }
        )
    return _Draft(
        {
            "nature": nature,
            "requis": identity,
            "contact": {
                "nom": first.get("contact_nom", ""),
                "email": first.get("contact_email", ""),
            },
            "services": services,
        },
        columns,
    )


SERVICE_COLUMNS = {
    "nom": "service",
    "delai_minutes": "delai",
    "departements": "departements_acceptes",
    "regional": "departements_acceptes",
    "canaux": "outil_1",
}


def _place(group: Group, draft: _Draft, location: schema.Location) -> tuple[int, str]:
    """The line and column of an entry error."""
    first = group.lines[0].number
    match location:
        case ("requis", str(name), *_):
            return first, name
        case ("contact", str(name), *_):
            return first, f"contact_{name}"
        case ("services", int(i), "canaux", int(j), str(name), *_) if i < len(group.lines):
            return group.lines[i].number, f"{name}_{draft.channel_columns.get((i, j), j + 1)}"
        case ("services", int(i), str(name), *_) if i < len(group.lines):
            return group.lines[i].number, SERVICE_COLUMNS.get(name, name)
        case (str(name), *_):
            return first, name
    return first, ""


def plan(data: bytes, progress: Callable[[int, int], None] | None = None) -> Plan:
    """What an import would do. Writes nothing.

    ``progress(done, total)`` is called as the entries are checked (every
    :data:`PROGRESS_EVERY` entries, and at the end).
    """
    result = Plan()
    lines = read_lines(data, result)
    groups: dict[tuple[str, ...], Group] = {}
    for line in lines:
        missing = [c for c in sorted(REQUIRED) if not line.values.get(c)]
        if missing:
            result.errors.append(
                (line.number, "Valeur obligatoire absente : " + ", ".join(missing))
            )
            continue
        if schema.nature_of(line.values["nature"]) is None:
            message = schema.natures().unknown(line.values["nature"])
            result.errors.append((line.number, f"Colonne « nature » : {message}"))
            continue
        groups.setdefault(_key(line.values), Group([])).lines.append(line)
    reference = schema.Reference.load()
    seen: dict[str, int] = {}
    for checked, group in enumerate(groups.values()):
        if progress is not None and checked % PROGRESS_EVERY == 0:
            progress(checked, len(groups))
        result.entries.append(group)
        first = group.lines[0]
        for line in group.lines[1:]:
            differing = [
                c for c in IDENTITY if fold(line.values.get(c, "")) != fold(first.values.get(c, ""))
            ]
            if differing:
                group.errors.append(
                    (
                        line.number,
                        f"Même fiche que la ligne {first.number} (même identifiant) mais "
                        f"{', '.join(differing)} "
                        f"{plural_form(len(differing), 'différent', 'différents')} : "
                        "les lignes d'une même fiche "
                        "doivent porter la même identité.",
                    )
                )
        if len(group.lines) > schema.MAX_SERVICES:
            group.errors.append((first.number, f"Plus de {schema.MAX_SERVICES} services."))
            continue
        draft = _draft(group)
        try:
            group.entry = schema.validate(draft.data, reference=reference)
        except schema.InvalidEntry as exc:
            for location, messages in exc.errors.items():
                number, column = _place(group, draft, location)
                for message in messages:
                    group.errors.append((number, f"Colonne « {column} » : {message}"))
            continue
        for identifier in entries.identifiers(group.entry):
            if identifier in seen:
                group.errors.append(
                    (
                        first.number,
                        f"Identifiant {identifier} déjà utilisé par une autre fiche du fichier "
                        f"(ligne {seen[identifier]}).",
                    )
                )
            seen.setdefault(identifier, first.number)
        for homonym in directory.find_homonyms(group.entry)[:1]:
            group.errors.append(
                (
                    first.number,
                    f"Une fiche « {homonym.display_name} » ({homonym.ville}) existe déjà dans "
                    "l'annuaire : import déjà fait ?",
                )
            )
        duplicate = directory.find_duplicate(group.entry)
        if duplicate is not None:
            group.errors.append(
                (
                    first.number,
                    f"Identifiant {duplicate.identifier} déjà présent dans l'annuaire "
                    f"(fiche « {duplicate.requis.display_name} »).",
                )
            )
    if progress is not None:
        progress(len(groups), len(groups))
    if not lines and not result.errors:
        result.errors.append((1, "Aucune ligne à importer."))
    return result


def apply(result: Plan, actor: User) -> list[Requis]:
    """Create the planned entries, published and never verified (so that the first
    confirmation campaign reaches them). Only a plan without any error. Flushes."""
    if not result.ok:
        raise DomainError("L'import contient des erreurs : rien n'a été enregistré.")
    created = []
    now = utcnow()
    for group in result.entries:
        assert group.entry is not None
        requis = entries.new_requis(group.entry, Statut.PUBLIEE)
        requis.published_at = now
        db.session.add(requis)
        db.session.flush()
        audit.log(
            actor,
            Action.IMPORT,
            Subject.REQUIS,
            requis.id,
            {"statut": [None, Statut.PUBLIEE.value]},
        )
        created.append(requis)
    db.session.flush()
    return created


# --- jobs: the same work, in the background, with its progress --------------------------------

PROGRESS_EVERY = 100  # entries between two progress commits


def start_job(nature: NatureImport, data: bytes, filename: str, actor: User) -> ImportJob:
    """Record a job to run (the caller commits, then launches it). Flushes."""
    job = ImportJob(nature=nature, data=data, filename=filename[:200], created_by_id=actor.id)
    db.session.add(job)
    db.session.flush()
    return job


def summary(result: Plan, created: int | None = None) -> dict[str, Any]:
    """What the job page shows of a plan (kept with the job, as JSON)."""
    return {
        "ok": result.ok,
        "services": result.services,
        "errors": [list(e) for e in result.all_errors[:2000]],
        "error_count": len(result.all_errors),
        "entries": [
            [", ".join(str(line.number) for line in g.lines), g.title, len(g.lines), len(g.errors)]
            for g in result.entries[:2000]
        ],
        "entry_count": len(result.entries),
        "created": created,
    }


def run_job(job_id: int) -> None:
    """Run a job to its end, committing its progress as it goes (own transactions).

    A verification only plans. An import plans again (the directory may have
    changed since the verification) and creates the entries only when the file
    holds no error, all in one transaction: nothing or everything is written.
    """
    job = db.session.get(ImportJob, job_id)
    if job is None or not job.running:
        return
    job.etat = EtatImport.EN_COURS
    db.session.commit()

    def progress(done: int, total: int) -> None:
        db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(done=done, total=total, updated_at=utcnow())
        )
        db.session.commit()

    try:
        result = plan(job.data, progress)
        created = None
        if job.nature == NatureImport.IMPORT and result.ok:
            actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
            created = len(apply(result, actor))
        job.result = summary(result, created)
        job.etat = EtatImport.TERMINE
        db.session.commit()
    except IntegrityError:  # an identifier taken by a concurrent change: nothing written
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        job.etat, job.error = (
            EtatImport.ECHOUE,
            ("L'annuaire a changé pendant l'import : rien n'a été enregistré. Réessayez."),
        )
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - recorded on the job, shown to staff
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        job.etat, job.error = EtatImport.ECHOUE, f"Erreur inattendue : {type(exc).__name__}."
        db.session.commit()
        log.exception("Import %s interrompu", job_id)


def launch(app: Flask, job_id: int) -> threading.Thread:
    """Run a job in a thread of its own, with its own application context and session.

    The request that started it answers at once; if the process stops meanwhile,
    ``flask ato import reprendre`` runs what was left waiting.
    """

    def target() -> None:
        with app.app_context():
            try:
                run_job(job_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, name=f"import-{job_id}", daemon=True)
    thread.start()
    return thread


def resume_waiting() -> int:
    """Run the jobs that were waiting or interrupted (after a restart). Returns their count."""
    ids = list(
        db.session.scalars(
            select(ImportJob.id).where(
                ImportJob.etat.in_([EtatImport.EN_ATTENTE, EtatImport.EN_COURS])
            )
        )
    )
    for job_id in ids:
        job = db.session.get(ImportJob, job_id)
        job.etat = EtatImport.EN_ATTENTE
        db.session.commit()
        run_job(job_id)
    return len(ids)
