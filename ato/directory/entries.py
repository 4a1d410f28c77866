"""One mapping of an entry: its shape, its checks, and the way to and from a ``Requis``.

An *entry* is what a requis publishes: identity, contact, and services with
their channels. Every door in and out goes through this module: the public
registration and update forms, staff corrections and edits, the CSV import and
export, example seeding and the moderation diff.

The shape (plain JSON, stored as is with a request)::

    {"nature": "etablissement" | "liberal" | "dispositif",
     "requis": {"nom", "finess", "rpps", "civilite", "prenom", "profession",
                "type_dispositif", "adresse", "code_postal", "ville", "departement",
                "site_web", "telephone"},
     "contact": {"nom", "fonction", "email", "telephone"},
     "services": [{"nom", "specialite", "thematiques", "description", "demandeurs",
                   "pieces", "delai_heures", "disponibilite", "public", "regional",
                   "departements", "canaux": [{"outil", "adresse"}]}]}

:func:`validate` is the one validation point. It normalises (identifiers
without spaces, phones as ``05 61 00 00 00``, addresses in lower case) and
raises :class:`InvalidEntry`, whose ``errors`` map a location such as
``("services", 0, "canaux", 1, "adresse")`` to French messages, so that a form
puts each message beside its field and the import names line and column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from stdnum import luhn

from ato.core.errors import DomainError
from ato.core.text import plain_text_problem, single_line_problem, valid_email, web_address
from ato.directory import services as directory
from ato.directory.models import (
    Canal,
    NatureOutil,
    NatureRequis,
    NatureSpecialite,
    Public,
    Requis,
    Service,
    Statut,
)

SEED = Path(__file__).resolve().parents[2] / "seed"
MAX_SERVICES = 40
MAX_CANAUX = 10
DELAIS = {
    24: "24 heures",
    48: "48 heures",
    72: "72 heures",
    120: "5 jours",
    168: "7 jours",
    336: "15 jours",
}
CIVILITES = ("Dr", "Pr", "Mme", "M.")
TYPES_DISPOSITIF = {
    "DAC": "Dispositif d'appui à la coordination (DAC)",
    "regional": "Dispositif ou réseau régional",
    "CPTS": "CPTS",
    "autre": "Autre",
}
Location = tuple[str | int, ...]
# The keys of an entry's "requis" part, in the order forms and files show them.
IDENTITY = (
    "nom",
    "finess",
    "rpps",
    "civilite",
    "prenom",
    "profession",
    "type_dispositif",
    "adresse",
    "code_postal",
    "ville",
    "departement",
    "telephone",
    "site_web",
)


class InvalidEntry(DomainError):
    """An entry that does not hold; ``errors`` maps each location to its French messages."""

    def __init__(self, errors: dict[Location, list[str]]) -> None:
        super().__init__("La fiche contient des erreurs.")
        self.errors = errors


# --- checks of one value (each returns the normal form or raises ValueError in French) ----------


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def finess(value: str) -> str:
    value = _digits(value).upper()
    if not re.fullmatch(r"\d{9}", value):
        raise ValueError("Le numéro FINESS compte 9 chiffres.")
    if not luhn.is_valid(value):
        raise ValueError("Ce numéro FINESS n'est pas valide (clé de contrôle incorrecte).")
    return value


def rpps(value: str) -> str:
    value = _digits(value)
    if not re.fullmatch(r"\d{11}", value):
        raise ValueError("Le numéro RPPS compte 11 chiffres.")
    if not luhn.is_valid(value):
        raise ValueError("Ce numéro RPPS n'est pas valide (clé de contrôle incorrecte).")
    return value


def phone(value: str, message: str = "Numéro de téléphone invalide (ex. : 05 61 00 00 00).") -> str:
    """A French number as ``05 61 00 00 00`` (``phonenumbers`` knows the numbering plan)."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise ValueError(message) from None
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        raise ValueError(message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def email(value: str) -> str:
    return valid_email(value)


def mssante(value: str) -> str:
    """A professional MSSanté address."""
    try:
        address = valid_email(value)
    except ValueError as exc:
        raise ValueError("Adresse MSSanté invalide.") from exc
    domain = address.rsplit("@", 1)[1]
    if domain == "patient.mssante.fr" or domain.endswith(".patient.mssante.fr"):
        raise ValueError(
            "Les adresses @patient.mssante.fr appartiennent aux patients : indiquez "
            "l'adresse MSSanté professionnelle du service."
        )
    if not domain.endswith(".mssante.fr"):
        raise ValueError("Une adresse MSSanté se termine par « .mssante.fr ».")
    return address


# --- reference data -----------------------------------------------------------------------------


@cache
def professions() -> dict[str, str]:
    """Active professions of the national nomenclature, by code (read once per process)."""
    with (SEED / "professions.csv").open(encoding="utf-8") as handle:
        return {r["code"]: r["libelle"] for r in csv.DictReader(handle) if r["statut"] == "active"}


@dataclass
class Reference:
    """What an entry's codes must be one of; read from the database once per validation."""

    specialites: dict[str, NatureSpecialite]
    outils: dict[str, NatureOutil]
    departements: set[str]
    professions: dict[str, str] = field(default_factory=professions)

    @classmethod
    def load(cls) -> Reference:
        return cls(
            specialites={s.slug: s.nature for s in directory.specialites()},
            outils={o.slug: o.nature for o in directory.outils()},
            departements={d.code for d in directory.departements()},
        )


# --- the schema ---------------------------------------------------------------------------------


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError("ato", message.replace("{", "{{").replace("}", "}}"))


def _text(
    max_length: int, required: str | None = None, *, lines: bool = False
) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None:
            value = ""
        if not isinstance(value, str | int):
            raise _error("Valeur invalide.")
        value = str(value).strip()
        if not value:
            if required:
                raise _error(required)
            return None
        if len(value) > max_length:
            raise _error(f"{max_length} caractères au plus.")
        problem = plain_text_problem(value) if lines else single_line_problem(value)
        if problem:
            raise _error(problem)
        return value

    return check


def _checked(check: Callable[[str], str]) -> Callable[[str | None], str | None]:
    def run(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as exc:
            raise _error(str(exc)) from None

    return run


# Every field is checked even when absent (``validate_default``): a missing required
# value gets its own French message, not a generic one.
MISSING = Field(default=None, validate_default=True)


def Line(max_length: int, required: str | None = None) -> Any:  # noqa: N802 - a type factory
    if required:
        return Annotated[str, BeforeValidator(_text(max_length, required)), MISSING]
    return Annotated[str | None, BeforeValidator(_text(max_length))]


def Checked(max_length: int, check: Callable[[str], str], required: str | None = None) -> Any:  # noqa: N802
    validator = BeforeValidator(lambda v: _checked(check)(_text(max_length, required)(v)))
    if required:
        return Annotated[str, validator, MISSING]
    return Annotated[str | None, validator]


def _blank_to_none(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


# A field this kind of entry does not have: empty, or an error beside it.
Absent = Annotated[None, BeforeValidator(_blank_to_none)]


# Checked values, named apart from the fields they type (annotations are read in the
# class namespace, where a field's default would hide a function of the same name).
FinessRequired = Checked(20, finess, "Le numéro FINESS est obligatoire.")
FinessOptional = Checked(20, finess)
RppsRequired = Checked(20, rpps, "Le numéro RPPS est obligatoire.")
PhoneOptional = Checked(30, phone)


def _context(info: ValidationInfo) -> tuple[Reference, list[str]]:
    context = info.context or {}
    return context["reference"], context["warnings"]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_default=True)


class Channel(_Schema):
    outil: Line(50)
    adresse: Line(300)

    @field_validator("outil")
    @classmethod
    def _known_tool(cls, value: str | None, info: ValidationInfo) -> str | None:
        reference, _ = _context(info)
        if value is not None and value.lower() not in reference.outils:
            raise _error("Outil inconnu : choisissez-le dans la liste.")
        return value.lower() if value else None

    @field_validator("adresse")
    @classmethod
    def _address_fits_tool(cls, value: str | None, info: ValidationInfo) -> str | None:
        reference, warnings = _context(info)
        outil = info.data.get("outil")
        if not value:
            if outil:
                raise _error("Indiquez l'adresse, le numéro ou le lien.")
            return None
        if "outil" not in info.data:
            return value  # the tool itself is wrong; said beside it
        if not outil:
            raise _error("Choisissez l'outil correspondant à cette adresse.")
        nature = reference.outils[outil]
        try:
            if nature == NatureOutil.MESSAGERIE:
                return mssante(value)
            if nature == NatureOutil.TELEPHONE:
                return phone(value.removeprefix("tel:"), "Numéro de téléphone invalide.")
            if not value.lower().startswith(("https://", "http://")):
                raise ValueError("Le lien doit commencer par https://.")
            return web_address(value, warnings)
        except ValueError as exc:
            raise _error(str(exc)) from None


def _blank_channel(channel: Any) -> bool:
    return isinstance(channel, Mapping) and not any(
        str(channel.get(k) or "").strip() for k in ("outil", "adresse")
    )


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


class ServiceEntry(_Schema):
    nom: Line(200, "Indiquez le nom du service.")
    specialite: Line(100, "Choisissez une spécialité.")
    thematiques: Annotated[list[str], BeforeValidator(_as_list)] = []
    description: Annotated[str | None, BeforeValidator(_text(2000, lines=True))] = None
    demandeurs: Line(300) = None
    pieces: Line(300) = None
    delai_heures: int | None = None
    disponibilite: Line(300) = None
    public: Public = Public.TOUS
    regional: bool = False
    departements: Annotated[list[str], BeforeValidator(_as_list)] = []
    canaux: Annotated[
        list[Channel],
        BeforeValidator(lambda v: [c for c in _as_list(v) if not _blank_channel(c)]),
    ] = []

    @field_validator("specialite")
    @classmethod
    def _known_specialty(cls, value: str, info: ValidationInfo) -> str:
        reference, _ = _context(info)
        if reference.specialites.get(value) != NatureSpecialite.SPECIALITE:
            raise _error(f"Spécialité inconnue : « {value} » ; choisissez-la dans la liste.")
        return value

    @field_validator("thematiques")
    @classmethod
    def _known_themes(cls, value: list[str], info: ValidationInfo) -> list[str]:
        reference, _ = _context(info)
        unknown = [t for t in value if reference.specialites.get(t) != NatureSpecialite.THEMATIQUE]
        if unknown:
            raise _error(f"Thématique inconnue : « {unknown[0]} ».")
        return list(dict.fromkeys(value))

    @field_validator("delai_heures", mode="before")
    @classmethod
    def _known_delay(cls, value: Any) -> int | None:
        if value in (None, ""):
            return None
        try:
            hours = int(str(value).strip())
        except ValueError:
            hours = -1
        if hours not in DELAIS:
            raise _error(
                "Délai non reconnu : indiquez "
                + ", ".join(str(h) for h in DELAIS)
                + " (heures) ou laissez vide."
            )
        return hours

    @field_validator("public", mode="before")
    @classmethod
    def _known_public(cls, value: Any) -> str:
        value = (value or Public.TOUS.value).strip() if isinstance(value, str) else value
        if value not in {p.value for p in Public}:
            raise _error("Choisissez tous, adulte ou pédiatrique.")
        return value

    @field_validator("departements")
    @classmethod
    def _coverage(cls, value: list[str], info: ValidationInfo) -> list[str]:
        reference, _ = _context(info)
        if info.data.get("regional"):
            return []
        if not value:
            raise _error("Cochez « toute l'Occitanie » ou au moins un département.")
        unknown = [c for c in value if c not in reference.departements]
        if unknown:
            raise _error(f"Département « {unknown[0]} » inconnu en Occitanie.")
        return list(dict.fromkeys(value))

    @field_validator("canaux")
    @classmethod
    def _reachable(cls, value: list[Channel]) -> list[Channel]:
        if not value:
            raise _error("Indiquez au moins un moyen d'adresser une demande.")
        if len(value) > MAX_CANAUX:
            raise _error(f"{MAX_CANAUX} moyens d'adresser une demande au plus par service.")
        return value


class Contact(_Schema):
    nom: Line(200, "Indiquez une personne à contacter.")
    fonction: Line(120) = None
    email: Line(254, "Indiquez un courriel de contact.")
    telephone: PhoneOptional = None

    @field_validator("email")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        fictional = bool((info.context or {}).get("fictional"))
        try:
            return valid_email(value, fictional=fictional)
        except ValueError as exc:
            raise _error(str(exc)) from None


class Identity(_Schema):
    """What every kind of requis gives; subclasses say what their kind requires."""

    nom: Line(200, "Indiquez le nom.")
    adresse: Line(300) = None
    code_postal: Line(5) = None
    ville: Line(120, "Indiquez la ville.")
    departement: Line(3, "Choisissez le département.")
    site_web: Line(500) = None
    telephone: PhoneOptional = None
    finess: Absent = None
    rpps: Absent = None
    civilite: Absent = None
    prenom: Absent = None
    profession: Absent = None
    type_dispositif: Absent = None

    @field_validator("departement")
    @classmethod
    def _in_occitanie(cls, value: str, info: ValidationInfo) -> str:
        reference, _ = _context(info)
        code = value.zfill(2)
        if code not in reference.departements:
            raise _error(
                f"« {value} » n'est pas un choix valide : département inconnu ou hors Occitanie "
                f"(codes acceptés : {', '.join(sorted(reference.departements))})."
            )
        return code

    @field_validator("site_web")
    @classmethod
    def _web(cls, value: str | None, info: ValidationInfo) -> str | None:
        _, warnings = _context(info)
        try:
            return web_address(value, warnings) if value else None
        except ValueError as exc:
            raise _error(str(exc)) from None


class EtablissementIdentity(Identity):
    nom: Line(200, "Indiquez le nom de l'établissement.")
    finess: FinessRequired


class LiberalIdentity(Identity):
    nom: Line(200, "Indiquez votre nom.")
    rpps: RppsRequired
    civilite: Line(4) = None
    prenom: Line(100, "Indiquez votre prénom.")
    profession: Line(10, "Choisissez la profession.")

    @field_validator("civilite")
    @classmethod
    def _known_title(cls, value: str | None) -> str | None:
        if value is not None and value not in CIVILITES:
            raise _error("Civilité : " + ", ".join(CIVILITES) + ".")
        return value

    @field_validator("profession")
    @classmethod
    def _known_profession(cls, value: str, info: ValidationInfo) -> str:
        reference, _ = _context(info)
        if value not in reference.professions:
            raise _error("Choisissez la profession dans la liste.")
        return value


class DispositifIdentity(Identity):
    nom: Line(200, "Indiquez le nom du dispositif.")
    finess: FinessOptional = None
    type_dispositif: Line(20) = None

    @field_validator("type_dispositif")
    @classmethod
    def _known_kind(cls, value: str | None) -> str | None:
        if value is not None and value not in TYPES_DISPOSITIF:
            raise _error("Type de dispositif inconnu.")
        return value


def _services(value: Any) -> list[Any]:
    services = _as_list(value)
    if not services:
        raise _error("Indiquez au moins un service.")
    if len(services) > MAX_SERVICES:
        raise _error(f"{MAX_SERVICES} services au plus par fiche.")
    return services


class Entry(_Schema):
    nature: Literal["etablissement", "liberal", "dispositif"]
    contact: Contact
    services: Annotated[list[ServiceEntry], BeforeValidator(_services)]


class EtablissementEntry(Entry):
    requis: EtablissementIdentity


class LiberalEntry(Entry):
    requis: LiberalIdentity


class DispositifEntry(Entry):
    requis: DispositifIdentity


SCHEMAS: dict[str, type[Entry]] = {
    "etablissement": EtablissementEntry,
    "liberal": LiberalEntry,
    "dispositif": DispositifEntry,
}
NATURES = tuple(SCHEMAS)

# pydantic's own messages, for the few errors no check above words itself
MESSAGES = {
    "missing": "Ce champ est obligatoire.",
    "bool_parsing": "Indiquez oui ou non.",
    "bool_type": "Indiquez oui ou non.",
    "list_type": "Valeur invalide.",
    "dict_type": "Valeur invalide.",
    "model_type": "Valeur invalide.",
    "string_type": "Valeur invalide.",
    "none_required": "Ce champ ne s'applique pas à ce type de fiche.",
    "literal_error": "Valeur invalide.",
    "enum": "Valeur invalide.",
}


def validate(
    data: Mapping[str, Any],
    *,
    reference: Reference | None = None,
    warnings: list[str] | None = None,
    fictional: bool = False,
) -> dict[str, Any]:
    """The entry in its normal form, or :class:`InvalidEntry` with every error by location.

    ``warnings`` (when given) receives what is accepted but worth saying (an
    ``http:`` link). ``reference`` lets a caller validating many entries (an
    import) read the reference lists once. ``fictional`` (example data only)
    accepts contact addresses on reserved domains that never receive mail.
    """
    nature = data.get("nature")
    schema = SCHEMAS.get(nature) if isinstance(nature, str) else None
    if schema is None:
        raise InvalidEntry(
            {("nature",): ["Nature inconnue : indiquez etablissement, liberal ou dispositif."]}
        )
    context = {
        "reference": reference or Reference.load(),
        "warnings": [] if warnings is None else warnings,
        "fictional": fictional,
    }
    try:
        entry = schema.model_validate(dict(data), context=context)
    except ValidationError as exc:
        errors: dict[Location, list[str]] = {}
        for error in exc.errors(include_url=False):
            message = (
                error["msg"]
                if error["type"] == "ato"
                else MESSAGES.get(error["type"], "Valeur invalide.")
            )
            errors.setdefault(tuple(error["loc"]), []).append(message)
        raise InvalidEntry(errors) from None
    return entry.model_dump(mode="json")


# --- to and from the database -------------------------------------------------------------------


def from_requis(requis: Requis) -> dict[str, Any]:
    """The current content of an entry, in the entry shape."""
    return {
        "nature": requis.nature.value,
        "requis": {
            "nom": requis.nom,
            "finess": requis.finess,
            "rpps": requis.rpps,
            "civilite": requis.civilite,
            "prenom": requis.prenom,
            "profession": requis.profession_code,
            "type_dispositif": None,
            "adresse": requis.adresse,
            "code_postal": requis.code_postal,
            "ville": requis.ville,
            "departement": requis.departement_code,
            "site_web": requis.site_web,
            "telephone": requis.telephone,
        },
        "contact": {
            "nom": requis.contact_nom or "",
            "fonction": None,
            "email": requis.contact_email or "",
            "telephone": None,
        },
        "services": [
            {
                "nom": s.nom,
                "specialite": s.specialite.slug,
                "thematiques": [t.slug for t in s.thematiques],
                "description": s.description,
                "demandeurs": s.demandeurs,
                "pieces": s.pieces_a_joindre,
                "delai_heures": s.delai_reponse_heures,
                "disponibilite": s.disponibilite,
                "public": s.public.value,
                "regional": s.couverture_regionale,
                "departements": [d.code for d in s.departements],
                "canaux": [{"outil": c.outil.slug, "adresse": c.adresse} for c in s.canaux],
            }
            for s in requis.services
        ],
    }


def new_requis(entry: Mapping[str, Any], statut: Statut) -> Requis:
    """A requis holding ``entry`` (added to the session by the caller)."""
    requis = Requis(nature=NatureRequis(entry["nature"]), statut=statut)
    apply(requis, entry)
    return requis


def apply(requis: Requis, entry: Mapping[str, Any]) -> None:
    """Write an entry's content onto a requis (its services are replaced).

    A temporary unavailability set by staff survives a revision of the same
    service (same name and specialty).
    """
    identity = entry["requis"]
    requis.nom = identity["nom"]
    requis.finess = identity.get("finess")
    requis.rpps = identity.get("rpps")
    requis.civilite = identity.get("civilite")
    requis.prenom = identity.get("prenom")
    requis.profession_code = identity.get("profession")
    for name in ("adresse", "code_postal", "ville", "site_web", "telephone"):
        setattr(requis, name, identity.get(name))
    requis.departement_code = identity["departement"]
    requis.contact_nom = entry["contact"]["nom"]
    requis.contact_email = entry["contact"]["email"]
    # Reference lists are read once per call, not once per service (an import applies many).
    specialites = {s.slug: s for s in directory.specialites()}
    outils = {o.slug: o for o in directory.outils()}
    departements = {d.code: d for d in directory.departements()}
    unavailable = {
        (s.nom, s.specialite_id): (s.indisponible, s.indisponible_message)
        for s in requis.services
        if s.indisponible
    }
    requis.services = [
        Service(
            position=i,
            nom=s["nom"],
            specialite=specialites[s["specialite"]],
            thematiques=[specialites[t] for t in s.get("thematiques", [])],
            description=s.get("description"),
            demandeurs=s.get("demandeurs"),
            pieces_a_joindre=s.get("pieces"),
            delai_reponse_heures=s.get("delai_heures"),
            disponibilite=s.get("disponibilite"),
            public=Public(s.get("public") or Public.TOUS.value),
            couverture_regionale=bool(s.get("regional")),
            departements=[departements[c] for c in s.get("departements", [])],
            canaux=[
                Canal(position=j, outil=outils[c["outil"]], adresse=c["adresse"])
                for j, c in enumerate(s["canaux"])
            ],
        )
        for i, s in enumerate(entry["services"])
    ]
    for service in requis.services:
        state = unavailable.get((service.nom, service.specialite.id))
        if state:
            service.indisponible, service.indisponible_message = state


# --- differences --------------------------------------------------------------------------------


def _flat(entry: Mapping[str, Any]) -> dict[str, Any]:
    out = {f"requis.{k}": v for k, v in entry["requis"].items()}
    out.update({f"contact.{k}": v for k, v in entry["contact"].items()})
    for i, service in enumerate(entry["services"]):
        out.update({f"service {i + 1}.{k}": v for k, v in service.items()})
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field-by-field differences ``{field: [before, after]}`` (empty and missing are equal)."""
    old, new = _flat(before), _flat(after)
    return {
        k: [old.get(k), new.get(k)]
        for k in sorted(old.keys() | new.keys())
        if (old.get(k) or None) != (new.get(k) or None)
    }


def identifiers(entry: Mapping[str, Any]) -> Iterable[str]:
    """The national identifiers an entry carries (FINESS, RPPS)."""
    identity = entry["requis"]
    return [v for v in (identity.get("finess"), identity.get("rpps")) if v]
