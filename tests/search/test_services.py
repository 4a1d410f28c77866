"""Search behaviour against a real Whoosh index and the database."""

import contextlib
import gc
import multiprocessing
import os
import random
import shutil
import threading
import warnings
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from whoosh.writing import SegmentWriter

from ato import create_app
from ato.directory.models import Canal, Departement, Requis, Service, Statut
from ato.extensions import db
from ato.search import sync
from ato.search.index import SearchIndex
from ato.search.models import SearchMiss
from ato.search.services import (
    Filters,
    SearchParams,
    matching_requis,
    search,
    sql_facet_counts,
)
from tests.factories import make_requis, make_service

pytestmark = pytest.mark.usefixtures("app_ctx")


@contextlib.contextmanager
def unusable_index(tmp_path):
    """The index folder sits where a file is: the index cannot be opened or rebuilt."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    index = sync.get_index()
    old_root, old_link = index.root, index.link
    sync.mark_unready()
    index.root, index.link = str(blocker / "search"), str(blocker / "search" / "current")
    try:
        yield
    finally:
        index.root, index.link = old_root, old_link
        sync.mark_unready()


def names(results):
    return {s.requis.nom for s in results.services}


@pytest.fixture
def corpus():
    make_requis(
        nom="CHU fictif de Toulouse",
        departement="31",
        services=[
            make_service(
                "pediatrie",
                couverture=["31"],
                nom="Service de pédiatrie",
                description="Avis sur les enfants atteints de maladies chroniques.",
            ),
            make_service(
                "dermatologie",
                couverture=["31", "32"],
                nom="Télédermatologie",
                thematiques=("plaies-et-cicatrisation",),
                description="Lésions cutanées, ulcères de jambe et plaies chroniques.",
            ),
        ],
    )
    make_requis(
        nom="CH fictif de Béziers",
        departement="34",
        ville="Béziers",
        services=[
            make_service(
                "cardiologie",
                couverture="region",
                nom="Cardiologie",
                description="Lecture d'électrocardiogrammes et insuffisance cardiaque.",
                canaux=(("omnidoc", "https://omnidoc.exemple.invalid/b"),),
            )
        ],
    )
    make_requis(
        nom="Équipe fictive de Montpellier",
        departement="34",
        ville="Montpellier",
        services=[
            make_service(
                "geriatrie",
                couverture=["34"],
                nom="Équipe mobile",
                thematiques=("soins-palliatifs",),
                description="Accompagnement de fin de vie en EHPAD.",
            )
        ],
    )
    make_requis(
        nom="Dr Exemple pédopsychiatre",
        nature="liberal",
        departement="66",
        ville="Perpignan",
        services=[
            make_service(
                "pedopsychiatrie",
                couverture=["66"],
                nom="Pédopsychiatrie libérale",
                description="Troubles du neurodéveloppement.",
            )
        ],
    )


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("pediatrie", "CHU fictif de Toulouse"),
        ("PÉDIATRIE", "CHU fictif de Toulouse"),
        ("ulcere", "CHU fictif de Toulouse"),
        ("plaies chroniques", "CHU fictif de Toulouse"),
        ("dermato", "CHU fictif de Toulouse"),
        ("cardio", "CH fictif de Béziers"),
        ("electrocardiogramme", "CH fictif de Béziers"),
        ("pedopsy", "Dr Exemple pédopsychiatre"),
        ("geriatrie", "Équipe fictive de Montpellier"),
        ("fin de vie", "Équipe fictive de Montpellier"),
        ("ehpad", "Équipe fictive de Montpellier"),
        ("cardiol", "CH fictif de Béziers"),
        ("pedop", "Dr Exemple pédopsychiatre"),
        ("neurodevelop", "Dr Exemple pédopsychiatre"),
    ],
)
def test_words_reach_the_right_recourse(corpus, q, expected):
    results = search(SearchParams(q=q))
    assert results.engine == "index"
    assert expected in names(results)


def test_words_must_all_match(corpus):
    assert names(search(SearchParams(q="cardio pediatrie"))) == set()


@pytest.mark.parametrize(
    "params",
    [
        SearchParams(q="dermato gers"),
        SearchParams(q="cardio lozere"),
        SearchParams(q="fin de vie"),
        SearchParams(departement="34", situe=True),
        SearchParams(departement="34"),
        SearchParams(specialite="soins-palliatifs"),
        SearchParams(type="liberal"),
        SearchParams(outil="omnidoc"),
        SearchParams(q="le la"),
        SearchParams(q="cardio pediatrie"),
    ],
)
def test_matching_requis_are_those_whose_services_the_search_lists(corpus, params):
    listed = {s.requis_id for s in search(params).services}
    assert matching_requis(params) == listed
    with_sql = {s.requis_id for s in search(params, sql_only=True).services}
    if not params.q:  # filters alone: SQL agrees
        assert with_sql == listed


def test_matching_requis_falls_back_to_sql_without_an_index(app, corpus, tmp_path):
    with unusable_index(tmp_path):
        found = matching_requis(SearchParams(q="insuffisance"))
    assert {db.session.get(Requis, i).nom for i in found} == {"CH fictif de Béziers"}


def test_place_word_filters_on_departements_accepting_requests(corpus):
    results = search(SearchParams(q="dermato gers"))
    assert results.departement == "32"
    assert names(results) == {"CHU fictif de Toulouse"}
    assert search(SearchParams(q="dermato aude")).total == 0


def test_regional_recourses_answer_every_departement(corpus):
    assert names(search(SearchParams(q="cardio lozere"))) == {"CH fictif de Béziers"}
    located = search(SearchParams(q="cardio lozere", situe=True))
    assert located.total == 0


def test_typo_gets_a_suggestion_not_silent_results(corpus):
    results = search(SearchParams(q="cardiolgie"))
    assert results.total == 0
    assert results.suggestion == "cardiologie"
    assert search(SearchParams(q=results.suggestion)).total == 1


def test_no_silent_fuzzy_match(corpus):
    assert search(SearchParams(q="dental")).total == 0


def test_filter_that_matches_nothing_reports_zero_not_the_unfiltered_total(corpus):
    # Regression: Whoosh's search(q, filter=F) reports the unfiltered total when F is empty.
    results = search(SearchParams(q="cardio", type="dispositif"))
    assert results.total == 0 and results.services == []


def test_unpublished_entry_disappears_from_results_at_once(app, corpus):
    assert "CH fictif de Béziers" in names(search(SearchParams(q="cardio")))
    db.session.rollback()  # a new request
    requis = db.session.scalar(select(Requis).where(Requis.nom == "CH fictif de Béziers"))
    requis.statut = Statut.ARCHIVEE
    db.session.commit()
    assert search(SearchParams(q="cardio")).total == 0
    assert sync.check() == {"manquants": [], "en_trop": [], "differents": []}


def test_published_entry_is_searchable_at_once(corpus):
    search(SearchParams(q="cardio"))  # the index exists
    make_requis(nom="Nouvelle clinique fictive", services=[make_service("rhumatologie")])
    assert names(search(SearchParams(q="rhumato"))) == {"Nouvelle clinique fictive"}


def test_rebuild_gives_the_same_results_as_incremental_updates(corpus):
    queries = ["cardio", "pediatrie", "plaie", "fin de vie", "toulouse", "pedopsy lozere"]
    sync.ensure_ready()  # the index exists before the writers start
    make_requis(
        nom="Ajout fictif",
        departement="12",
        ville="Rodez",
        services=[make_service("cardiologie", couverture=["12"])],
    )
    incremental = {
        q: (search(SearchParams(q=q)).total, names(search(SearchParams(q=q)))) for q in queries
    }
    sync.rebuild()
    rebuilt = {
        q: (search(SearchParams(q=q)).total, names(search(SearchParams(q=q)))) for q in queries
    }
    assert incremental == rebuilt


def test_a_failed_index_write_is_caught_up_later(app, corpus, monkeypatch):
    search(SearchParams(q="cardio"))

    def broken(*args, **kwargs):
        raise OSError("disque plein")

    monkeypatch.setattr(SearchIndex, "apply", broken)
    make_requis(nom="Clinique fictive en attente", services=[make_service("rhumatologie")])
    assert sync.pending_count() == 1
    monkeypatch.undo()
    assert names(search(SearchParams(q="rhumato"))) == {"Clinique fictive en attente"}
    assert sync.pending_count() == 0


def test_a_writer_waits_for_the_lock_instead_of_failing(app, corpus):
    search(SearchParams(q="cardio"))
    index = sync.get_index()
    from whoosh import index as windex

    holder = SegmentWriter(windex.open_dir(os.path.realpath(index.link)))
    released = threading.Timer(0.5, holder.cancel)
    released.start()
    make_requis(nom="Clinique fictive patiente", services=[make_service("rhumatologie")])
    released.join()
    assert sync.pending_count() == 0
    assert names(search(SearchParams(q="rhumato"))) == {"Clinique fictive patiente"}


def test_reopened_searcher_sees_a_commit_from_another_process_view(app, corpus):
    # Regression: Searcher.refresh() in whoosh-reloaded 2.7.5 may keep stale segments.
    assert search(SearchParams(q="cardio")).total == 1
    other = SearchIndex(app.config["ATO_SEARCH_INDEX_PATH"])  # another worker's handle
    requis = db.session.scalar(select(Requis).where(Requis.nom == "CH fictif de Béziers"))
    from ato.search.documents import load_documents

    with db.engine.connect() as conn:
        docs = list(load_documents(conn, [requis.id]))
    other.apply([requis.id], list)  # removed by the other handle
    assert search(SearchParams(q="cardio")).total == 0
    other.apply([requis.id], lambda: docs)
    assert search(SearchParams(q="cardio")).total == 1


def test_deleted_index_directory_is_survived(app, corpus):
    assert search(SearchParams(q="cardio")).total == 1
    shutil.rmtree(app.config["ATO_SEARCH_INDEX_PATH"])
    results = search(SearchParams(q="cardio"))
    assert results.total == 1 and results.engine == "index"


def test_corrupt_index_is_rebuilt(app, corpus):
    search(SearchParams(q="cardio"))
    sync.mark_unready()
    target = os.path.realpath(os.path.join(app.config["ATO_SEARCH_INDEX_PATH"], "current"))
    for name in os.listdir(target):
        with open(os.path.join(target, name), "wb") as handle:
            handle.write(b"garbage")
    with warnings.catch_warnings():
        # Whoosh leaves the unreadable file open on its error path; collect it here.
        warnings.simplefilter("ignore", ResourceWarning)
        assert search(SearchParams(q="cardio")).total == 1
        gc.collect()


def test_stale_index_is_rebuilt_at_start(app, corpus):
    search(SearchParams(q="cardio"))
    sync.get_index().apply(list(db.session.scalars(select(Requis.id))), list)
    sync.mark_unready()  # a new worker starts
    assert search(SearchParams(q="cardio")).total == 1


def test_unusable_index_falls_back_to_sql_and_logs(app, corpus, caplog, tmp_path):
    with unusable_index(tmp_path):
        results = search(SearchParams(q="insuffisance"))
    assert results.engine == "sql-secours"
    assert names(results) == {"CH fictif de Béziers"}
    assert "index indisponible" in caplog.text


def test_index_holds_nothing_private(app, corpus):
    make_requis(
        nom="Privé fictif",
        contact_email="secret.contact@exemple.invalid",
        services=[make_service("rhumatologie")],
    )
    search(SearchParams(q="rhumato"))
    with sync.get_index().searcher() as (searcher, _):
        stored = {name for name, field in searcher.schema.items() if field.stored}
        assert stored == {"id"}
        assert ("mots", "secret") not in searcher.reader()
    pending = make_requis(
        nom="Fiche fictive en attente", statut="en_attente", services=[make_service("rhumatologie")]
    )
    assert pending.id
    assert names(search(SearchParams(q="attente"))) == set()


def _random_filters(rng, codes):
    return Filters(
        departements=rng.choice([(), *((c,) for c in codes), tuple(rng.sample(codes, 2))]),
        situe=rng.random() < 0.3,
        specialite=rng.choice([None, "dermatologie", "cardiologie", "avc", "geriatrie"]),
        type=rng.choice([None, "etablissement", "liberal", "dispositif"]),
        outil=rng.choice([None, "teleo", "mssante", "omnidoc"]),
    )


def _specialites(service):
    return {service.specialite.slug} | {t.slug for t in service.thematiques}


def _expected_counts(services, departements, f):
    """Total and facet counts for the filters ``f``, worked out in Python one service at a time.

    Independent of both the index and the SQL it checks: published services only;
    a département filter keeps the services located there (``situe``) or accepting
    requests from there (region-wide ones included); each dimension is counted with
    the *other* filters only, and a service counts once per value.
    """

    def passes(service, skip=None):
        if skip != "departement" and f.departements:
            if f.situe:
                if service.requis.departement_code not in f.departements:
                    return False
            elif not service.couverture_regionale and not (
                {d.code for d in service.departements} & set(f.departements)
            ):
                return False
        if skip != "specialite" and f.specialite and f.specialite not in _specialites(service):
            return False
        if skip != "type" and f.type and service.requis.nature.value != f.type:
            return False
        return not (
            skip != "outil" and f.outil and f.outil not in {c.outil.slug for c in service.canaux}
        )

    counts = {dimension: Counter() for dimension in ("departement", "specialite", "type", "outil")}
    for service in services:
        if passes(service, "departement"):
            if f.situe:
                counts["departement"][service.requis.departement_code] += 1
            elif service.couverture_regionale:
                counts["departement"].update(departements)
            else:
                counts["departement"].update({d.code for d in service.departements})
        if passes(service, "specialite"):
            counts["specialite"].update(_specialites(service))
        if passes(service, "type"):
            counts["type"][service.requis.nature.value] += 1
        if passes(service, "outil"):
            counts["outil"].update({c.outil.slug for c in service.canaux})
    return sum(passes(service) for service in services), counts


def test_facet_counts_equal_sql_counts_for_random_filters():
    rng = random.Random(7)
    codes = ["09", "11", "12", "30", "31", "34", "48", "66"]
    for i in range(30):
        nature = rng.choice(["etablissement", "liberal", "dispositif"])
        make_requis(
            nom=f"Fictif {i}",
            nature=nature,
            departement=rng.choice(codes),
            commit=False,
            statut=rng.choice(["publiee", "publiee", "publiee", "archivee"]),
            services=[
                make_service(
                    rng.choice(["dermatologie", "cardiologie", "geriatrie"]),
                    couverture="region"
                    if rng.random() < 0.2
                    else rng.sample(codes, rng.randint(1, 3)),
                    thematiques=tuple(rng.sample(["avc", "soins-palliatifs"], rng.randint(0, 1))),
                    canaux=tuple(
                        rng.sample(
                            [
                                ("teleo", "https://t.exemple.invalid"),
                                ("mssante", "a@b.mssante.fr"),
                                ("omnidoc", "https://o.exemple.invalid"),
                            ],
                            rng.randint(1, 2),
                        )
                    ),
                )
                for _ in range(rng.randint(1, 2))
            ],
        )
    db.session.commit()
    published = db.session.scalars(
        select(Service)
        .join(Service.requis)
        .where(Requis.statut == Statut.PUBLIEE)
        .options(
            selectinload(Service.requis),
            selectinload(Service.departements),
            selectinload(Service.thematiques),
            selectinload(Service.specialite),
            selectinload(Service.canaux).selectinload(Canal.outil),
        )
    ).all()
    every_departement = list(db.session.scalars(select(Departement.code)))
    for _ in range(25):
        f = _random_filters(rng, codes)
        expected_total, expected_counts = _expected_counts(published, every_departement, f)
        reference = sql_facet_counts(f)  # the reference the index path must agree with
        for dimension, expected in expected_counts.items():
            assert {k: v for k, v in reference[dimension].items() if v} == expected, (
                f,
                dimension,
            )
        params = SearchParams(
            q=" ".join(f.departements) if len(f.departements) > 1 else "",  # place words
            departement=f.departements[0] if len(f.departements) == 1 else None,
            situe=f.situe,
            specialite=f.specialite,
            type=f.type,
            outil=f.outil,
        )
        from_index = search(params)
        from_sql = search(params, sql_only=True)
        assert from_sql.engine == "sql" and from_index.engine == "index"
        assert from_sql.total == expected_total, f
        assert from_index.total == from_sql.total, f
        for dimension in ("departement", "specialite", "type", "outil"):
            index_counts = {k: v for k, v in from_index.counts[dimension].items() if v}
            sql_counts = {k: v for k, v in from_sql.counts[dimension].items() if v}
            assert index_counts == sql_counts, (f, dimension)


def test_zero_result_queries_are_counted_without_personal_data(client, corpus):
    for _ in range(3):
        assert (
            client.get("/recherche?q=Neurochirurgie+pédiatrique&departement=48").status_code == 200
        )
    db.session.rollback()
    miss = db.session.scalars(select(SearchMiss)).one()
    assert miss.count == 3
    assert miss.terms == "neurochirurgie pediatrie"  # synonyms grouped under their specialty
    assert miss.filters == "departement=48"
    assert {c.name for c in SearchMiss.__table__.columns} == {
        "id",
        "terms",
        "filters",
        "count",
        "first_at",
        "last_at",
    }


def _update_in_process(config, instance_path, offset):  # noqa: ANN001
    from tests.factories import FinessFactory

    os.environ["ATO_INSTANCE_PATH"] = instance_path
    FinessFactory.reset_sequence(100_000 + offset * 1000)  # distinct FINESS per process
    app = create_app(config)
    with app.app_context():
        for i in range(10):
            make_requis(
                nom=f"Concurrent {offset + i}",
                services=[make_service("neurologie", description=f"lot{offset}")],
            )


def test_two_processes_updating_the_index_concurrently_lose_nothing(app, app_config, instance_path):
    sync.ensure_ready()  # the index exists before the writers start
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_update_in_process, args=(app_config, instance_path, n * 100))
        for n in range(2)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    sync.catch_up()  # a change committed while another process held the catch-up lock
    assert sync.pending_count() == 0
    assert search(SearchParams(q="neurologie")).total == 20
    assert sync.check() == {"manquants": [], "en_trop": [], "differents": []}


def test_name_and_specialty_matches_rank_before_description_matches():
    make_requis(
        nom="Aaa fictif",
        services=[make_service("geriatrie", description="Avis de cardiologie pour les résidents.")],
    )
    make_requis(nom="Zzz fictif", services=[make_service("cardiologie")])
    make_requis(nom="Mmm fictif cardiologie", services=[make_service("neurologie")])
    results = search(SearchParams(q="cardiologie"))
    order = [s.requis.nom for s in results.services]
    assert order[-1] == "Aaa fictif"  # description only: last tier
    assert set(order[:2]) == {"Zzz fictif", "Mmm fictif cardiologie"}
    by_name = search(SearchParams(q="cardiologie", tri="nom"))
    assert [s.requis.nom for s in by_name.services][0] == "Aaa fictif"
