"""Live statistics of the directory equal direct SQL counts, before and after (un)publishing."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from ato.directory.models import Requis, Statut
from ato.extensions import db
from ato.reports import figures, services
from tests.factories import make_requis, make_service
from tests.reports.conftest import html_cell_value, html_table


@pytest.fixture
def directory(app):
    with app.app_context():
        cardio = make_service("cardiologie", couverture=["34", "30"])
        plaies = ("plaies-et-cicatrisation",)
        dermato = make_service("dermatologie", couverture=["34"], thematiques=plaies)
        palliatif = make_service(
            "geriatrie", couverture=["65", "32"], thematiques=("soins-palliatifs",)
        )
        ids = {
            "a": make_requis(departement="34", services=[cardio, dermato]).id,
            "b": make_requis(nature="liberal", departement="31").id,  # dermatologie, region-wide
            "c": make_requis(
                nature="dispositif", departement="65", finess=None, services=[palliatif]
            ).id,
            "en_attente": make_requis(statut="en_attente", departement="11").id,
            "archivee": make_requis(statut="archivee", departement="11").id,
        }
    return ids


def sql_by_nature():
    rows = db.session.execute(
        text("SELECT nature, count(*) FROM requis WHERE statut = 'publiee' GROUP BY nature")
    ).all()
    return dict(rows)


def sql_located():
    rows = db.session.execute(
        text(
            "SELECT departement_code, count(*) FROM requis WHERE statut = 'publiee' "
            "GROUP BY departement_code"
        )
    ).all()
    return dict(rows)


def sql_accepting(code):
    return db.session.execute(
        text(
            "SELECT count(DISTINCT r.id) FROM requis r JOIN service s ON s.requis_id = r.id "
            "WHERE r.statut = 'publiee' AND (s.couverture_regionale OR EXISTS ("
            " SELECT 1 FROM service_departement sd WHERE sd.service_id = s.id"
            " AND sd.departement_code = :code))"
        ),
        {"code": code},
    ).scalar()


def sql_by_specialty():
    rows = db.session.execute(
        text(
            "SELECT sp.libelle, count(DISTINCT r.id) FROM requis r "
            "JOIN service s ON s.requis_id = r.id "
            "JOIN specialite sp ON sp.id = s.specialite_id "
            "OR sp.id IN (SELECT specialite_id FROM service_thematique st"
            " WHERE st.service_id = s.id) "
            "WHERE r.statut = 'publiee' GROUP BY sp.libelle"
        )
    ).all()
    return dict(rows)


def page_tables(client):
    html = client.get("/rapports/annuaire-ato").get_data(as_text=True)

    def rows(chart):
        return [[html_cell_value(c) for c in r] for r in html_table(html, f"g-{chart}-tableau")[1:]]

    return rows


def assert_page_equals_sql(app, client):
    rows = page_tables(client)
    with app.app_context():
        by_nature = sql_by_nature()
        labels = {"Établissement de santé": "etablissement", "Professionnel libéral": "liberal",
                  "Dispositif de coordination ou régional": "dispositif"}  # fmt: skip
        assert {labels[r[0]]: r[1] for r in rows("recours-par-nature")} == {
            k: by_nature.get(k, 0) for k in labels.values()
        }
        located = sql_located()
        for code, _name, situes, acceptent in rows("recours-par-departement"):
            code = f"{code:02}" if not isinstance(code, str) else code
            assert situes == located.get(code, 0), code
            assert acceptent == sql_accepting(code), code
        assert {r[0]: r[2] for r in rows("recours-par-specialite")} == sql_by_specialty()
        total = sum(by_nature.values())
        assert rows("publications-par-mois")[-1][2] == total
        comparison = rows("comparaison-fin-2023")
        assert comparison[0][2] == total and comparison[0][3] == total - 97


def test_live_statistics_equal_sql_counts_after_publish_and_unpublish(
    app, client, seeded, directory
):
    assert_page_equals_sql(app, client)
    with app.app_context():
        db.session.get(Requis, directory["a"]).statut = Statut.ARCHIVEE
        pending = db.session.get(Requis, directory["en_attente"])
        pending.statut, pending.published_at = Statut.PUBLIEE, datetime.now(UTC)
        db.session.commit()
    assert_page_equals_sql(app, client)


def test_months_are_counted_in_paris_time_with_empty_months_and_a_running_total(app):
    with app.app_context():
        make_requis(published_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))  # 1 February in Paris
        make_requis(published_at=datetime(2026, 4, 10, 9, 0, tzinfo=UTC))
        make_requis(statut="archivee", published_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
        months = services.publications_par_mois(datetime(2026, 5, 2, tzinfo=UTC))
    assert [(m.cle, m.nouvelles, m.cumul) for m in months] == [
        ("2026-02", 1, 1), ("2026-03", 0, 1), ("2026-04", 1, 2), ("2026-05", 0, 2),
    ]  # fmt: skip


def test_recence_rate_counts_published_entries_verified_within_12_months(app, client, seeded):
    now = datetime.now(UTC)
    with app.app_context():
        make_requis(verified_at=now - timedelta(days=30))
        make_requis(verified_at=now - timedelta(days=400))
        make_requis(verified_at=None)
        make_requis(statut="en_attente", verified_at=now)
        expected = db.session.scalar(
            select(func.count()).where(
                Requis.statut == Statut.PUBLIEE, Requis.verified_at >= now - timedelta(days=365)
            )
        )
    html = client.get("/rapports/annuaire-ato/recence").get_data(as_text=True)
    row = html_table(html, "g-recence-tableau")[1]
    assert [html_cell_value(c) for c in row] == [3, expected, html_cell_value("33,3")]


def test_the_comparison_with_end_2023_disappears_with_its_sourced_figure(app, client, seeded):
    from ato.reports.models import Indicateur

    assert "g-comparaison-fin-2023-tableau" in client.get("/rapports/annuaire-ato").get_data(
        as_text=True
    )
    with app.app_context():
        item = db.session.scalars(
            select(Indicateur).where(Indicateur.cle == "ato-2023-recours")
        ).one()
        services.set_indicateur_publie(item, False, None)
        db.session.commit()
        assert services.comparaison(figures.live_figure("comparaison-fin-2023").lignes) is None
    html = client.get("/rapports/annuaire-ato").get_data(as_text=True)
    assert "g-comparaison-fin-2023-tableau" not in html
    assert "recours répertoriés fin 2023" not in html


def test_the_supply_matrix_equals_a_direct_count(app, seeded, directory):
    with app.app_context():
        matrice = services.matrice_specialites()
        for spec, cells in matrice.lignes:
            for dep in matrice.departements:
                expected = db.session.execute(
                    text(
                        "SELECT count(DISTINCT r.id) FROM requis r "
                        "JOIN service s ON s.requis_id = r.id "
                        "WHERE r.statut = 'publiee' "
                        "AND (s.specialite_id = :spec OR EXISTS (SELECT 1 FROM service_thematique"
                        " st WHERE st.service_id = s.id AND st.specialite_id = :spec)) "
                        "AND (s.couverture_regionale OR EXISTS (SELECT 1 FROM service_departement"
                        " sd WHERE sd.service_id = s.id AND sd.departement_code = :code))"
                    ),
                    {"spec": spec.id, "code": dep.code},
                ).scalar()
                assert cells.get(dep.code, 0) == expected, (spec.slug, dep.code)
        assert {s.slug for s, _ in matrice.lignes} >= {"cardiologie", "soins-palliatifs"}


def test_the_live_topic_page_runs_the_same_number_of_queries_whatever_the_directory_size(
    app, client, seeded, count_queries
):
    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/rapports/annuaire-ato").status_code == 200
        return counter.count

    with app.app_context():
        for _ in range(3):
            make_requis(services=[make_service("cardiologie", couverture=["31", "34"])])
    small = queries()
    with app.app_context():
        for i in range(30):
            make_requis(
                nature="liberal" if i % 2 else "etablissement",
                departement=["09", "46", "81"][i % 3],
                services=[make_service("dermatologie", thematiques=("plaies-et-cicatrisation",))],
                commit=False,
            )
        db.session.commit()
    assert queries() == small


def test_publishing_a_dataset_without_values_is_refused_as_a_business_error(app, seeded):
    from ato.core.errors import DomainError
    from ato.reports.models import JeuDepartemental

    with app.app_context():
        jeu = db.session.scalars(
            select(JeuDepartemental).where(JeuDepartemental.cle == "teleo-2023-demandes-recues")
        ).one()
        with pytest.raises(DomainError, match="importez d'abord le fichier CSV"):
            services.set_jeu_publie(jeu, True, None)
        assert not jeu.publie
