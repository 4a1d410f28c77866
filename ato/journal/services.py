"""The journal as staff read and download it (the log itself is ``ato.core.audit``).

The log stores codes (``publiee``, ``requis.code_postal``); staff read labels
and values in words (``Statut : En attente → Publiée``, ``Code postal : — →
31000``): :func:`describe` says each change of an entry in French, the CSV
carries both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select

from ato.core import audit
from ato.core.access import Role
from ato.core.audit import AuditEntry, Subject
from ato.directory import labels
from ato.directory.models import Statut
from ato.extensions import db
from ato.registration.models import StatutDemande
from ato.web import datetime_fr

EXPORT_LIMIT = 100_000
HEADER = [
    "date",
    "auteur",
    "action",
    "action_code",
    "objet",
    "objet_code",
    "numero",
    "champ",
    "champ_code",
    "avant",
    "apres",
    "avant_code",
    "apres_code",
]

# What the journal records besides the fields of an entry (those are labelled by
# ato.directory.labels): states, decisions, accounts, retention, report pages.
FIELDS = {
    "statut": "Statut",
    "demande.statut": "Statut de la demande",
    "motif": "Motif du refus",
    "message": "Message au demandeur",
    "verified_at": "Vérifiée le",
    "fiche": "Fiche supprimée",
    "signalement": "Signalement",
    "envoi": "Lien de confirmation envoyé à",
    "email": "Courriel",
    "role": "Rôle",
    "active": "Actif",
    "etape": "Étape",
    "fiches": "Fiches effacées",
    "demandes": "Demandes effacées",
    "courriels": "Courriels effacés",
    "connexions": "Tentatives de connexion effacées",
    "recherches": "Recherches sans résultat effacées",
    "sessions": "Sessions effacées",
    "liens": "Liens de confirmation effacés",
    "libelle": "Libellé",
    "lien": "Lien",
    "raison": "Raison",
    "contact_prevenu": "Contact prévenu par courriel",
    "valeur": "Valeur",
    "unite": "Unité",
    "periode": "Période",
    "evolution": "Évolution",
    "evolution_reference": "Référence de l'évolution",
    "source": "Source",
    "source_url": "Lien vers la source",
    "note": "Note",
    "publie": "Publié",
    "valeurs": "Valeurs par département",
}
ETAPES = {"code": "code de double authentification"}
_ENTRY_PATHS = ("requis.", "contact.", "service ")


@dataclass(frozen=True)
class Change:
    """One field of an audit entry: its code and label, and both values in words and raw."""

    code: str
    label: str
    before: str
    after: str
    before_code: Any
    after_code: Any


def _label_of(kind: type) -> Callable[[Any], str]:
    def say(value: Any) -> str:
        try:
            return kind(value).label
        except ValueError:
            return labels.text(value)

    return say


def _moment(value: Any) -> str:
    try:
        return datetime_fr(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return labels.text(value)


def _deleted_entry(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("requis"), dict):
        return str(value["requis"].get("nom") or labels.EMPTY)
    return labels.text(value)


def _values(value: Any) -> str:
    if isinstance(value, dict):
        return f"{len(value)} valeur{'s' if len(value) > 1 else ''}" if value else labels.EMPTY
    return labels.text(value)


def _formats(subject: Subject) -> dict[str, Callable[[Any], str]]:
    """How each non-entry field is said; a request's state is not an entry's."""
    return {
        "statut": _label_of(StatutDemande if subject == Subject.DEMANDE else Statut),
        "demande.statut": _label_of(StatutDemande),
        "role": _label_of(Role),
        "verified_at": _moment,
        "fiche": _deleted_entry,
        "valeurs": _values,
        "etape": lambda v: ETAPES.get(v, labels.text(v)),
    }


def describe(entry: AuditEntry, vocabulary: labels.Vocabulary) -> list[Change]:
    """The changes of an audit entry in French, field by field, in the order recorded."""
    formats = _formats(entry.object_type)
    changes = []
    for code, change in (entry.changes or {}).items():
        before = change[0] if isinstance(change, list) and change else None
        after = change[1] if isinstance(change, list) and len(change) > 1 else None
        if code.startswith(_ENTRY_PATHS):
            label = labels.path_label(code)
            shown = [vocabulary.path_value(code, v) for v in (before, after)]
        else:
            label = FIELDS.get(code, code)
            say = formats.get(code, labels.text)
            shown = [say(v) for v in (before, after)]
        changes.append(Change(code, label, shown[0], shown[1], before, after))
    return changes


def filters(values: dict[str, Any]) -> dict[str, Any]:
    """The audit query's filters from the form's valid values."""
    return {
        "action": values.get("action", ""),
        "actor": values.get("acteur", ""),
        "object_type": values.get("objet", ""),
        "object_id": values.get("objet_id"),
        "start": values.get("debut"),
        "end": values.get("fin"),
    }


def query(values: dict[str, Any]) -> Select:
    return audit.query(**filters(values))


def rows(values: dict[str, Any]) -> Iterator[list[Any]]:
    """One CSV line per changed field (one line for an entry without changes): labels for
    reading, codes and raw values beside them for sorting and tracing."""
    vocabulary = labels.Vocabulary.load()
    for e in db.session.scalars(query(values).limit(EXPORT_LIMIT)):
        head = [
            e.created_at.isoformat(),
            e.actor_label,
            e.action.label,
            e.action.value,
            e.object_type.label,
            e.object_type.value,
            e.object_id,
        ]
        for c in describe(e, vocabulary) or [Change("", "", "", "", None, None)]:
            yield [
                *head,
                c.label,
                c.code,
                c.before,
                c.after,
                _cell(c.before_code),
                _cell(c.after_code),
            ]


def _cell(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value
