"""Cursor pages are stable: nothing skipped or repeated while the directory changes."""

from ato.api.forms import DEFAULT_LIMIT
from ato.extensions import db
from tests.factories import make_requis


def make(n: int, prefix: str = "Recours") -> list:
    rows = [make_requis(nom=f"{prefix} {i}", commit=False) for i in range(n)]
    db.session.commit()
    return rows


def test_pages_cover_every_entry_once_in_order_of_change(api, app_ctx):
    rows = make(7)
    seen = api.follow("/api/v1/recours?limite=3")
    assert [i["id"] for i in seen] == [r.id for r in rows]
    assert api.json("/api/v1/recours")["limite"] == DEFAULT_LIMIT


def test_entries_added_or_changed_while_paging_are_met_at_the_end(api, app_ctx):
    rows = make(6)
    first = api.json("/api/v1/recours?limite=2")
    added = make_requis(nom="Ajouté pendant la lecture")
    rows[0].telephone = "05 61 00 00 02"  # already read: changed, it comes again at the end
    db.session.commit()
    rest = api.follow(first["suivant"])
    ids = [i["id"] for i in first["donnees"] + rest]
    assert ids == [r.id for r in rows[:6]] + [added.id, rows[0].id]
    assert sorted(set(ids)) == sorted({r.id for r in rows} | {added.id})


def test_a_withdrawn_entry_is_skipped_by_the_listing(api, app_ctx):
    rows = make(4)
    first = api.json("/api/v1/recours?limite=2")
    db.session.delete(rows[2])
    db.session.commit()
    rest = api.follow(first["suivant"])
    assert [i["id"] for i in rest] == [rows[3].id]


def test_a_search_pages_through_its_own_matches(api, app_ctx):
    make(3, "Cardiologie")
    make(2, "Pneumologie")
    seen = api.follow("/api/v1/recours?q=pneumologie&limite=1")
    assert [i["nom"] for i in seen] == ["Pneumologie 0", "Pneumologie 1"]
