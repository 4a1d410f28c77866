"""Each resource type as the server gives it: valid R4, French conventions, stable ids."""

from ato.fhir import resources as r


def test_an_establishment_is_an_organization_with_its_finess(directory, fhir):
    org = fhir(f"/fhir/Organization/{directory.hospital}")
    finess = next(i for i in org["identifier"] if i["system"] == r.FINESS)
    assert len(finess["value"]) == 9 and finess["type"]["coding"][0]["code"] == "FINEG"
    assert org["name"] == "CH fictif de Toulouse" and org["active"] is True
    assert {"system": "phone", "value": "05 61 00 00 00", "use": "work"} in org["telecom"]
    assert {"system": "url", "value": "https://ch-fictif.exemple.fr/", "use": "work"} in org[
        "telecom"
    ]
    assert org["address"][0]["postalCode"] == "31000"
    assert org["meta"]["lastUpdated"].endswith("Z")


def test_a_dispositif_is_an_organization_identified_by_ato(directory, fhir):
    org = fhir(f"/fhir/Organization/{directory.dac}")
    assert [i["system"] for i in org["identifier"]] == ["http://localhost/fhir/identifiants/requis"]
    assert org["identifier"][0]["value"] == str(directory.dac)


def test_a_liberal_professional_is_a_practitioner_with_rpps_name_and_profession(directory, fhir):
    doc = fhir(f"/fhir/Practitioner/{directory.liberal}")
    assert doc["identifier"][0]["system"] == r.RPPS and len(doc["identifier"][0]["value"]) == 11
    assert doc["name"][0] == {
        "use": "official",
        "family": "Martin",
        "given": ["Lou"],
        "prefix": ["Dr"],
        "text": "Dr Lou Martin",
    }
    assert doc["qualification"][0]["code"]["coding"][0] == {
        "system": r.TRE_G15,
        "code": "10",
        "display": "Médecin",
    }
    role = fhir(f"/fhir/PractitionerRole/{directory.liberal}")
    assert role["practitioner"]["reference"] == f"Practitioner/{directory.liberal}"
    assert role["healthcareService"] == [{"reference": f"HealthcareService/{directory.liberal}-0"}]
    assert role["location"] == [{"reference": f"Location/{directory.liberal}"}]
    assert role["specialty"][0]["coding"][0]["system"] == r.TRE_R38
    fhir(f"/fhir/Organization/{directory.liberal}", 404)


def test_a_service_is_a_healthcare_service_with_everything_a_requerant_needs(directory, fhir):
    hs = fhir(f"/fhir/HealthcareService/{directory.hospital}-0")
    assert hs["providedBy"]["reference"] == f"Organization/{directory.hospital}"
    assert hs["characteristic"][0]["text"] == "Télé-expertise"
    assert hs["specialty"][0]["coding"][0] == {
        "system": r.TRE_R38,
        "code": "SM04",
        "display": "Cardiologie",
    }
    assert "AVC" in [s["text"] for s in hs["specialty"]]
    assert hs["coverageArea"] == [
        {"reference": "Location/departement-31"},
        {"reference": "Location/departement-32"},
    ]
    assert hs["telecom"] == [{"system": "phone", "value": "05 61 00 00 01", "use": "work"}]
    assert hs["endpoint"] == [
        {"reference": f"Endpoint/{directory.hospital}-0-0"},
        {"reference": f"Endpoint/{directory.hospital}-0-1"},
    ]
    assert "Médecins généralistes" in hs["extraDetails"] and "Photographies" in hs["extraDetails"]
    assert hs["availabilityExceptions"] == "Du lundi au vendredi, 9 h - 17 h"
    closure = hs["notAvailable"][0]
    assert closure["description"] == "Fermeture pour congés" and closure["during"]["end"]
    assert hs["comment"].startswith("Lecture d'ECG")
    regional = fhir(f"/fhir/HealthcareService/{directory.hospital}-1")
    assert regional["coverageArea"] == [{"reference": "Location/region-76"}]


def test_channels_are_endpoints_mssante_as_secure_email_and_tools_as_urls(directory, fhir):
    tool = fhir(f"/fhir/Endpoint/{directory.hospital}-0-0")
    assert tool["address"] == "https://teleo.exemple.invalid/cardio" and tool["status"] == "active"
    assert tool["connectionType"]["code"] == "teleo"
    mail = fhir(f"/fhir/Endpoint/{directory.hospital}-0-1")
    assert mail["address"] == "mailto:cardio@ch-fictif.mssante.fr"
    assert mail["connectionType"] == {
        "system": r.ENDPOINT_CONNECTION,
        "code": "secure-email",
        "display": "Secure email",
    }
    fhir(f"/fhir/Endpoint/{directory.hospital}-0-2", 404)  # the phone is a telecom


def test_locations_give_the_address_and_the_coverage_areas(directory, fhir):
    place = fhir(f"/fhir/Location/{directory.hospital}")
    assert place["address"]["line"] == ["1 rue de l'Exemple"] and place["status"] == "active"
    area = fhir("/fhir/Location/departement-32")
    assert area["name"] == "Gers" and area["mode"] == "kind"
    assert fhir("/fhir/Location/region-76")["name"] == "Occitanie"
    fhir("/fhir/Location/departement-75", 404)


def test_ids_survive_a_revision_that_replaces_the_services(directory, fhir):
    from ato.directory.models import Requis
    from ato.extensions import db
    from tests.factories import make_service

    requis = db.session.get(Requis, directory.hospital)
    names = [s.nom for s in requis.services]
    requis.services = [make_service("cardiologie", nom=n) for n in names]
    db.session.commit()
    assert fhir(f"/fhir/HealthcareService/{directory.hospital}-1")["name"] == names[1]


def test_the_capability_statement_lists_every_type_its_searches_and_includes(app, fhir):
    cap = fhir("/fhir/metadata")
    assert cap["fhirVersion"] == "4.0.1" and cap["kind"] == "instance"
    served = {res["type"]: res for res in cap["rest"][0]["resource"]}
    assert set(served) == set(r.TYPES)
    hs = served["HealthcareService"]
    assert {i["code"] for i in hs["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in hs["searchParam"]} >= {"_id", "_lastUpdated", "specialty", "active"}
    assert "HealthcareService:endpoint" in hs["searchInclude"]
    assert "inactive" in cap["rest"][0]["documentation"]
