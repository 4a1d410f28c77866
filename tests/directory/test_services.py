"""Counts and lists computed by the directory services."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from ato.core.models import utcnow
from ato.directory import services
from ato.directory.models import Departement, Requis, Specialite, Statut
from ato.extensions import db
from tests.factories import make_requis, make_service

pytestmark = pytest.mark.usefixtures("app_ctx")

SPECS = ["dermatologie", "cardiologie", "neurologie", "geriatrie", "pediatrie"]
TAGS = ["avc", "plaies-et-cicatrisation", "soins-palliatifs"]


@pytest.fixture
def random_directory():
    rng = random.Random(20261122)
    codes = [d.code for d in db.session.scalars(select(Departement))]
    for i in range(40):
        svcs = []
        for _ in range(rng.randint(1, 3)):
            regional = rng.random() < 0.2
            svcs.append(
                make_service(
                    rng.choice(SPECS),
                    couverture="region" if regional else rng.sample(codes, rng.randint(1, 4)),
                    thematiques=tuple(rng.sample(TAGS, rng.randint(0, 2))),
                )
            )
        make_requis(
            nom=f"R{i}",
            departement=rng.choice(codes),
            commit=False,
            statut=rng.choice(["publiee"] * 4 + ["en_attente", "archivee"]),
            services=svcs,
        )
    db.session.commit()


def _published():
    return db.session.scalars(select(Requis).where(Requis.statut == Statut.PUBLIEE)).unique().all()


def test_departement_counts_equal_a_direct_count(random_directory):
    expected = {}
    for dep in db.session.scalars(select(Departement)):
        expected[dep.code] = sum(
            1 for r in _published() if any(s.accepts_from(dep.code) for s in r.services)
        )
    counts = services.departement_counts()
    assert {c: counts.get(c, 0) for c in expected} == expected
    assert any(expected.values())


def test_specialty_counts_equal_a_direct_count(random_directory):
    expected = {}
    for spec in db.session.scalars(select(Specialite)):
        n = sum(
            1
            for r in _published()
            if any(s.specialite_id == spec.id or spec in s.thematiques for s in r.services)
        )
        if n:
            expected[spec.id] = n
    assert services.specialite_counts() == expected


def test_key_figures_count_only_published_entries(random_directory):
    figures = services.key_figures()
    published = _published()
    assert figures.recours == len(published)
    assert figures.services == sum(len(r.services) for r in published)
    assert figures.par_nature["etablissement"] == len(published)


def test_counts_ignore_unpublished_entries():
    make_requis(statut="en_attente", services=[make_service("dermatologie", couverture="region")])
    assert services.departement_counts() == {}
    assert services.specialite_counts() == {}
    assert services.key_figures().recours == 0


def test_recence_counts_published_entries_verified_within_twelve_months():
    now = utcnow()
    make_requis(verified_at=now - timedelta(days=10))
    make_requis(verified_at=now - timedelta(days=364))
    make_requis(verified_at=now - timedelta(days=366))
    make_requis(verified_at=None)
    make_requis(statut="en_attente", verified_at=now)
    result = services.recence(now)
    assert (result.verifiees, result.publiees) == (2, 4)
    assert result.taux == 0.5


def test_recence_rate_is_undefined_for_an_empty_directory():
    assert services.recence().taux is None


def test_departement_list_puts_located_recourses_first():
    make_requis(nom="A régional", departement="09", services=[make_service(couverture="region")])
    make_requis(nom="B voisin", departement="32", services=[make_service(couverture=["31", "32"])])
    make_requis(nom="C local", departement="31", services=[make_service(couverture=["31"])])
    (group,) = services.services_for_departement("31")
    assert [s.requis.nom for s in group.services] == ["C local", "B voisin", "A régional"]


@pytest.mark.parametrize("text", ["%", "_", "\\", "100%_\\"])
def test_word_filter_treats_like_wildcards_literally(text):
    make_requis(nom="Clinique ordinaire")
    query = services.filter_words(services.published(), [text])
    assert db.session.scalars(query).all() == []
    assert db.session.scalars(services.filter_words(services.published(), ["ordin"])).all()


def test_specialties_are_listed_in_french_alphabetical_order():
    labels = [s.libelle for s in services.specialites()]
    assert labels.index("Pédiatrie") < labels.index("Psychiatrie")
    assert labels.index("Néphrologie") < labels.index("Neurologie")
