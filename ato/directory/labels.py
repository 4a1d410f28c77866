"""What staff read of an entry: a French label for every key, and every value in words.

The keys are those of the entry shape (:mod:`ato.directory.schema`). Every page
that shows staff a field by name (the review of a request, the journal, the
staff mail) takes its label here, and its value through :class:`Vocabulary`:
département codes become ``Haute-Garonne (31)``, slugs their specialty or tool
name, booleans ``Oui``/``Non``, an empty value ``—``.

:func:`compare` lays two entries side by side, section by section, for the
review of a revision; :func:`compare` with no ``before`` is the summary of a
new entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ato.directory import schema
from ato.directory import services as directory
from ato.directory.models import NatureRequis, Public
from ato.web import date_fr, delai

EMPTY = "—"

NATURE = "Type de fiche"
REQUIS = {
    "nom": "Nom",
    "finess": "Numéro FINESS",
    "rpps": "Numéro RPPS",
    "civilite": "Civilité",
    "prenom": "Prénom",
    "profession": "Profession",
    "type_dispositif": "Type de dispositif",
    "adresse": "Adresse",
    "code_postal": "Code postal",
    "ville": "Ville",
    "departement": "Département",
    "site_web": "Site web",
    "telephone": "Téléphone (standard)",
}
CONTACT = {
    "nom": "Nom du contact",
    "fonction": "Fonction du contact",
    "email": "Courriel du contact",
    "telephone": "Téléphone du contact",
}
SERVICE = {
    "nom": "Nom du service",
    "specialite": "Spécialité",
    "thematiques": "Thématiques ou pathologies",
    "description": "Ce que couvre la télé-expertise",
    "demandeurs": "Qui peut adresser une demande",
    "pieces": "Pièces à joindre",
    "delai_heures": "Délai de réponse annoncé",
    "delai_minutes": "Délai de réponse annoncé",
    "disponibilite": "Disponibilité",
    "public": "Patients",
    "regional": "Toute l'Occitanie",
    "departements": "Départements d'où les demandes sont acceptées",
    "canaux": "Moyens d'adresser une demande",
    # what staff set on a published service (not part of an entry)
    "indisponible": "Indisponible",  # before closures were dated
    "indisponible_du": "Indisponible à partir du",
    "indisponible_au": "Indisponible jusqu'au",
    "message": "Message d'indisponibilité",
}
CANAL = {"outil": "Outil", "adresse": "Adresse, numéro ou lien"}
SECTIONS = {"requis": REQUIS, "contact": CONTACT, "services": SERVICE, "canaux": CANAL}

# The title of an entry's identity section, by kind of requis.
IDENTITY_TITLES = {
    "etablissement": "Établissement",
    "liberal": "Professionnel",
    "dispositif": "Dispositif",
}
CIVILITES = {"Dr": "Docteur", "Pr": "Professeur", "Mme": "Madame", "M.": "Monsieur"}


def _day(value: str) -> str:
    """A day stored as ISO text in the journal, in words (« 14 décembre 2026 »)."""
    try:
        return date_fr(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def label(section: str, key: str) -> str:
    """The French label of ``key`` in an entry's ``section`` ("" for the top level)."""
    if not section and key == "nature":
        return NATURE
    return SECTIONS.get(section, {}).get(key, key)


_SERVICE_PATH = re.compile(r"service (?P<which>.+)\.(?P<key>[a-z_]+)")


def path_label(path: str) -> str:
    """The label of a flat field of :func:`ato.directory.entries.diff` (``requis.ville``,
    ``service 2.delai_heures``) or of a service's state (``service <nom>.indisponible``)."""
    section, _, key = path.partition(".")
    if section in ("requis", "contact") and key:
        return label(section, key)
    match = _SERVICE_PATH.fullmatch(path)
    if match:
        return f"Service {match['which']} — {label('services', match['key'])}"
    return label("", path)


def french_list(items: Iterable[str]) -> str:
    """``a``, ``a et b``, ``a, b et c``; ``—`` when there is nothing."""
    items = [i for i in items if i]
    if not items:
        return EMPTY
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " et " + items[-1]


def yes_no(value: object) -> str:
    return "Oui" if value else "Non"


@dataclass(frozen=True)
class Vocabulary:
    """The names behind an entry's codes, read once per request (see ``directory`` services)."""

    departements: Mapping[str, str]
    specialites: Mapping[str, str]
    outils: Mapping[str, str]
    professions: Mapping[str, str] = field(default_factory=schema.professions)

    @classmethod
    def load(cls) -> Vocabulary:
        return cls(
            departements={d.code: d.label for d in directory.departements()},
            specialites={s.slug: s.libelle for s in directory.specialites()},
            outils={o.slug: o.nom for o in directory.outils()},
        )

    def _formats(self) -> dict[str, Callable[[Any], str]]:
        def names(table: Mapping[str, str]) -> Callable[[Any], str]:
            return lambda v: french_list(table.get(str(c), str(c)) for c in _as_list(v))

        return {
            "nature": lambda v: _enum_label(NatureRequis, v),
            "public": lambda v: _enum_label(Public, v),
            "civilite": lambda v: CIVILITES.get(v, v),
            "type_dispositif": lambda v: schema.TYPES_DISPOSITIF.get(v, v),
            "profession": names(self.professions),
            "departement": names(self.departements),
            "departements": names(self.departements),
            "specialite": names(self.specialites),
            "thematiques": names(self.specialites),
            "outil": names(self.outils),
            "canaux": self.channels,
            "delai_minutes": delai,  # worded as the public pages say it (ato.web)
            # changes journaled before delays were kept in minutes
            "delai_heures": lambda v: delai(v * 60 if isinstance(v, int) else v),
            "regional": yes_no,
            "indisponible": yes_no,
            "indisponible_du": _day,
            "indisponible_au": _day,
        }

    def value(self, key: str, value: Any) -> str:
        """``value`` of the entry key ``key`` in words."""
        fmt = self._formats().get(key)
        if fmt is not None and (value not in (None, "", []) or key.startswith("delai")):
            return fmt(value)
        return text(value)

    def channel(self, canal: Mapping[str, Any]) -> str:
        outil = canal.get("outil")
        return f"{self.outils.get(outil, outil) or EMPTY} : {canal.get('adresse') or EMPTY}"

    def channels(self, canaux: Any) -> str:
        items = [self.channel(c) for c in _as_list(canaux) if isinstance(c, Mapping)]
        return " ; ".join(items) or EMPTY

    def path_value(self, path: str, value: Any) -> str:
        """A value of a flat field of a diff (the key is the part after the last dot)."""
        return self.value(path.rpartition(".")[2], value)


def text(value: Any) -> str:
    """Any stored value in words: booleans Oui/Non, lists joined, nothing as ``—``."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list | tuple):
        return french_list(text(v) for v in value)
    return str(value)


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _enum_label(kind: type, value: Any) -> str:
    try:
        return kind(value).label
    except ValueError:
        return str(value)


# --- side by side ---------------------------------------------------------------------------


@dataclass
class Row:
    """One field: its label and its value in words on each side (``before`` None: no side)."""

    label: str
    after: str
    before: str | None = None
    changed: bool = False


@dataclass
class Block:
    """A section (identity, contact) or one service, as rows.

    ``state`` is ``"ajoute"`` for a service only in the proposal, ``"supprime"``
    for a service only in the published entry, empty otherwise.
    """

    title: str
    rows: list[Row]
    state: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.state) or any(r.changed for r in self.rows)

    @property
    def changes(self) -> int:
        return sum(r.changed for r in self.rows)


def _differs(old: Any, new: Any) -> bool:
    """Empty and missing are equal, as in :func:`ato.directory.entries.diff`."""
    return (old or None) != (new or None)


def identity_keys(nature: str) -> list[str]:
    """The identity fields this kind of requis has (a field its schema says is absent is not)."""
    entry_schema = schema.SCHEMAS.get(nature)
    if entry_schema is None:
        return list(schema.IDENTITY)
    fields = entry_schema.model_fields["requis"].annotation.model_fields
    return [k for k in schema.IDENTITY if k in fields and fields[k].annotation is not type(None)]


def _rows(
    section: str,
    keys: Iterable[str],
    new: Mapping[str, Any],
    old: Mapping[str, Any] | None,
    vocabulary: Vocabulary,
) -> list[Row]:
    rows = []
    for key in keys:
        after = vocabulary.value(key, new.get(key))
        if old is None:
            rows.append(Row(label(section, key), after))
        else:
            before = vocabulary.value(key, old.get(key))
            changed = _differs(old.get(key), new.get(key))
            rows.append(Row(label(section, key), after, before, changed))
    return rows


def _service_rows(
    new: Mapping[str, Any], old: Mapping[str, Any] | None, vocabulary: Vocabulary
) -> list[Row]:
    keys = [k for k in SERVICE if k in new or (old is not None and k in old)]
    rows = _rows("services", [k for k in keys if k != "canaux"], new, old, vocabulary)
    new_canaux = list(new.get("canaux") or [])
    old_canaux = list((old or {}).get("canaux") or [])
    for i in range(max(len(new_canaux), len(old_canaux))):
        after = vocabulary.channel(new_canaux[i]) if i < len(new_canaux) else EMPTY
        title = f"Moyen d'adresser une demande {i + 1}"
        if old is None:
            rows.append(Row(title, after))
            continue
        before = vocabulary.channel(old_canaux[i]) if i < len(old_canaux) else EMPTY
        changed = _differs(
            old_canaux[i] if i < len(old_canaux) else None,
            new_canaux[i] if i < len(new_canaux) else None,
        )
        rows.append(Row(title, after, before, changed))
    return rows


def _one_sided(title: str, rows: list[Row], state: str) -> Block:
    """A service on one side only: its values on that side, ``—`` on the other."""
    if state == "supprime":
        rows = [Row(r.label, EMPTY, r.after, r.after != EMPTY) for r in rows]
    else:
        rows = [Row(r.label, r.after, EMPTY, r.after != EMPTY) for r in rows]
    return Block(title, rows, state)


def compare(
    after: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
    vocabulary: Vocabulary | None = None,
) -> list[Block]:
    """An entry in words, section by section: identity, contact, then each service.

    With ``before`` (the published entry), each row carries both values and
    whether it changed; services are matched by position, so a service only in
    ``after`` is added and one only in ``before`` removed.
    """
    vocabulary = vocabulary or Vocabulary.load()
    nature = after.get("nature", "")
    old = before or {}
    identity = _rows(
        "requis",
        identity_keys(nature),
        after.get("requis", {}),
        old.get("requis", {}) if before is not None else None,
        vocabulary,
    )
    identity.insert(
        0,
        Row(
            NATURE,
            vocabulary.value("nature", nature),
            None if before is None else vocabulary.value("nature", old.get("nature")),
            before is not None and _differs(old.get("nature"), nature),
        ),
    )
    blocks = [
        Block(IDENTITY_TITLES.get(nature, "Fiche"), identity),
        Block(
            "Contact",
            _rows(
                "contact",
                CONTACT,
                after.get("contact", {}),
                old.get("contact", {}) if before is not None else None,
                vocabulary,
            ),
        ),
    ]
    new_services = list(after.get("services") or [])
    old_services = list(old.get("services") or [])
    for i in range(max(len(new_services), len(old_services))):
        new = new_services[i] if i < len(new_services) else None
        prev = old_services[i] if i < len(old_services) else None
        name = (new or prev or {}).get("nom") or EMPTY
        title = f"Service {i + 1} : {name}"
        if before is None:
            blocks.append(Block(title, _service_rows(new or {}, None, vocabulary)))
        elif new is None:
            blocks.append(_one_sided(title, _service_rows(prev, None, vocabulary), "supprime"))
        elif prev is None:
            blocks.append(_one_sided(title, _service_rows(new, None, vocabulary), "ajoute"))
        else:
            blocks.append(Block(title, _service_rows(new, prev, vocabulary)))
    return blocks


def tally(blocks: Iterable[Block]) -> str:
    """What a comparison changes, in words: ``2 champs modifiés et 1 service ajouté``."""
    blocks = list(blocks)

    def count(n: int, noun: str, participle: str) -> str:
        plural = "s" if n > 1 else ""
        return f"{n} {noun}{plural} {participle}{plural}" if n else ""

    return french_list(
        [
            count(sum(b.changes for b in blocks if not b.state), "champ", "modifié"),
            count(sum(b.state == "ajoute" for b in blocks), "service", "ajouté"),
            count(sum(b.state == "supprime" for b in blocks), "service", "supprimé"),
        ]
    )
