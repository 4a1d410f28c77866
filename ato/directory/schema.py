"""The shape of an entry and its one validation point.

An *entry* is what a requis publishes: identity, contact, and services with
their channels. Its shape (plain JSON, stored as is with a request)::

    {"nature": "etablissement" | "liberal" | "dispositif",
     "requis": {"nom", "finess", "rpps", "civilite", "prenom", "profession",
                "type_dispositif", "adresse", "code_postal", "ville", "departement",
                "site_web", "telephone"},
     "contact": {"nom", "fonction", "email", "telephone"},
     "services": [{"nom", "specialite", "thematiques", "description", "demandeurs",
                   "pieces", "delai_minutes", "disponibilite", "public", "regional",
                   "departements", "canaux": [{"outil", "adresse"}]}]}

:func:`validate` normalises (identifiers without spaces, phones as
``05 61 00 00 00``, addresses in lower case, reference values to their codes
whatever name they were given by: ``TéléO`` → ``teleo``, ``Haute-Garonne`` →
``31``, see :mod:`ato.directory.vocabulary`; delays to minutes, an integer
being minutes and a text being read by :func:`ato.directory.delays.parse`)
and raises :class:`InvalidEntry`,
whose ``errors`` map a location such as ``("services", 0, "canaux", 1, "adresse")``
to French messages, so that a form puts each message beside its field and the
import names line and column. Every door in (registration and staff forms, the
CSV import, example seeding) validates here; ``entries`` maps a valid entry to
and from the database.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

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

from ato.core.errors import DomainError
from ato.core.text import plain_text_problem, single_line_problem, valid_email, web_address
from ato.directory import delays, vocabulary
from ato.directory import services as directory
from ato.directory.checks import finess, mssante, phone, rpps
from ato.directory.models import NatureOutil, NatureRequis, NatureSpecialite, Public
from ato.directory.vocabulary import UnknownValue, Vocabulary

SEED = Path(__file__).resolve().parents[2] / "seed"
MAX_SERVICES = 30  # a large CHU lists about twenty; more is an import, not a form
MAX_CANAUX = 5  # TéléO, Omnidoc, MSSanté, téléphone, formulaire
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


# --- reference data -----------------------------------------------------------------------------


@cache
def professions() -> dict[str, str]:
    """Active professions of the national nomenclature, by code (read once per process)."""
    with (SEED / "professions.csv").open(encoding="utf-8") as handle:
        return {r["code"]: r["libelle"] for r in csv.DictReader(handle) if r["statut"] == "active"}


@dataclass
class Names:
    """The vocabulary of each reference list (see :mod:`ato.directory.vocabulary`)."""

    specialites: Vocabulary
    outils: Vocabulary
    departements: Vocabulary
    professions: Vocabulary
    natures: Vocabulary = field(default_factory=lambda: natures())
    publics: Vocabulary = field(
        default_factory=lambda: vocabulary.listed(
            "un public connu", "public", {p.value: p.label for p in Public}
        )
    )
    civilites: Vocabulary = field(
        default_factory=lambda: vocabulary.listed(
            "une civilité connue", "civilite", {c: c for c in CIVILITES}
        )
    )


@dataclass
class Reference:
    """What an entry's codes must be one of; read from the database once per validation."""

    specialites: dict[str, NatureSpecialite]
    outils: dict[str, NatureOutil]
    departements: set[str]
    names: Names
    professions: dict[str, str] = field(default_factory=professions)
    parents: dict[str, str] = field(default_factory=dict)  # thématique -> its specialty

    @classmethod
    def load(cls) -> Reference:
        specialites, outils = directory.specialites(), directory.outils()
        slugs = {s.id: s.slug for s in specialites}
        return cls(
            specialites={s.slug: s.nature for s in specialites},
            outils={o.slug: o.nature for o in outils},
            departements={d.code for d in directory.departements()},
            names=Names(
                specialites=vocabulary.specialties(specialites),
                outils=vocabulary.tools(outils),
                departements=vocabulary.departements(directory.departements()),
                professions=vocabulary.professions(professions()),
            ),
            parents={s.slug: slugs[s.parent_id] for s in specialites if s.parent_id in slugs},
        )


@cache
def natures() -> Vocabulary:
    return vocabulary.listed(
        "une nature de fiche connue", "nature", {n.value: n.label for n in NatureRequis}
    )


def nature_of(value: Any) -> str | None:
    """The nature code a value names (``Établissement``, ``libéral``…), or None."""
    found = natures().candidates(value) if isinstance(value, str) else set()
    return next(iter(found)) if len(found) == 1 else None


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


def _resolved(
    value: str,
    names: Vocabulary,
    accepted: Callable[[str], bool] | None = None,
    what: str | None = None,
) -> str:
    """The code a value names, or the vocabulary's French sentence as this field's error."""
    try:
        return names.code(value, accepted, what)
    except UnknownValue as exc:
        raise _error(str(exc)) from None


class Channel(_Schema):
    outil: Line(100)
    adresse: Line(300)

    @field_validator("outil")
    @classmethod
    def _known_tool(cls, value: str | None, info: ValidationInfo) -> str | None:
        reference, _ = _context(info)
        return _resolved(value, reference.names.outils) if value else None

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


def _french_boolean(value: Any) -> bool:
    try:
        return vocabulary.boolean(value)
    except UnknownValue as exc:
        raise _error(str(exc)) from None


def _items(value: Any) -> list[Any]:
    """A list, or a cell listing several values (``AVC ; Épilepsie``, ``31, 32``)."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,\n|]", value) if part.strip()]
    return _as_list(value)


class ServiceEntry(_Schema):
    nom: Line(200, "Indiquez le nom du service.")
    specialite: Line(200, "Choisissez une spécialité.")
    thematiques: Annotated[list[str], BeforeValidator(_items)] = []
    description: Annotated[str | None, BeforeValidator(_text(2000, lines=True))] = None
    demandeurs: Line(300) = None
    pieces: Line(300) = None
    delai_minutes: int | None = None
    disponibilite: Line(300) = None
    public: Public = Public.TOUS
    regional: Annotated[bool, BeforeValidator(_french_boolean)] = False
    departements: Annotated[list[str], BeforeValidator(_items)] = []
    canaux: Annotated[
        list[Channel],
        BeforeValidator(lambda v: [c for c in _as_list(v) if not _blank_channel(c)]),
    ] = []

    @field_validator("specialite")
    @classmethod
    def _known_specialty(cls, value: str, info: ValidationInfo) -> str:
        reference, _ = _context(info)
        names = reference.names.specialites

        def ordinal(slug: str) -> bool:
            return reference.specialites.get(slug) == NatureSpecialite.SPECIALITE

        slug = _resolved(value, names, ordinal, "une spécialité connue")
        if not ordinal(slug):
            parent = reference.parents.get(slug)
            example = f" (par ex. {names.label(parent)})" if parent else ""
            raise _error(
                f"« {value.strip()} » est une thématique, pas une spécialité : indiquez la "
                f"spécialité du service{example}, et {names.label(slug)} parmi ses thématiques."
            )
        return slug

    @field_validator("thematiques")
    @classmethod
    def _known_themes(cls, value: list[str], info: ValidationInfo) -> list[str]:
        reference, _ = _context(info)
        names = reference.names.specialites

        def theme(slug: str) -> bool:
            return reference.specialites.get(slug) == NatureSpecialite.THEMATIQUE

        slugs, problems = [], []
        for item in value:
            try:
                slug = names.code(item, theme, "une thématique connue")
            except UnknownValue as exc:
                problems.append(str(exc))
                continue
            if theme(slug):
                slugs.append(slug)
            else:
                problems.append(
                    f"« {item.strip()} » est une spécialité, pas une thématique : "
                    "indiquez-la comme spécialité du service."
                )
        if problems:
            raise _error(" ".join(problems))  # one message for the one field
        return list(dict.fromkeys(slugs))

    @field_validator("delai_minutes", mode="before")
    @classmethod
    def _known_delay(cls, value: Any) -> int | None:
        """Minutes when a number (stored entries), a delay as people write it when a text."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            if isinstance(value, int) and not isinstance(value, bool):
                return delays.bounded(value)
            if isinstance(value, str):
                return delays.parse(value)
        except ValueError as exc:
            raise _error(str(exc)) from None
        raise _error("Délai invalide.")

    @field_validator("public", mode="before")
    @classmethod
    def _known_public(cls, value: Any, info: ValidationInfo) -> str:
        reference, _ = _context(info)
        if not isinstance(value, str) or not value.strip():
            return value or Public.TOUS.value
        return _resolved(value, reference.names.publics)

    @field_validator("departements")
    @classmethod
    def _coverage(cls, value: list[str], info: ValidationInfo) -> list[str]:
        reference, _ = _context(info)
        if info.data.get("regional"):
            return []
        if not value:
            raise _error("Cochez « toute l'Occitanie » ou au moins un département.")
        codes, problems = [], []
        for item in value:
            try:
                codes.append(reference.names.departements.code(item))
            except UnknownValue as exc:
                problems.append(str(exc))
        if problems:
            raise _error(" ".join(problems))
        return list(dict.fromkeys(codes))

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
    departement: Line(120, "Choisissez le département.")
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
        return _resolved(value, reference.names.departements)

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
    civilite: Line(20) = None
    prenom: Line(100, "Indiquez votre prénom.")
    profession: Line(120, "Choisissez la profession.")

    @field_validator("civilite")
    @classmethod
    def _known_title(cls, value: str | None, info: ValidationInfo) -> str | None:
        reference, _ = _context(info)
        return _resolved(value, reference.names.civilites) if value is not None else None

    @field_validator("profession")
    @classmethod
    def _known_profession(cls, value: str, info: ValidationInfo) -> str:
        reference, _ = _context(info)
        return _resolved(value, reference.names.professions)


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
    nature = nature_of(data.get("nature"))
    schema = SCHEMAS.get(nature) if nature else None
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
        entry = schema.model_validate({**data, "nature": nature}, context=context)
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
