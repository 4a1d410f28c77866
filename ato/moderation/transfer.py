"""CSV import and export of the directory, and the spreadsheet-safe CSV writer.

The import reads one line per service; lines with the same FINESS (or RPPS,
or, for a device without FINESS, the same name and town) make one entry. Each
entry goes through the public registration form, so an import is held to
exactly the checks a submission is (FINESS and RPPS keys, MSSanté addresses,
links, phones). :func:`plan` writes nothing: it reports, line by line, what
would be created and every error; :func:`apply` creates the entries only when
the plan has no error at all.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ato.auth.models import User
from ato.core.models import utcnow
from ato.directory import services as directory
from ato.directory.models import Canal, NatureRequis, Requis, Service, Statut
from ato.extensions import db
from ato.moderation import services as moderation
from ato.registration import services as registration
from ato.registration.forms import DELAIS, FORMS, MAX_CANAUX, MAX_SERVICES

IDENTITY = [
    "nature",
    "nom",
    "finess",
    "rpps",
    "civilite",
    "prenom",
    "profession",
    "adresse",
    "code_postal",
    "ville",
    "departement",
    "telephone",
    "site_web",
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
    "delai_heures",
    "disponibilite",
    "public",
    "departements_acceptes",
]
CANAUX = MAX_CANAUX  # every channel a service may have
CHANNELS = [name for i in range(1, CANAUX + 1) for name in (f"outil_{i}", f"adresse_{i}")]
COLUMNS = IDENTITY + SERVICE + CHANNELS
REQUIRED = {"nature", "nom", "ville", "departement", "service", "specialite", "outil_1"}
REGION = "region"
MAX_LINES = 5000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --- writing -------------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (with a BOM, so that spreadsheets read UTF-8) with every text cell made safe."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell("" if v is None else v) for v in row])
    return buffer.getvalue()


def export_rows(requis_list: Iterable[Requis]) -> Iterable[list[Any]]:
    """One line per service, in the import's columns: an export can be imported again."""
    for requis in requis_list:
        payload = registration.payload_from_requis(requis)
        identity = {
            "nature": payload["nature"],
            **payload["requis"],
            "contact_nom": payload["contact"]["nom"],
            "contact_email": payload["contact"]["email"],
        }
        for s in payload["services"]:
            values = dict(
                identity,
                service=s["nom"],
                specialite=s["specialite"],
                thematiques=";".join(s["thematiques"]),
                description=s["description"],
                demandeurs=s["demandeurs"],
                pieces=s["pieces"],
                delai_heures=s["delai_heures"],
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
        .where(Requis.statut == Statut.PUBLISHED)
        .order_by(Requis.departement_code, Requis.nom, Requis.id)
        .options(
            selectinload(Requis.services).selectinload(Service.specialite),
            selectinload(Requis.services).selectinload(Service.thematiques),
            selectinload(Requis.services).selectinload(Service.departements),
            selectinload(Requis.services).selectinload(Service.canaux).selectinload(Canal.outil),
        )
    )
    return write_csv(COLUMNS, export_rows(requis_list))


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Line:
    number: int  # as a spreadsheet shows it: the header is line 1
    values: dict[str, str]


@dataclass
class Entry:
    """One entry to create, from one or more lines."""

    lines: list[Line]
    payload: dict[str, Any] | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        first = self.lines[0].values
        return " ".join(v for v in (first.get("prenom"), first.get("nom")) if v) or "(sans nom)"


@dataclass
class Plan:
    entries: list[Entry] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # file-level and line errors

    @property
    def all_errors(self) -> list[tuple[int, str]]:
        found = list(self.errors)
        for entry in self.entries:
            found.extend(entry.errors)
        return sorted(found)

    @property
    def ok(self) -> bool:
        return bool(self.entries) and not self.all_errors

    @property
    def services(self) -> int:
        return sum(len(e.lines) for e in self.entries)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_lines(text: str, plan: Plan) -> list[Line]:
    """Parse the CSV (comma or semicolon); header errors go to ``plan.errors``."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        plan.errors.append((1, "Le fichier est vide."))
        return []
    except csv.Error as exc:
        plan.errors.append((1, f"Fichier CSV illisible : {exc}."))
        return []
    start = reader.line_num + 1
    missing = sorted(REQUIRED - set(header))
    if missing:
        plan.errors.append((1, "Colonnes obligatoires absentes : " + ", ".join(missing) + "."))
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        plan.errors.append((1, "Colonnes inconnues : " + ", ".join(unknown[:10]) + "."))
    if missing or unknown:
        return []
    lines = []
    try:
        for row in reader:
            # The line where the record starts, as a spreadsheet shows it (a quoted cell
            # may span several physical lines).
            number, end = start, reader.line_num
            start = end + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(lines) >= MAX_LINES:
                plan.errors.append((number, f"Plus de {MAX_LINES} lignes : découpez le fichier."))
                break
            if len(row) > len(header):
                plan.errors.append((number, "Plus de cellules que de colonnes dans l'en-tête."))
                continue
            values = {h: _unescape(row[i] if i < len(row) else "") for i, h in enumerate(header)}
            lines.append(Line(number, values))
    except csv.Error as exc:
        plan.errors.append((reader.line_num, f"Ligne illisible : {exc}."))
    return lines


def _unescape(cell: str) -> str:
    """A cell as typed: the quote :func:`safe_cell` put before a formula-like text goes."""
    cell = cell.strip()
    if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_PREFIXES:
        return cell[1:]
    return cell


def _key(values: dict[str, str]) -> tuple[str, ...]:
    for column in ("finess", "rpps"):
        digits = "".join(c for c in values.get(column, "") if c.isalnum())
        if digits:
            return (column, digits.upper())
    return (
        "nom",
        _fold(values.get("nature", "")),
        _fold(values.get("nom", "")),
        _fold(values["ville"]),
    )


class _Reference:
    """Specialties, tools and départements, found by code, slug or label (accents ignored)."""

    def __init__(self) -> None:
        self.specialites: dict[str, str] = {}
        for s in directory.specialites():
            for name in (s.slug, s.libelle, s.code_r38 or ""):
                if name:
                    self.specialites[_fold(name)] = s.slug
        self.departements = {d.code for d in directory.departements()}

    def specialite(self, value: str) -> str | None:
        return self.specialites.get(_fold(value))


def _formdata(entry: Entry, ref: _Reference) -> tuple[str, MultiDict]:
    first = entry.lines[0].values
    nature = first.get("nature", "").strip().lower()
    data = MultiDict()
    for column in IDENTITY[1:]:
        if first.get(column):
            data.add(column, first[column])
    if nature == "dispositif":
        data.add("type_dispositif", "autre")
    data.add("consentement", "y")
    code = first.get("departement", "").strip().zfill(2)
    if code not in ref.departements:
        entry.errors.append(
            (
                entry.lines[0].number,
                f"Département « {first.get('departement')} » inconnu ou hors Occitanie "
                f"(codes acceptés : {', '.join(sorted(ref.departements))}).",
            )
        )
    data["departement"] = code
    for i, line in enumerate(entry.lines):
        v = line.values
        prefix = f"services-{i}-"
        data.add(prefix + "nom", v.get("service", ""))
        spec = ref.specialite(v.get("specialite", ""))
        if v.get("specialite") and spec is None:
            entry.errors.append((line.number, f"Spécialité inconnue : « {v['specialite']} »."))
        data.add(prefix + "specialite", spec or "")
        for theme in filter(None, (t.strip() for t in v.get("thematiques", "").split(";"))):
            slug = ref.specialite(theme)
            if slug is None:
                entry.errors.append((line.number, f"Thématique inconnue : « {theme} »."))
            else:
                data.add(prefix + "thematiques", slug)
        for column, name in (
            ("description", "description"),
            ("demandeurs", "demandeurs"),
            ("pieces", "pieces"),
            ("disponibilite", "disponibilite"),
        ):
            if v.get(column):
                data.add(prefix + name, v[column])
        delai = v.get("delai_heures", "")
        if delai and delai not in DELAIS:
            entry.errors.append(
                (
                    line.number,
                    f"Délai « {delai} » non reconnu : indiquez "
                    + ", ".join(k for k in DELAIS if k)
                    + " (heures) ou laissez vide.",
                )
            )
        elif delai:
            data.add(prefix + "delai", delai)
        data.add(prefix + "public", v.get("public") or "tous")
        coverage = v.get("departements_acceptes", "").strip()
        if _fold(coverage) in (REGION, "occitanie", "toute l'occitanie"):
            data.add(prefix + "regional", "y")
        else:
            for code in filter(None, (c.strip() for c in coverage.split(";"))):
                code = code.zfill(2)
                if code not in ref.departements:
                    entry.errors.append(
                        (line.number, f"Département « {code} » inconnu en Occitanie.")
                    )
                data.add(prefix + "departements", code)
        for j in range(1, CANAUX + 1):
            outil, adresse = v.get(f"outil_{j}", ""), v.get(f"adresse_{j}", "")
            data.add(f"{prefix}canaux-{j - 1}-outil", outil.strip().lower())
            data.add(f"{prefix}canaux-{j - 1}-adresse", adresse)
    return nature, data


def _messages(form: Any, errors: Any) -> Iterable[str]:
    """French sentences for WTForms' nested errors, each prefixed by its field's label."""
    for name, value in errors.items():
        field_ = form._fields.get(name)
        label = field_.label.text if field_ is not None else name
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, str):
                yield f"{label} : {item}"
            elif isinstance(item, dict) and field_ is not None:  # a FieldList of subforms
                sub = field_.entries[index].form if index < len(field_.entries) else form
                for message in _messages(sub, item):
                    yield f"{label} {index + 1} — {message}" if name == "canaux" else message


def _report_form_errors(entry: Entry, form: Any) -> None:
    """Put each form error on its line: the N-th service is the entry's N-th line."""
    first = entry.lines[0].number
    for name, messages in form.errors.items():
        if name == "services" and isinstance(messages, list):
            for index, service_errors in enumerate(messages):
                if not service_errors:
                    continue
                number = entry.lines[index].number if index < len(entry.lines) else first
                sub = form.services.entries[index].form
                if isinstance(service_errors, dict):
                    for message in _messages(sub, service_errors):
                        entry.errors.append((number, message))
                else:
                    for message in service_errors:
                        entry.errors.append((number, str(message)))
        else:
            for message in _messages(form, {name: messages}):
                entry.errors.append((first, message))


def plan(data: bytes) -> Plan:
    """What an import would do. Writes nothing."""
    result = Plan()
    lines = read_lines(decode(data), result)
    groups: dict[tuple[str, ...], Entry] = {}
    for line in lines:
        missing = [c for c in sorted(REQUIRED) if not line.values.get(c)]
        if missing:
            result.errors.append(
                (line.number, "Valeur obligatoire absente : " + ", ".join(missing))
            )
            continue
        if line.values["nature"].lower() not in FORMS:
            result.errors.append(
                (line.number, "Nature inconnue : indiquez etablissement, liberal ou dispositif.")
            )
            continue
        groups.setdefault(_key(line.values), Entry([])).lines.append(line)
    ref = _Reference()
    seen: dict[str, int] = {}
    for entry in groups.values():
        result.entries.append(entry)
        first = entry.lines[0]
        for line in entry.lines[1:]:
            differing = [
                c
                for c in IDENTITY
                if _fold(line.values.get(c, "")) != _fold(first.values.get(c, ""))
            ]
            if differing:
                entry.errors.append(
                    (
                        line.number,
                        f"Même fiche que la ligne {first.number} (même identifiant) mais "
                        f"{', '.join(differing)} différent(s) : les lignes d'une même fiche "
                        "doivent porter la même identité.",
                    )
                )
        if len(entry.lines) > MAX_SERVICES:
            entry.errors.append((entry.lines[0].number, f"Plus de {MAX_SERVICES} services."))
            continue
        nature, formdata = _formdata(entry, ref)
        form = FORMS[nature](formdata=formdata, meta={"csrf": False})
        if not form.validate():
            _report_form_errors(entry, form)
            continue
        entry.payload = registration.payload_from_form(nature, form)
        identity = entry.payload["requis"]
        for identifier in filter(None, (identity.get("finess"), identity.get("rpps"))):
            if identifier in seen:
                entry.errors.append(
                    (
                        entry.lines[0].number,
                        f"Identifiant {identifier} déjà utilisé par une autre fiche du fichier "
                        f"(ligne {seen[identifier]}).",
                    )
                )
            seen.setdefault(identifier, entry.lines[0].number)
        for homonym in registration.find_homonyms(entry.payload)[:1]:
            entry.errors.append(
                (
                    entry.lines[0].number,
                    f"Une fiche « {homonym.display_name} » ({homonym.ville}) existe déjà dans "
                    "l'annuaire : import déjà fait ?",
                )
            )
        duplicate = registration.find_duplicate(entry.payload)
        if duplicate is not None:
            entry.errors.append(
                (
                    entry.lines[0].number,
                    f"Identifiant {duplicate.identifier} déjà présent dans l'annuaire "
                    f"(fiche « {duplicate.requis.display_name} »).",
                )
            )
    if not lines and not result.errors:
        result.errors.append((1, "Aucune ligne à importer."))
    return result


def apply(result: Plan, actor: User) -> list[Requis]:
    """Create the planned entries, published and never verified (so that the first
    confirmation campaign reaches them). Only a plan without any error. Flushes."""
    if not result.ok:
        raise ValueError("L'import contient des erreurs : rien n'a été enregistré.")
    created = []
    now = utcnow()
    for entry in result.entries:
        assert entry.payload is not None
        payload = entry.payload
        requis = Requis(
            nature=NatureRequis(payload["nature"]),
            statut=Statut.PUBLISHED,
            published_at=now,
            nom=payload["requis"]["nom"],
            ville=payload["requis"]["ville"],
            departement_code=payload["requis"]["departement"],
        )
        registration.apply_payload(requis, payload)
        db.session.add(requis)
        db.session.flush()
        moderation.audit(
            actor, "import", "requis", requis.id, {"statut": [None, Statut.PUBLISHED.value]}
        )
        created.append(requis)
    db.session.flush()
    return created
