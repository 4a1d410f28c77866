"""/admin/liens: broken links for staff, oldest failure first; closed to anyone else."""

from __future__ import annotations

from datetime import UTC, datetime

from ato.extensions import db
from ato.links import services
from tests.factories import make_requis, make_service


def test_the_page_is_refused_to_anonymous_visitors(client):
    response = client.get("/admin/liens")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_staff_see_broken_links_oldest_first(app, staff, web, links_config):
    with app.test_request_context():
        older = make_requis(
            nom="Centre ancien",
            services=[make_service(nom="Dermatologie", canaux=(("teleo", web.url("/absent")),))],
        )
        services.verify(now=datetime(2026, 11, 2, tzinfo=UTC))
        db.session.commit()
        make_requis(nom="Clinique récente", site_web=web.url("/boucle-a"), services=[])
        make_requis(nom="Clinique qui marche", site_web=web.url("/ok"), services=[])
        services.verify(now=datetime(2026, 12, 3, tzinfo=UTC))
        db.session.commit()
        older_id = older.id
    page = staff.get("/admin/liens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html[html.index('<table class="data-table">') :]
    assert html.index('class="table-scroll"') < html.index('<table class="data-table">')
    assert table.index("Centre ancien") < table.index("Clinique récente")
    assert "Clinique qui marche" not in table
    assert "réponse 404" in table and "boucle de redirections" in table
    assert "2 novembre 2026" in table and "3 décembre 2026" in table
    assert "Site web de la fiche" in table and "Dermatologie" in table
    assert f'/admin/fiches/{older_id}"' in table
    assert "<td>2</td>" in table  # consecutive failures of the older link
    assert 'aria-current="page">Liens indisponibles' in html


def test_the_page_runs_a_constant_number_of_queries(app, staff, web, links_config, count_queries):
    def measure() -> int:
        with count_queries() as counter:
            assert staff.get("/admin/liens").status_code == 200
        return counter.count

    with app.test_request_context():
        make_requis(site_web=web.url("/absent"))
        services.verify()
        db.session.commit()
    few = measure()
    with app.test_request_context():
        for i in range(4):
            make_requis(
                site_web=web.url(f"/absent?{i}"),
                services=[make_service(canaux=(("teleo", web.url(f"/nulle-part/{i}")),))],
            )
        services.verify()
        db.session.commit()
    assert measure() == few
