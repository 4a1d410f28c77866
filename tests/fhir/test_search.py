"""Searches: Bundle searchset, total, paging, filters, includes, errors, privacy."""

import json

import pytest

from ato.extensions import db
from ato.fhir import resources as r
from tests.factories import make_requis, make_service
from tests.fhir.conftest import HIDDEN_NAMES, PRIVATE


def ids(bundle, mode="match"):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_a_search_is_a_searchset_with_its_total(directory, fhir):
    bundle = fhir("/fhir/HealthcareService")
    assert bundle["type"] == "searchset" and bundle["total"] == 4
    assert ids(bundle) == [
        f"{directory.hospital}-0",
        f"{directory.hospital}-1",
        f"{directory.liberal}-0",
        f"{directory.dac}-0",
    ]
    assert (
        bundle["entry"][0]["fullUrl"] == f"http://localhost/fhir/HealthcareService/{ids(bundle)[0]}"
    )


def test_pages_follow_the_next_link_and_never_split_an_entry(app_ctx, fhir):
    for i in range(5):
        make_requis(nom=f"CH {i}", services=[make_service(), make_service("cardiologie")])
    db.session.commit()
    seen, url, pages = [], "/fhir/HealthcareService?_count=3", 0
    while url:
        bundle = fhir(url)
        assert bundle["total"] == 10
        seen += ids(bundle)
        assert len(ids(bundle)) == 2  # 3 would split an entry of two services
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
        pages += 1
    assert pages == 5 and len(set(seen)) == 10


@pytest.mark.parametrize("token", ["SM04", f"{r.TRE_R38}|SM04", "cardiologie", "avc"])
def test_specialty_searches_by_ans_code_or_ato_code(directory, fhir, token):
    bundle = fhir(f"/fhir/HealthcareService?specialty={token}")
    assert ids(bundle) == [f"{directory.hospital}-0"] and bundle["total"] == 1


def test_specialty_of_a_practitioner_role_and_an_unknown_system(directory, fhir):
    assert ids(fhir("/fhir/PractitionerRole?specialty=dermatologie")) == [str(directory.liberal)]
    assert fhir("/fhir/PractitionerRole?specialty=SM04")["total"] == 0
    assert fhir("/fhir/HealthcareService?specialty=http://autre|SM04")["total"] == 0


def test_id_and_active_filters(directory, fhir):
    wanted = f"{directory.hospital}-1,{directory.dac}-0"
    assert ids(fhir(f"/fhir/HealthcareService?_id={wanted}")) == wanted.split(",")
    assert fhir("/fhir/Organization?active=true")["total"] == 2
    assert fhir("/fhir/Organization?active=false")["total"] == 0


def test_includes_come_after_the_matches_once_each(directory, fhir):
    bundle = fhir(
        "/fhir/HealthcareService?_include=HealthcareService:providedBy"
        "&_include=HealthcareService:endpoint&_include=HealthcareService:location"
        "&_include=HealthcareService:coverage-area"
    )
    included = ids(bundle, "include")
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))
    kinds = {
        e["resource"]["resourceType"] for e in bundle["entry"] if e["search"]["mode"] == "include"
    }
    assert kinds == {"Organization", "Endpoint", "Location"}
    assert str(directory.hospital) in included and f"{directory.hospital}-0-1" in included
    assert "departement-32" in included and "region-76" in included
    assert bundle["total"] == 4  # includes are not counted


def test_practitioner_role_includes_its_practitioner_and_services(directory, fhir):
    bundle = fhir(
        "/fhir/PractitionerRole?_include=PractitionerRole:practitioner"
        "&_include=PractitionerRole:service"
    )
    kinds = [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]]
    assert kinds == [
        ("PractitionerRole", "match"),
        ("Practitioner", "include"),
        ("HealthcareService", "include"),
    ]


def test_nothing_pending_refused_archived_nor_any_contact_leaves(directory, client):
    urls = ["/fhir/metadata"] + [
        f"/fhir/{kind}?_include={inc}" if inc else f"/fhir/{kind}"
        for kind in r.TYPES
        for inc in [None]
    ]
    urls += [
        "/fhir/HealthcareService?_include=HealthcareService:providedBy"
        "&_include=HealthcareService:location&_include=HealthcareService:endpoint",
        "/fhir/HealthcareService?_lastUpdated=ge2000-01-01",
        "/fhir/Organization?_lastUpdated=ge2000-01-01",
    ]
    urls += [f"/fhir/{k}/{i}" for k in r.TYPES for i in (directory.pending, directory.archived)]
    for url in urls:
        text = client.get(url).get_data(as_text=True)
        for secret in (*PRIVATE, *HIDDEN_NAMES, "contact@exemple.invalid"):
            assert secret not in text, (url, secret)
    for hidden in (directory.pending, directory.refused):  # never published: unknown
        assert client.get(f"/fhir/Organization/{hidden}").status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/fhir/Patient", 404),
        ("/fhir/Patient/1", 404),
        ("/fhir/HealthcareService?nimporte=1", 400),
        ("/fhir/HealthcareService?_lastUpdated=ge2026-13-45", 400),
        ("/fhir/HealthcareService?_lastUpdated=hier", 400),
        ("/fhir/HealthcareService?_lastUpdated=sa2026-01-01", 400),
        ("/fhir/HealthcareService?_count=-1", 400),
        ("/fhir/HealthcareService?_count=99999", 400),
        ("/fhir/HealthcareService?active=peut-etre", 400),
        ("/fhir/HealthcareService?_include=Organization:endpoint", 400),
        ("/fhir/HealthcareService?_curseur=abc", 400),
        ("/fhir/HealthcareService?specialty=", 400),
        ("/fhir/HealthcareService?_format=xml", 406),
        ("/fhir/HealthcareService/abc", 404),
        ("/fhir/HealthcareService/99999999999999", 404),
        ("/fhir/Organization/1/_history/2", 404),
    ],
)
def test_bad_inputs_get_an_operation_outcome_in_french(app, fhir, url, status):
    body = fhir(url, status)
    issue = body["issue"][0]
    assert body["resourceType"] == "OperationOutcome" and issue["severity"] == "error"
    assert issue["diagnostics"]


def test_xml_is_refused_and_writes_are_not_allowed(app, client):
    refused = client.get("/fhir/metadata", headers={"Accept": "application/fhir+xml"})
    assert refused.status_code == 406 and refused.mimetype == "application/fhir+json"
    assert client.get("/fhir/metadata?_format=json").status_code == 200
    posted = client.post("/fhir/Organization", data="{}", content_type="application/fhir+json")
    assert (
        posted.status_code == 405 and json.loads(posted.data)["resourceType"] == "OperationOutcome"
    )
