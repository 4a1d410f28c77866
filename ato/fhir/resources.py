"""The directory as FHIR R4 resources: one published entry → the resources it gives.

Everything starts from :func:`ato.directory.public.recourse` (published entries
only, never the contact person, never staff data); this module only maps that
shape to FHIR JSON. It reads no database and knows no request: the caller gives
the base address and each entry's last public change.

Resource ids derive from the entry (requis) id and the service's rank among the
entry's services (ordered by position): a revision replaces an entry's service
rows (their database ids change) but keeps their order, so a consumer keeps the
same ids across revisions::

    Organization/123          an établissement or a dispositif (DAC…)
    Practitioner/123          a liberal professional
    PractitionerRole/123      that professional's practice (all its services)
    Location/123              the entry's address
    HealthcareService/123-0   the entry's first service
    Endpoint/123-0-1          the second channel of that service (not the phone ones)
    Location/departement-31, Location/region-76   coverage areas (reference data)

French conventions follow FR Core (Interop'Santé, hl7.fr/ig/fhir/core: profiles
fr-core-organization, fr-core-practitioner, identifier types of the CodeSystem
fr-core-cs-v2-0203) and the ANS nomenclatures of the MOS/NOS (TRE_R38
spécialités ordinales, TRE_G15 professions; seed/tre_r38_specialite_ordinale.csv,
seed/professions.csv).
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

# --- code systems and identifier systems -------------------------------------------------------

FINESS = "urn:oid:1.2.250.1.71.4.2.2"  # FR Core: FINESS (entité géographique)
RPPS = "urn:oid:1.2.250.1.71.4.2.1"  # FR Core: RPPS
IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
TRE_R38 = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)
TRE_G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
ENDPOINT_CONNECTION = "http://terminology.hl7.org/CodeSystem/endpoint-connection-type"
LOCATION_PHYSICAL = "http://terminology.hl7.org/CodeSystem/location-physical-type"
LANGUAGE = "urn:ietf:bcp:47"
REGION = {"code": "76", "nom": "Occitanie"}

#: Every type served, in the order of the CapabilityStatement.
TYPES = (
    "HealthcareService",
    "Organization",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "Endpoint",
)


@functools.lru_cache(maxsize=8)
def systems(base: str) -> dict[str, str]:
    """ATO's own identifier and code systems, under the public base address."""
    root = base.rstrip("/") + "/fhir"
    return {
        "requis": root + "/identifiants/requis",
        "specialites": root + "/CodeSystem/specialites",
        "outils": root + "/CodeSystem/outils",
        "modalites": root + "/CodeSystem/modalites",
        "fiche": root + "/CodeSystem/fiche",
    }


def instant(moment: datetime) -> str:
    """A FHIR instant (UTC, seconds, with its zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


def meta(updated: datetime, base: str, requis_id: int | None) -> dict[str, Any]:
    """``meta``: the last public change, and the entry it belongs to as a tag.

    The tag (system ``…/fhir/CodeSystem/fiche``, code = the entry's id) groups the
    resources of one entry: a ``_lastUpdated`` answer replaces them as a whole.
    """
    shown: dict[str, Any] = {"lastUpdated": instant(updated)}
    if requis_id is not None:
        shown["tag"] = [{"system": systems(base)["fiche"], "code": str(requis_id)}]
    return shown


def ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"{kind}/{ident}"}


def departement_id(code: str) -> str:
    return f"departement-{code}"


def region_id() -> str:
    return f"region-{REGION['code']}"


def _address(rec: dict[str, Any]) -> dict[str, Any]:
    address: dict[str, Any] = {"use": "work", "type": "physical", "city": rec["ville"]}
    if rec["adresse"]:
        address["line"] = [rec["adresse"]]
    if rec["code_postal"]:
        address["postalCode"] = rec["code_postal"]
    address["district"] = rec["departement"]["libelle"]
    address["state"] = REGION["nom"]
    address["country"] = "FR"
    return address


def _telecom(rec: dict[str, Any]) -> list[dict[str, Any]]:
    telecom = []
    if rec["telephone"]:
        telecom.append({"system": "phone", "value": rec["telephone"], "use": "work"})
    if rec["site_web"]:
        telecom.append({"system": "url", "value": rec["site_web"], "use": "work"})
    return telecom


def _specialty_codings(spec: dict[str, Any], base: str) -> dict[str, Any]:
    """A specialty or thématique: the ANS TRE_R38 code when ordinal, and ATO's own code."""
    codings = []
    if spec["code_r38"]:
        codings.append({"system": TRE_R38, "code": spec["code_r38"], "display": spec["libelle"]})
    codings.append(
        {"system": systems(base)["specialites"], "code": spec["code"], "display": spec["libelle"]}
    )
    return {"coding": codings, "text": spec["libelle"]}


def is_organization(rec: dict[str, Any]) -> bool:
    return rec["nature"]["code"] != "liberal"


def organization(rec: dict[str, Any], base: str, updated: datetime) -> dict[str, Any]:
    identifiers = []
    if rec["finess"]:
        identifiers.append(
            {
                "use": "official",
                "type": {
                    "coding": [
                        {
                            "system": IDENTIFIER_TYPES,
                            "code": "FINEG",
                            "display": "FINESS d'entité géographique",
                        }
                    ]
                },
                "system": FINESS,
                "value": rec["finess"],
            }
        )
    identifiers.append(
        {"use": "secondary", "system": systems(base)["requis"], "value": str(rec["id"])}
    )
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(rec["id"]),
        "meta": meta(updated, base, rec["id"]),
        "identifier": identifiers,
        "active": True,
        "type": [{"text": rec["nature"]["libelle"]}],
        "name": rec["nom"],
        "address": [_address(rec)],
    }
    if telecom := _telecom(rec):
        resource["telecom"] = telecom
    return resource


def practitioner(rec: dict[str, Any], base: str, updated: datetime) -> dict[str, Any]:
    person = rec["personne"] or {"civilite": None, "prenom": None, "nom": rec["nom"]}
    name: dict[str, Any] = {"use": "official", "family": person["nom"], "text": rec["nom"]}
    if person["prenom"]:
        name["given"] = [person["prenom"]]
    if person["civilite"]:
        name["prefix"] = [person["civilite"]]
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(rec["id"]),
        "meta": meta(updated, base, rec["id"]),
        "identifier": [
            {
                "use": "official",
                "type": {
                    "coding": [{"system": IDENTIFIER_TYPES, "code": "RPPS", "display": "N° RPPS"}]
                },
                "system": RPPS,
                "value": rec["rpps"],
            }
        ],
        "active": True,
        "name": [name],
    }
    if rec["profession"]:
        profession = rec["profession"]
        resource["qualification"] = [
            {
                "code": {
                    "coding": [
                        {
                            "system": TRE_G15,
                            "code": profession["code"],
                            "display": profession["libelle"],
                        }
                    ],
                    "text": profession["libelle"],
                }
            }
        ]
    return resource


def service_id(requis_id: int, rank: int) -> str:
    return f"{requis_id}-{rank}"


def endpoint_id(requis_id: int, rank: int, channel: int) -> str:
    return f"{requis_id}-{rank}-{channel}"


def _is_phone(canal: dict[str, Any]) -> bool:
    return canal["outil"]["nature"] == "telephone"


def practitioner_role(rec: dict[str, Any], base: str, updated: datetime) -> dict[str, Any]:
    specialties: list[dict[str, Any]] = []
    for item in rec["services"]:
        coded = _specialty_codings(item["specialite"], base)
        if coded not in specialties:
            specialties.append(coded)
    ident = str(rec["id"])
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": ident,
        "meta": meta(updated, base, rec["id"]),
        "active": True,
        "practitioner": {**ref("Practitioner", ident), "display": rec["nom"]},
        "location": [ref("Location", ident)],
        "healthcareService": [
            ref("HealthcareService", service_id(rec["id"], rank))
            for rank in range(len(rec["services"]))
        ],
    }
    if rec["profession"]:
        resource["code"] = [{"text": rec["profession"]["libelle"]}]
    if specialties:
        resource["specialty"] = specialties
    if rec["telephone"]:
        resource["telecom"] = [{"system": "phone", "value": rec["telephone"], "use": "work"}]
    return resource


def location(rec: dict[str, Any], base: str, updated: datetime) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(rec["id"]),
        "meta": meta(updated, base, rec["id"]),
        "status": "active",
        "name": rec["nom"],
        "mode": "instance",
        "address": _address(rec),
    }
    if rec["telephone"]:
        resource["telecom"] = [{"system": "phone", "value": rec["telephone"], "use": "work"}]
    if is_organization(rec):
        resource["managingOrganization"] = ref("Organization", str(rec["id"]))
    return resource


def _details(item: dict[str, Any]) -> str | None:
    """``extraDetails`` (markdown): who may ask, what to attach, the announced delay."""
    parts = []
    if item["demandeurs"]:
        parts.append("**Qui peut demander :** " + item["demandeurs"])
    if item["pieces_a_joindre"]:
        parts.append("**Pièces à joindre :** " + item["pieces_a_joindre"])
    if item["delai_reponse"]["texte"]:
        parts.append("**Délai de réponse annoncé :** " + item["delai_reponse"]["texte"])
    parts.append("**Patients :** " + item["public"]["libelle"])
    return "\n\n".join(parts)


def healthcare_service(
    rec: dict[str, Any], rank: int, base: str, updated: datetime
) -> dict[str, Any]:
    """One service. Tele-expertise is said by ``characteristic``: it is how the service is
    given (a remote opinion between professionals), not a programme that funds it
    (``program``) nor a kind of care (``type``/``category``, left to the specialty)."""
    item = rec["services"][rank]
    names = systems(base)
    specialties = [_specialty_codings(item["specialite"], base)]
    specialties += [_specialty_codings(t, base) for t in item["thematiques"]]
    coverage = item["couverture"]
    areas = (
        [ref("Location", region_id())]
        if coverage["regionale"]
        else [ref("Location", departement_id(code)) for code in coverage["departements"]]
    )
    resource: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": service_id(rec["id"], rank),
        "meta": meta(updated, base, rec["id"]),
        "active": True,
        "name": item["nom"],
        "specialty": specialties,
        "location": [ref("Location", str(rec["id"]))],
        "characteristic": [
            {
                "coding": [
                    {
                        "system": names["modalites"],
                        "code": "tele-expertise",
                        "display": "Télé-expertise",
                    }
                ],
                "text": "Télé-expertise",
            }
        ],
        "communication": [{"coding": [{"system": LANGUAGE, "code": "fr", "display": "Français"}]}],
        "extraDetails": _details(item),
    }
    if is_organization(rec):
        resource["providedBy"] = {**ref("Organization", str(rec["id"])), "display": rec["nom"]}
    if item["description"]:
        resource["comment"] = item["description"]
    if areas:
        resource["coverageArea"] = areas
    phones = [c for c in item["canaux"] if _is_phone(c)]
    if phones:
        resource["telecom"] = [
            {"system": "phone", "value": c["adresse"], "use": "work"} for c in phones
        ]
    endpoints = [
        ref("Endpoint", endpoint_id(rec["id"], rank, i))
        for i, c in enumerate(item["canaux"])
        if not _is_phone(c)
    ]
    if endpoints:
        resource["endpoint"] = endpoints
    if item["disponibilite"]:
        resource["availabilityExceptions"] = item["disponibilite"]
    if closure := item["indisponibilite"]:
        during = {"start": closure["du"]}
        if closure["au"]:
            during["end"] = closure["au"]  # a date: the whole last day is included
        resource["notAvailable"] = [
            {
                "description": closure["message"] or "Service fermé temporairement",
                "during": during,
            }
        ]
    return resource


def endpoint(
    rec: dict[str, Any], rank: int, channel: int, base: str, updated: datetime
) -> dict[str, Any]:
    """A non-phone channel. MSSanté is the HL7 ``secure-email`` connection type with a
    ``mailto:`` address; a platform or a form has no HL7 code: ATO's tool code, its URL."""
    canal = rec["services"][rank]["canaux"][channel]
    tool = canal["outil"]
    if tool["nature"] == "messagerie":
        connection = {
            "system": ENDPOINT_CONNECTION,
            "code": "secure-email",
            "display": "Secure email",
        }
    else:
        connection = {
            "system": systems(base)["outils"],
            "code": tool["code"],
            "display": tool["nom"],
        }
    resource: dict[str, Any] = {
        "resourceType": "Endpoint",
        "id": endpoint_id(rec["id"], rank, channel),
        "meta": meta(updated, base, rec["id"]),
        "status": "active",
        "connectionType": connection,
        "name": tool["nom"],
        "payloadType": [{"text": "Demande de télé-expertise"}],
        "address": canal["lien"],
    }
    if is_organization(rec):
        resource["managingOrganization"] = ref("Organization", str(rec["id"]))
    return resource


def entry_resources(
    rec: dict[str, Any], base: str, updated: datetime, kinds: set[str] | None = None
) -> dict[str, list[dict]]:
    """The resources one published entry gives, by type, in a stable order (all types, or
    only ``kinds``: a page maps only what it shows)."""
    wanted = set(TYPES) if kinds is None else kinds
    out: dict[str, list[dict]] = {kind: [] for kind in TYPES}
    if is_organization(rec):
        if "Organization" in wanted:
            out["Organization"].append(organization(rec, base, updated))
    else:
        if "Practitioner" in wanted:
            out["Practitioner"].append(practitioner(rec, base, updated))
        if "PractitionerRole" in wanted:
            out["PractitionerRole"].append(practitioner_role(rec, base, updated))
    if "Location" in wanted:
        out["Location"].append(location(rec, base, updated))
    for rank, item in enumerate(rec["services"]):
        if "HealthcareService" in wanted:
            out["HealthcareService"].append(healthcare_service(rec, rank, base, updated))
        if "Endpoint" in wanted:
            for channel, canal in enumerate(item["canaux"]):
                if not _is_phone(canal):
                    out["Endpoint"].append(endpoint(rec, rank, channel, base, updated))
    return out


def tombstone(kind: str, requis_id: int, base: str, at: datetime) -> dict[str, Any]:
    """What a ``_lastUpdated`` answer says of an entry with nothing of ``kind`` to show any
    more (withdrawn, archived, deleted, or none of that type): an inactive resource with
    no content, id = the entry's id, tagged with the entry. A consumer drops its copies."""
    resource: dict[str, Any] = {
        "resourceType": kind,
        "id": str(requis_id),
        "meta": meta(at, base, requis_id),
    }
    if kind == "Endpoint":
        resource |= {
            "status": "off",
            "connectionType": {"system": ENDPOINT_CONNECTION, "code": "secure-email"},
            "payloadType": [{"text": "Retiré de l'annuaire"}],
            "address": "urn:ato:retire",
        }
    elif kind == "Location":
        resource["status"] = "inactive"
    else:
        resource["active"] = False
    return resource


def area(ident: str, name: str, updated: datetime, base: str, departement: bool) -> dict[str, Any]:
    """A coverage area: a département of Occitanie, or the whole region."""
    address: dict[str, Any] = {"state": REGION["nom"], "country": "FR"}
    if departement:
        address["district"] = name
    return {
        "resourceType": "Location",
        "id": ident,
        "meta": meta(updated, base, None),
        "status": "active",
        "name": name,
        "mode": "kind",
        "address": address,
        "physicalType": {
            "coding": [{"system": LOCATION_PHYSICAL, "code": "area", "display": "Area"}]
        },
    }


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    """An error in FHIR: ``code`` from the IssueType value set, ``diagnostics`` in French."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }
