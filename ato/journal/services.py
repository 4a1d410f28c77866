"""The journal as staff read and download it (the log itself is ``ato.core.audit``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select

from ato.core import audit
from ato.extensions import db

EXPORT_LIMIT = 100_000
HEADER = ["date", "auteur", "action", "objet", "numero", "champ", "avant", "apres"]


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
    """One CSV line per changed field (one line for an entry without changes)."""
    for e in db.session.scalars(query(values).limit(EXPORT_LIMIT)):
        for field, change in e.changes.items() or [("", [None, None])]:
            before = change[0] if isinstance(change, list) and change else None
            after = change[1] if isinstance(change, list) and len(change) > 1 else None
            yield [
                e.created_at.isoformat(),
                e.actor_label,
                e.action.value,
                e.object_type.value,
                e.object_id,
                field,
                _cell(before),
                _cell(after),
            ]


def _cell(value: object) -> object:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value
