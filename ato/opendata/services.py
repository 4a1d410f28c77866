"""The open data files: made from the published shape of each entry, kept on disk.

The files are derived data, regenerated when the directory changes: each
version lives in its own folder ``<instance>/donnees/<version>/``, named after
the newest change of the directory (:func:`ato.directory.changes.latest`) and
the day in Paris (a closure starts or ends with the day, and the files say
whether each service is open). A request or the cron command
(``flask ato donnees generer``) that finds no folder for the current version
writes one beside the others under a temporary name and renames it into place:
the rename is atomic, so a reader never sees half a file, and when two workers
generate at once the second rename fails and its copy is dropped. Older
versions are removed, the previous one kept for readers still sending it.

The CSV files are UTF-8 without BOM, comma separated, CRLF lines, as
data.gouv.fr expects. Their cells carry the exact values (no apostrophe before
a leading ``=``, ``+``, ``-`` or ``@`` as the staff export adds): a program
reading them must get the published telephone ``+33 …`` and the description as
written; the ``/donnees`` page tells spreadsheet users to import the file rather
than open it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from ato.core import csvfile
from ato.core.models import paris_day, utcnow
from ato.directory import changes, public
from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.opendata import schema
from ato.web import external_url

FOLDER = "donnees"
JSON_FILE = "recours.json"
PACKAGE_FILE = "datapackage.json"
MANIFEST = "manifest.json"  # ours, not served: each file's hash and size, the version
KEEP_VERSIONS = 2
PACKAGE_NAME = "ato-recours-tele-expertise-occitanie"
TITLE = "Recours de télé-expertise en Occitanie (ATO)"
DESCRIPTION = (
    "L'annuaire ATO des recours de télé-expertise en Occitanie : qui donne un avis de "
    "télé-expertise (établissements, professionnels libéraux, dispositifs), pour quelle "
    "spécialité, pour quels départements, dans quel délai et par quel moyen (plateforme, "
    "messagerie sécurisée de santé, téléphone). Seules les fiches publiées y figurent, sans "
    "les personnes qui les ont inscrites. Les fichiers sont régénérés à chaque changement "
    "de l'annuaire."
)


@dataclass(frozen=True)
class Version:
    """One generated version of the files."""

    path: Path
    generated_at: datetime
    last_change: datetime | None
    files: dict[str, dict[str, Any]]  # name → {"sha256", "bytes"}

    def file(self, name: str) -> Path:
        return self.path / name


def version_key(last_change: datetime | None, today: date) -> str:
    """The folder name of the files for the directory as of ``last_change``, on ``today``."""
    raw = f"{last_change.isoformat() if last_change else 'vide'}|{today.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def root() -> Path:
    return Path(current_app.instance_path) / FOLDER


def current() -> Version:
    """The files of the directory as it is now, generated first if they are not yet."""
    last_change, today = changes.latest(), paris_day()
    folder = root() / version_key(last_change, today)
    version = _read(folder)
    if version is None:
        version = generate(folder, last_change=last_change, today=today)
    return version


def _read(folder: Path) -> Version | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Version(
        folder,
        datetime.fromisoformat(manifest["generated_at"]),
        datetime.fromisoformat(manifest["last_change"]) if manifest["last_change"] else None,
        manifest["files"],
    )


# --- rows -----------------------------------------------------------------------------------


def _when(value: str | None) -> str | None:
    """An ISO moment as Table Schema's default datetime reads it: UTC, seconds, ``Z``."""
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def recourses(today: date) -> list[dict[str, Any]]:
    """Every published entry in its public shape, ordered by id."""
    ids = db.session.scalars(
        select(Requis.id).where(Requis.statut == Statut.PUBLIEE).order_by(Requis.id)
    ).all()
    loaded = public.load(ids)
    modified = changes.last_modified(ids)
    return [
        public.recourse(
            loaded[i],
            today=today,
            modified_at=modified.get(i),
            url=external_url("directory.requis", requis_id=i, slug=loaded[i].slug),
        )
        for i in ids
        if i in loaded
    ]


def service_rows(items: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """recours.csv: one row per service, the requis' columns repeated (see :mod:`schema`)."""
    sep = schema.LIST_SEPARATOR
    for r in items:
        profession = r["profession"] or {}
        for s in r["services"]:
            closure = s["indisponibilite"] or {}
            coverage = s["couverture"]
            yield [
                s["id"],
                r["id"],
                r["nom"],
                r["nature"]["code"],
                r["finess"],
                r["rpps"],
                profession.get("code"),
                profession.get("libelle"),
                r["adresse"],
                r["code_postal"],
                r["ville"],
                r["departement"]["code"],
                r["departement"]["libelle"],
                r["telephone"],
                r["site_web"],
                r["url"],
                r["exemple"],
                _when(r["verifie_le"]),
                _when(r["publie_le"]),
                _when(r["modifie_le"]),
                s["position"],
                s["nom"],
                s["specialite"]["code"],
                s["specialite"]["libelle"],
                s["specialite"]["code_r38"],
                sep.join(t["code"] for t in s["thematiques"]) or None,
                sep.join(t["libelle"] for t in s["thematiques"]) or None,
                s["description"],
                s["demandeurs"],
                s["pieces_a_joindre"],
                s["delai_reponse"]["minutes"],
                s["delai_reponse"]["texte"],
                s["disponibilite"],
                s["public"]["code"],
                s["public"]["libelle"],
                coverage["regionale"],
                None if coverage["regionale"] else (sep.join(coverage["departements"]) or None),
                closure.get("du"),
                closure.get("au"),
                closure.get("message"),
                s["disponible"],
            ]


def channel_rows(items: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """canaux.csv: one row per channel, keyed by its service and rank."""
    for r in items:
        for s in r["services"]:
            for rank, c in enumerate(s["canaux"], start=1):
                outil = c["outil"]
                yield [
                    s["id"],
                    rank,
                    outil["code"],
                    outil["nom"],
                    outil["nature"],
                    c["adresse"],
                    c["lien"],
                ]


def _csv(header: list[str], rows: Iterator[list[Any]]) -> bytes:
    """A file for programs: UTF-8 without BOM, the exact values (no formula guard)."""
    return csvfile.write(header, rows, for_spreadsheets=False).encode()


# --- the package ----------------------------------------------------------------------------


def package(
    files: dict[str, dict[str, Any]], *, last_change: datetime | None, generated_at: datetime
) -> dict[str, Any]:
    """The Frictionless Data Package describing the files (``files``: their hash and size)."""
    resources: list[dict[str, Any]] = []
    for table in schema.tables():
        resources.append(
            {
                "name": table.name,
                "path": table.path,
                "title": table.title,
                "description": table.description,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": schema.ENCODING,
                "dialect": schema.DIALECT,
                "bytes": files[table.path]["bytes"],
                "hash": "sha256:" + files[table.path]["sha256"],
                "schema": table.schema(),
            }
        )
    resources.append(
        {
            "name": "recours-json",
            "path": JSON_FILE,
            "title": "Recours de télé-expertise (un objet par requis)",
            "description": (
                "Les mêmes données, un objet JSON par requis avec ses services et leurs canaux "
                "imbriqués, dans la forme publiée par toutes les interfaces d'ATO (API, FHIR, "
                "fichiers). Les noms des champs sont ceux des colonnes des fichiers CSV."
            ),
            "profile": "data-resource",
            "format": "json",
            "mediatype": "application/json",
            "encoding": "utf-8",
            "bytes": files[JSON_FILE]["bytes"],
            "hash": "sha256:" + files[JSON_FILE]["sha256"],
        }
    )
    return {
        "profile": "data-package",  # the JSON resource is not a table
        "name": PACKAGE_NAME,
        "id": external_url("opendata.package"),
        "title": TITLE,
        "description": DESCRIPTION,
        "homepage": external_url("opendata.index"),
        "language": "fr",
        "keywords": ["télé-expertise", "santé", "Occitanie", "annuaire", "télémédecine"],
        "licenses": [schema.LICENCE],
        "sources": [
            {
                "title": "ATO — Annuaire de Télé-expertise d'Occitanie (GRADeS e-santé Occitanie)",
                "path": external_url("directory.index"),
            }
        ],
        "created": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lastModified": _when(last_change.isoformat()) if last_change else None,
        "resources": resources,
    }


def _digest(data: bytes) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def render(
    *, last_change: datetime | None, today: date, generated_at: datetime
) -> dict[str, bytes]:
    """Every file's bytes, by name."""
    items = recourses(today)
    recours, canaux = schema.tables()
    files = {
        recours.path: _csv(recours.header, service_rows(items)),
        canaux.path: _csv(canaux.header, channel_rows(items)),
        JSON_FILE: json.dumps(items, ensure_ascii=False, indent=1).encode(),
    }
    digests = {name: _digest(data) for name, data in files.items()}
    described = package(digests, last_change=last_change, generated_at=generated_at)
    files[PACKAGE_FILE] = json.dumps(described, ensure_ascii=False, indent=1).encode()
    return files


def generate(folder: Path, *, last_change: datetime | None, today: date) -> Version:
    """Write the files into ``folder`` atomically (see the module's doc) and drop old versions."""
    generated_at = utcnow().replace(microsecond=0)
    files = render(last_change=last_change, today=today, generated_at=generated_at)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        for name, data in files.items():
            (temporary / name).write_bytes(data)
        manifest = {
            "generated_at": generated_at.isoformat(),
            "last_change": last_change.isoformat() if last_change else None,
            "files": {name: _digest(data) for name, data in files.items()},
        }
        (temporary / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        try:
            os.rename(temporary, folder)
        except OSError:  # another worker renamed its copy first: theirs is as good
            shutil.rmtree(temporary, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    _prune(folder)
    version = _read(folder)
    if version is None:  # pragma: no cover - removed by a concurrent prune of a newer version
        raise RuntimeError(f"open data version {folder} vanished")
    return version


def _prune(keep: Path) -> None:
    """Remove versions but ``keep`` and the newest others (and stale temporary folders)."""
    now = utcnow().timestamp()
    folders = []
    for path in keep.parent.iterdir():
        if path == keep or not path.is_dir():
            continue
        if path.name.startswith(".tmp-"):
            if now - path.stat().st_mtime > 3600:  # a generation killed midway
                shutil.rmtree(path, ignore_errors=True)
            continue
        folders.append(path)
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for path in folders[KEEP_VERSIONS - 1 :]:
        shutil.rmtree(path, ignore_errors=True)
