"""A consumer keeps a copy of the directory with ``_lastUpdated`` and ends equal to it."""

from datetime import datetime, timedelta

from sqlalchemy import update

from ato.core.models import utcnow
from ato.directory import changes
from ato.directory.models import DirectoryChange, Requis, Statut
from ato.extensions import db
from ato.fhir import resources as r
from tests.factories import make_requis, make_service

INCLUDES = (
    "&_include=HealthcareService:providedBy&_include=HealthcareService:endpoint"
    "&_include=HealthcareService:location"
)


def read_all(fhir, url):
    """Every page of a search: (first page's meta.lastUpdated, matches, includes)."""
    matches, included, first = [], [], None
    while url:
        bundle = fhir(url)
        first = first or bundle["meta"]["lastUpdated"]
        for entry in bundle.get("entry", []):
            (matches if entry["search"]["mode"] == "match" else included).append(entry["resource"])
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return first, matches, included


def next_moment(last_updated: str) -> str:
    """What a consumer asks from next time: the answer's moment minus the settle window."""
    moment = datetime.fromisoformat(last_updated.replace("Z", "+00:00")) - changes.SETTLE
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_of(resource) -> str:
    return next(t["code"] for t in resource["meta"]["tag"] if t["system"].endswith("/fiche"))


def test_a_consumer_following_last_updated_ends_with_the_published_services(directory, fhir):
    # What was published an hour ago, read once in full.
    db.session.execute(update(DirectoryChange).values(created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    stamp, matches, included = read_all(fhir, "/fhir/HealthcareService?_count=2" + INCLUDES)
    copy = {res["id"]: res for res in matches}
    assert included and len(copy) == 4

    # The directory changes: an addition, a modified service, a withdrawal, a deletion.
    new = make_requis(nom="CH fictif de Cahors", departement="46", services=[make_service()])
    hospital = db.session.get(Requis, directory.hospital)
    hospital.services[0].nom = "Avis cardiologique et rythmologique"
    hospital.services.pop()  # its second service is gone: HealthcareService/<id>-1 must go
    db.session.get(Requis, directory.dac).statut = Statut.ARCHIVEE
    db.session.delete(db.session.get(Requis, directory.liberal))
    db.session.commit()

    since = next_moment(stamp)
    _, answer, _ = read_all(fhir, f"/fhir/HealthcareService?_lastUpdated=ge{since}&_count=1")
    touched = {entry_of(res) for res in answer}
    assert touched == {
        str(i) for i in (new.id, directory.hospital, directory.dac, directory.liberal)
    }
    for entry in touched:  # replace, entry by entry, the copies by what is active
        copy = {k: v for k, v in copy.items() if entry_of(v) != entry}
    copy |= {res["id"]: res for res in answer if res["active"]}

    _, now, _ = read_all(fhir, "/fhir/HealthcareService")
    assert copy == {res["id"]: res for res in now}
    assert sorted(copy) == sorted([f"{directory.hospital}-0", f"{new.id}-0"])


def test_a_withdrawn_entry_is_a_bare_inactive_tombstone_and_gone_when_read(directory, fhir):
    db.session.get(Requis, directory.dac).statut = Statut.ARCHIVEE
    db.session.commit()
    bundle = fhir("/fhir/HealthcareService?_lastUpdated=ge2000-01-01&active=false")
    [tomb] = [e["resource"] for e in bundle["entry"]]
    assert set(tomb) == {"resourceType", "id", "meta"} | {"active"}
    assert tomb["id"] == str(directory.dac) and tomb["active"] is False
    gone = fhir(f"/fhir/HealthcareService/{directory.dac}-0", 410)
    assert gone["issue"][0]["code"] == "deleted"
    fhir(f"/fhir/Organization/{directory.dac}", 410)
    endpoints = fhir("/fhir/Endpoint?_lastUpdated=ge2000-01-01")
    assert {e["resource"]["status"] for e in endpoints["entry"]} == {"active", "off"}


def test_last_updated_bounds_select_entries_by_their_last_change(directory, fhir):
    db.session.execute(
        update(DirectoryChange)
        .where(DirectoryChange.requis_id == directory.dac)
        .values(created_at=datetime(2026, 3, 1, 12, 0, tzinfo=r_utc()))
    )
    db.session.commit()
    march = fhir("/fhir/Organization?_lastUpdated=ge2026-03-01&_lastUpdated=lt2026-03-02")
    assert [e["resource"]["id"] for e in march["entry"]] == [str(directory.dac)]
    assert march["entry"][0]["resource"]["meta"]["lastUpdated"] == "2026-03-01T12:00:00Z"
    assert fhir("/fhir/Organization?_lastUpdated=2026-03")["total"] == 1
    march = "&_lastUpdated=lt2026-03-02"
    assert (
        fhir(f"/fhir/Organization?_lastUpdated=gt2026-03-01T12:59:59%2B01:00{march}")["total"] == 1
    )
    assert (
        fhir(f"/fhir/Organization?_lastUpdated=gt2026-03-01T13:00:00%2B01:00{march}")["total"] == 0
    )
    assert fhir("/fhir/Organization?_lastUpdated=le2026-03-01T12:59:59%2B01:00")["total"] == 0
    # A liberal entry that changed has no Organization: no placeholder for it.
    assert fhir("/fhir/Organization?_lastUpdated=ge2026-03-02")["total"] == 1


def r_utc():
    from datetime import UTC

    return UTC


def test_resources_are_tagged_with_their_entry(directory, fhir):
    hs = fhir(f"/fhir/HealthcareService/{directory.hospital}-0")
    assert hs["meta"]["tag"] == [
        {"system": r.systems("http://localhost")["fiche"], "code": str(directory.hospital)}
    ]
