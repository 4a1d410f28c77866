"""The OpenAPI 3.1 description of ``/api/v1/``, served at ``/api/v1/openapi.json``.

Written by hand, as a dict, beside the views it describes. Objects are closed
(``additionalProperties: false``): a field that appears in an answer without
being described here — a contact person, a staff note — fails the tests that
validate every answer against this document.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ato.api.forms import DEFAULT_LIMIT, MAX_LIMIT

REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


STRING = {"type": "string"}
DATETIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}

SCHEMAS: dict[str, Any] = {
    "Code": _object({"code": STRING, "libelle": STRING}),
    "Specialite": _object(
        {
            "code": STRING,
            "libelle": STRING,
            "nature": {"enum": ["specialite", "thematique"]},
            "code_r38": _nullable(
                "string", description="Code de la nomenclature ANS TRE_R38 (spécialité ordinale)"
            ),
        }
    ),
    "Canal": _object(
        {
            "outil": _object({"code": STRING, "nom": STRING, "nature": STRING}),
            "adresse": STRING,
            "lien": {**STRING, "description": "https://…, mailto:… ou tel:…"},
        }
    ),
    "Indisponibilite": _object(
        {
            "du": DATE,
            "au": {"type": ["string", "null"], "format": "date"},
            "message": _nullable("string"),
            "en_cours": {"type": "boolean"},
        }
    ),
    "Service": _object(
        {
            "id": {"type": "integer"},
            "position": {"type": "integer"},
            "nom": STRING,
            "specialite": _ref("Specialite"),
            "thematiques": {"type": "array", "items": _ref("Specialite")},
            "description": _nullable("string"),
            "demandeurs": _nullable("string"),
            "pieces_a_joindre": _nullable("string"),
            "delai_reponse": _object(
                {"minutes": _nullable("integer"), "texte": _nullable("string")}
            ),
            "disponibilite": _nullable("string"),
            "public": _ref("Code"),
            "couverture": _object(
                {
                    "regionale": {"type": "boolean"},
                    "departements": {"type": "array", "items": STRING},
                }
            ),
            "indisponibilite": {"oneOf": [_ref("Indisponibilite"), {"type": "null"}]},
            "disponible": {"type": "boolean", "description": "Ouvert aujourd'hui"},
            "canaux": {"type": "array", "items": _ref("Canal")},
        }
    ),
    "Recours": _object(
        {
            "id": {"type": "integer"},
            "url": {**STRING, "format": "uri", "description": "La fiche sur le site"},
            "nature": _ref("Code"),
            "nom": STRING,
            "personne": {
                "description": "Un professionnel libéral : son nom en parties (sinon null)",
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "civilite": _nullable("string"),
                            "prenom": _nullable("string"),
                            "nom": STRING,
                        }
                    ),
                ],
            },
            "finess": _nullable("string"),
            "rpps": _nullable("string"),
            "profession": {"oneOf": [_ref("Code"), {"type": "null"}]},
            "adresse": _nullable("string"),
            "code_postal": _nullable("string"),
            "ville": _nullable("string"),
            "departement": _ref("Code"),
            "telephone": _nullable("string"),
            "site_web": _nullable("string"),
            "exemple": {"type": "boolean", "description": "Fiche fictive de démonstration"},
            "verifie_le": {"type": ["string", "null"], "format": "date-time"},
            "publie_le": {"type": ["string", "null"], "format": "date-time"},
            "modifie_le": {"type": ["string", "null"], "format": "date-time"},
            "services": {"type": "array", "items": _ref("Service")},
        }
    ),
    "Tombstone": {
        **_object({"id": {"type": "integer"}, "supprime": {"const": True}, "modifie_le": DATETIME}),
        "description": "Recours retiré, archivé ou supprimé depuis : à effacer de la copie locale.",
    },
    "PageRecours": _object(
        {
            "donnees": {
                "type": "array",
                "items": {"oneOf": [_ref("Recours"), _ref("Tombstone")]},
            },
            "limite": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            "suivant": {"type": ["string", "null"], "format": "uri"},
            "prochain_modifie_depuis": {
                **DATETIME,
                "description": "À passer en modifie_depuis à la prochaine synchronisation "
                "(absent d'une recherche).",
            },
        },
        optional=("prochain_modifie_depuis",),
    ),
    "Departement": _object({"code": STRING, "nom": STRING, "article": _nullable("string")}),
    "SpecialiteReference": _object(
        {
            "code": STRING,
            "libelle": STRING,
            "nature": {"enum": ["specialite", "thematique"]},
            "code_r38": _nullable("string"),
            "parent": _nullable("string", description="Code de la spécialité de rattachement"),
        }
    ),
    "Outil": _object(
        {
            "code": STRING,
            "nom": STRING,
            "nature": STRING,
            "site": _nullable("string"),
            "description": _nullable("string"),
        }
    ),
    "Problem": _object(
        {
            "type": STRING,
            "title": STRING,
            "status": {"type": "integer"},
            "detail": STRING,
            "parametre": {**STRING, "description": "Le paramètre de la requête en cause"},
        },
        optional=("parametre",),
    ),
    "Retire": _object(
        {
            "id": {"type": "integer"},
            "supprime": {"const": True},
            "modifie_le": DATETIME,
            "type": STRING,
            "title": STRING,
            "status": {"const": 410},
            "detail": STRING,
        }
    ),
}


def _list_of(name: str) -> dict[str, Any]:
    return _object({"donnees": {"type": "array", "items": _ref(name)}})


SCHEMAS.update(
    ListeDepartements=_list_of("Departement"),
    ListeSpecialites=_list_of("SpecialiteReference"),
    ListeOutils=_list_of("Outil"),
)

VALIDATORS = {
    "ETag": {"description": "Validateur faible", "schema": STRING},
    "Last-Modified": {"description": "Dernière modification", "schema": STRING},
}


def _ok(schema: str, description: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {**VALIDATORS, **(extra or {})},
        "content": {"application/json": {"schema": _ref(schema)}},
    }


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


COMMON = {
    "304": {"description": "Votre copie est à jour (If-None-Match, If-Modified-Since)"},
    "405": _problem("Méthode autre que GET ou HEAD"),
    "429": _problem("Limite de requêtes atteinte"),
}


def _parameter(name: str, description: str, schema: dict[str, Any] | None = None) -> dict:
    return {"name": name, "in": "query", "description": description, "schema": schema or STRING}


def _operation(operation_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "responses": {**responses, **COMMON},
            **extra,
        }
    }


LIST_PARAMETERS = [
    _parameter("q", "Texte recherché, comme sur /recherche"),
    _parameter("departement", "Code d'un département d'où le recours accepte des demandes"),
    _parameter(
        "situe", "1 : recours situés dans ce département", {"enum": ["0", "1", "oui", "non"]}
    ),
    _parameter("specialite", "Code d'une spécialité ou thématique (/specialites)"),
    _parameter("type", "Nature du recours", {"enum": ["etablissement", "liberal", "dispositif"]}),
    _parameter("outil", "Code d'un outil d'adressage (/outils)"),
    _parameter(
        "limite",
        f"Nombre d'éléments par page (défaut {DEFAULT_LIMIT})",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    _parameter("curseur", "Curseur opaque (lien « suivant » de la page précédente)"),
    _parameter(
        "modifie_depuis",
        "Synchronisation : recours modifiés depuis (ISO 8601), retirés compris (supprime: true)",
        DATETIME,
    ),
]


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "ATO — API de l'annuaire de télé-expertise d'Occitanie",
            "version": "1.0.0",
            "description": (
                "Lecture seule. Recours publiés, triés par dernière modification puis "
                "identifiant, en pages à curseur ; synchronisation incrémentale par "
                "modifie_depuis ; listes de référence. Erreurs au format RFC 9457."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/recours": _operation(
                "listerRecours",
                "Recours publiés, recherche et synchronisation",
                {
                    "200": _ok(
                        "PageRecours",
                        "Une page de recours",
                        {"Link": {"description": 'Page suivante : rel="next"', "schema": STRING}},
                    ),
                    "400": _problem("Paramètre invalide"),
                },
                parameters=LIST_PARAMETERS,
            ),
            "/recours/{id}": _operation(
                "lireRecours",
                "Un recours publié",
                {
                    "200": _ok("Recours", "Le recours"),
                    "400": _problem("Paramètre invalide"),
                    "404": _problem("Jamais publié ou inconnu"),
                    "410": {
                        "description": "Retiré, archivé ou supprimé",
                        "content": {"application/problem+json": {"schema": _ref("Retire")}},
                    },
                },
                parameters=[
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
            ),
            "/specialites": _operation(
                "listerSpecialites",
                "Spécialités et thématiques",
                {"200": _ok("ListeSpecialites", "Les spécialités"), "400": _problem("Paramètre")},
            ),
            "/departements": _operation(
                "listerDepartements",
                "Départements d'Occitanie",
                {"200": _ok("ListeDepartements", "Les départements"), "400": _problem("Paramètre")},
            ),
            "/outils": _operation(
                "listerOutils",
                "Outils d'adressage",
                {"200": _ok("ListeOutils", "Les outils"), "400": _problem("Paramètre")},
            ),
            "/openapi.json": _operation(
                "openapi",
                "Ce document",
                {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "headers": VALIDATORS,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "400": _problem("Paramètre"),
                },
            ),
        },
        "components": {"schemas": SCHEMAS},
    }
