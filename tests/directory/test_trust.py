"""What the public pages say about how far an entry can be trusted: the age of its
verification, a real change of content, and a service's closure, dated."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from ato.core.models import paris_day, utcnow
from ato.directory import entries
from ato.directory.models import Departement, Requis, Service
from ato.extensions import db
from ato.web import date_fr, mois_ecoules
from tests.factories import make_requis, make_service


def page_of(client, requis_id: int) -> str:
    return html.unescape(
        client.get(f"/requis/{requis_id}", follow_redirects=True).get_data(as_text=True)
    )


def _verification(page: str) -> str:
    return re.search(r'<p class="verified[^"]*">.*?</p>', page, re.S).group(0)


# --- the age of a verification ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "css", "words"),
    [
        (20, "verified-recent", "Informations vérifiées il y a 20 jours"),
        (300, "verified-ageing", "Informations vérifiées il y a "),
    ],
)
def test_a_verification_says_its_age_and_is_green_only_when_recent(client, app, days, css, words):
    verified = utcnow() - timedelta(days=days)
    with app.app_context():
        rid = make_requis(verified_at=verified).id
    block = _verification(page_of(client, rid))
    assert f'class="verified {css}"' in block
    assert words in block and f"(le {date_fr(verified)})" in block


def test_a_verification_older_than_a_year_is_a_written_warning(client, app):
    verified = utcnow() - timedelta(days=500)
    with app.app_context():
        rid = make_requis(verified_at=verified).id
    block = _verification(page_of(client, rid))
    assert "verified-old" in block
    assert f"Vérification ancienne : {mois_ecoules(verified)} mois" in block
    assert "vérifiées il y a" not in block


def test_an_entry_never_verified_says_so(client, app):
    with app.app_context():
        rid = make_requis(verified_at=None).id
    assert "jamais vérifiées" in _verification(page_of(client, rid))


def test_search_results_and_cards_carry_the_verification_too(client, app):
    with app.app_context():
        make_requis(
            nom="Clinique vérifiée jadis",
            verified_at=utcnow() - timedelta(days=500),
            services=[make_service("dermatologie", couverture=["31"])],
        )
    departement = html.unescape(client.get("/departements/31/haute-garonne").get_data(as_text=True))
    assert "Vérification ancienne" in departement
    results = html.unescape(client.get("/recherche?q=dermatologie").get_data(as_text=True))
    assert "Vérification ancienne" in results


# --- « mise à jour » means a change of content --------------------------------------------------


def test_a_fresh_entry_shows_no_update_date(client, app):
    with app.app_context():
        rid = make_requis().id
    assert "mis à jour" not in page_of(client, rid)


def test_a_verification_or_a_contact_change_is_not_an_update(app):
    with app.app_context():
        requis = make_requis(contact_email="a@exemple.invalid")
        entry = entries.from_requis(requis)
        entry["contact"]["email"] = "b@exemple.invalid"
        entries.apply(requis, entry)
        requis.verified_at = utcnow()
        db.session.commit()
        assert requis.content_changed_at is None


def test_a_change_of_public_content_is_dated_on_the_fiche(client, app):
    with app.app_context():
        requis = make_requis(published_at=utcnow() - timedelta(days=30))
        entry = entries.from_requis(requis)
        entry["services"][0]["description"] = "Nouvelle description"
        entries.apply(requis, entry)
        db.session.commit()
        rid = requis.id
        assert requis.content_changed_at is not None
    assert f"Contenu mis à jour le {date_fr(utcnow())}" in page_of(client, rid)


def test_seeded_examples_show_no_update_date(client, app):
    from ato.directory import seeding

    with app.app_context():
        seeding.load_examples()
        db.session.commit()
        rid = db.session.scalar(db.select(Requis.id).where(Requis.est_exemple).limit(1))
    assert "mis à jour" not in page_of(client, rid)


# --- a closure, dated ----------------------------------------------------------------------------


def _closed(start_offset: int, end_offset: int | None, **fields):
    today = paris_day()
    return make_service(
        "dermatologie",
        couverture=["34"],
        nom="Dermatologie fermée",
        indisponible_du=today + timedelta(days=start_offset),
        indisponible_au=None if end_offset is None else today + timedelta(days=end_offset),
        indisponible_message="Congés d'hiver",
        canaux=(("teleo", "https://teleo.exemple.invalid/ferme"),),
        **fields,
    )


@pytest.fixture
def other_dermatology(app):
    with app.app_context():
        return make_requis(
            nom="Autre dermatologie",
            departement="34",
            ville="Sète",
            services=[make_service("dermatologie", couverture=["34"], nom="Derm Sète")],
        ).id


def test_a_closure_ahead_is_announced_and_the_service_stays_reachable(client, app):
    with app.app_context():
        rid = make_requis(departement="34", services=[_closed(15, 32)]).id
    page = page_of(client, rid)
    today = paris_day()
    from ato.web import periode_fr

    period = periode_fr(today + timedelta(days=15), today + timedelta(days=32))
    assert f"Fermeture prévue {period}." in page
    assert "Indisponible" not in page
    assert "https://teleo.exemple.invalid/ferme" in page


def test_during_a_closure_the_send_buttons_give_way_to_alternatives(client, app, other_dermatology):
    with app.app_context():
        rid = make_requis(departement="34", services=[_closed(-2, 10)]).id
    page = page_of(client, rid)
    end = paris_day() + timedelta(days=10)
    assert f"Indisponible jusqu'au {date_fr(end)}." in page
    assert "Congés d'hiver" in page
    assert "https://teleo.exemple.invalid/ferme" not in page
    assert f'href="/requis/{other_dermatology}/autre-dermatologie"' in page
    assert "qui acceptent les demandes de l'Hérault" in page


def test_an_open_ended_closure_says_until_further_notice(client, app):
    with app.app_context():
        rid = make_requis(departement="34", services=[_closed(0, None)]).id
    assert "Indisponible jusqu'à nouvel ordre." in page_of(client, rid)


def test_after_its_closure_a_service_is_available_again_by_itself(client, app):
    with app.app_context():
        rid = make_requis(departement="34", services=[_closed(-20, -1)]).id
    page = page_of(client, rid)
    assert "Indisponible" not in page and "Fermeture prévue" not in page
    assert "https://teleo.exemple.invalid/ferme" in page


def test_alternatives_are_open_services_of_the_specialty_for_the_same_departements(app):
    from ato.directory import services

    with app.app_context():
        closed = make_requis(departement="34", services=[_closed(-1, 5)]).services[0]
        make_requis(
            nom="Autre spécialité", services=[make_service("cardiologie", couverture=["34"])]
        )
        make_requis(nom="Ailleurs", services=[make_service("dermatologie", couverture=["12"])])
        make_requis(nom="Fermée aussi", services=[_closed(-1, 5)])
        make_requis(nom="Régionale", services=[make_service("dermatologie", couverture="region")])
        make_requis(nom="Héraultaise", services=[make_service("dermatologie", couverture=["34"])])
        found = services.alternatives(closed, paris_day())
        assert [s.requis.nom for s in found] == ["Héraultaise", "Régionale"]


def test_a_departement_page_lists_services_closed_today_last(client, app):
    with app.app_context():
        make_requis(nom="AAA fermée", departement="34", services=[_closed(-1, 3)])
        make_requis(
            nom="ZZZ ouverte",
            departement="34",
            services=[make_service("dermatologie", couverture=["34"])],
        )
        make_requis(nom="BBB bientôt fermée", departement="34", services=[_closed(2, 3)])
    page = html.unescape(client.get("/departements/34/herault").get_data(as_text=True))
    order = [page.index(n) for n in ("BBB bientôt fermée", "ZZZ ouverte", "AAA fermée")]
    assert order == sorted(order)
    card = page[page.index("AAA fermée") :]
    card = card[: card.index("</article>")]
    assert "Indisponible jusqu'au" in card and "Adresser via" not in card


def test_the_database_refuses_a_closure_that_ends_before_it_starts(app):
    with app.app_context():
        requis = make_requis()
        service = requis.services[0]
        service.indisponible_du = paris_day()
        service.indisponible_au = paris_day() - timedelta(days=1)
        with pytest.raises(IntegrityError, match="indisponibilite_ordre"):
            db.session.commit()
        db.session.rollback()


def test_service_availability_is_a_matter_of_days():
    today = paris_day()
    service = Service(indisponible_du=today, indisponible_au=today)
    assert service.unavailable_on(today)
    assert not service.unavailable_on(today + timedelta(days=1))
    assert not service.unavailable_on(today - timedelta(days=1))
    assert service.closure_ahead(today - timedelta(days=1))
    assert not Service().unavailable_on(today)


# --- départements with their article ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "avec", "de", "dans"),
    [
        ("31", "la Haute-Garonne", "de la Haute-Garonne", "en Haute-Garonne"),
        ("34", "l'Hérault", "de l'Hérault", "dans l'Hérault"),
        ("32", "le Gers", "du Gers", "dans le Gers"),
        (
            "66",
            "les Pyrénées-Orientales",
            "des Pyrénées-Orientales",
            "dans les Pyrénées-Orientales",
        ),
        ("09", "l'Ariège", "de l'Ariège", "dans l'Ariège"),
        ("48", "la Lozère", "de la Lozère", "en Lozère"),
    ],
)
def test_a_departement_is_named_with_its_article(app, code, avec, de, dans):
    with app.app_context():
        dep = db.session.get(Departement, code)
        assert (dep.avec_article, dep.de, dep.dans) == (avec, de, dans)


def test_the_fiche_links_to_other_recourses_with_the_article(client, app):
    with app.app_context():
        rid = make_requis(departement="34").id
    assert "Autres recours dans l'Hérault" in page_of(client, rid)


# --- French -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "title"), [(1, "1 service de télé-expertise"), (2, "2 services de télé-expertise")]
)
def test_the_fiche_counts_its_services_in_good_french(client, app, count, title):
    with app.app_context():
        rid = make_requis(services=[make_service() for _ in range(count)]).id
    assert f">{title}</h2>" in page_of(client, rid)


def test_each_kind_of_tool_gets_its_own_phrase(client, app):
    with app.app_context():
        rid = make_requis(
            services=[
                make_service(
                    canaux=(
                        ("teleo", "https://teleo.exemple.invalid/x"),
                        ("formulaire", "https://formulaire.exemple.invalid/x"),
                        ("mssante", "avis@exemple.mssante.fr"),
                        ("telephone", "05 61 00 00 00"),
                    )
                )
            ]
        ).id
    page = re.sub(r"\s+", " ", page_of(client, rid))
    assert "Adresser via TéléO" in page
    assert "Remplir le formulaire en ligne" in page and "Adresser via Formulaire" not in page
    assert "Écrire par messagerie sécurisée (MSSanté)" in page
    assert 'Appeler le</span> <span class="canal-address">05 61 00 00 00' in page


@pytest.mark.parametrize(("count", "words"), [(1, "1 résultat"), (2, "2 résultats")])
def test_search_results_are_counted_in_good_french(client, app, count, words):
    with app.app_context():
        for _ in range(count):
            make_requis(services=[make_service("rhumatologie", nom="Rhumatologie")])
    page = client.get("/recherche?q=rhumatologie").get_data(as_text=True)
    assert f">{words} pour" in page


def test_no_page_writes_an_optional_plural_or_gender():
    """« situé(s) », « inconnu(e) » and the like: every count goes through one helper. Templates
    are read whole; Python files, their string literals only."""
    import io
    import tokenize
    from pathlib import Path

    pattern = re.compile(r"\w\((s|e|es|aux)\)")
    root = Path(__file__).parents[2]
    found = []
    for path in [*(root / "templates").rglob("*.*"), *(root / "ato").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            tokens = tokenize.generate_tokens(io.StringIO(text).readline)
            texts = [t.string for t in tokens if t.type == tokenize.STRING]
        else:
            texts = text.splitlines()
        found += [
            f"{path.relative_to(root)}: {t.strip()[:80]}"
            for t in texts
            if pattern.search(t.replace("http(s)", ""))
        ]
    assert found == []
