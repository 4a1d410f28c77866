"""A run over the published directory: results recorded, contacts told once, fiche flagged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ato.core.audit import Action, AuditEntry
from ato.extensions import db
from ato.links import services
from ato.links.models import LinkCheck, LinkNotice, LinkState
from ato.mail import services as mail
from ato.mail.models import OutboxMessage
from tests.factories import make_requis, make_service

FIRST_FAILURE = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
FLAG = "Lien signalé indisponible depuis le 3 décembre 2026"


def run(times: int = 1, start: datetime = FIRST_FAILURE) -> services.Summary:
    summary = None
    for day in range(times):
        summary = services.verify(now=start + timedelta(days=day))
        db.session.commit()
    return summary


def entry_with(web, tool_url: str, **fields):
    """A published entry whose service offers the checked tool link, then a working one."""
    service = make_service(
        canaux=(
            ("teleo", tool_url),
            ("omnidoc", web.url("/ok")),
            ("mssante", "avis@chu.mssante.fr"),
        )
    )
    return make_requis(services=[service], **fields)


def fiche(client, requis) -> str:
    return client.get(f"/requis/{requis.id}/{requis.slug}").get_data(as_text=True)


def test_the_plan_holds_each_published_web_address_once(app_ctx, web):
    shared = web.url("/ok")
    make_requis(services=[make_service(canaux=(("teleo", shared), ("formulaire", web.url("/f"))))])
    make_requis(
        services=[make_service(canaux=(("teleo", shared), ("telephone", "05 61 00 00 00")))],
        site_web=web.url("/site"),
    )
    make_requis(statut="en_attente", services=[make_service(canaux=(("teleo", web.url("/x")),))])
    plan = services.plan()
    assert sorted(plan.urls) == sorted([shared, web.url("/f"), web.url("/site")])
    assert len(plan.uses[shared]) == 2


def test_each_result_is_recorded_with_its_reason(app_ctx, web, links_config):
    make_requis(
        services=[
            make_service(canaux=(("teleo", web.url("/absent")), ("omnidoc", web.url("/ok"))))
        ],
        site_web=web.url("/boucle-a"),
    )
    summary = run()
    assert (summary.checked, summary.ok, summary.broken) == (3, 1, 2)
    links = {link.url: link for link in db.session.scalars(select(LinkCheck))}
    absent = links[web.url("/absent")]
    assert (absent.state, absent.http_status, absent.reason) == (
        LinkState.BROKEN,
        404,
        "réponse 404",
    )
    assert (absent.consecutive_failures, absent.failing_since) == (1, FIRST_FAILURE)
    assert links[web.url("/boucle-a")].reason == "boucle de redirections"
    ok = links[web.url("/ok")]
    assert (ok.state, ok.consecutive_failures, ok.failing_since) == (LinkState.OK, 0, None)


def test_an_unreachable_host_does_not_stop_the_run(app_ctx, web, links_config):
    make_requis(
        services=[make_service(canaux=(("teleo", "https://plateforme.invalid/demande"),))],
        site_web=web.url("/ok"),
    )
    run()
    states = dict(db.session.execute(select(LinkCheck.url, LinkCheck.reason)).all())
    assert states == {
        "https://plateforme.invalid/demande": "hôte introuvable",
        web.url("/ok"): None,
    }


def test_private_addresses_are_refused_when_not_allowed(app_ctx, web):
    make_requis(services=[make_service(canaux=(("teleo", web.url("/ok")),))])
    run()
    assert db.session.scalar(select(LinkCheck.reason)) == "adresse privée refusée"
    assert web.requests == []


def test_consecutive_failures_mail_the_contact_once_and_flag_the_fiche(
    app_ctx, app, client, web, links_config, smtp
):
    requis = entry_with(web, web.url("/absent"), contact_email="referent@chu.exemple.fr")
    run(2)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert FLAG not in fiche(client, requis)

    run(2, start=FIRST_FAILURE + timedelta(days=2))  # third and fourth failures
    mail.deliver_due()
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "referent@chu.exemple.fr"
    body = message.get_content()
    assert web.url("/absent") in body and "réponse 404" in body
    assert "3 décembre 2026" in body
    assert re.search(r"http://localhost/mise-a-jour/\S+", body), body
    assert "introuvable" not in body.replace("réponse 404", "")  # nothing the site sent

    page = fiche(client, requis)
    assert page.count(FLAG) == 1  # by the flagged channel; the summary offers the working one
    how_to = page[page.index('class="canaux"') :]
    # The working tool is offered first; the flagged one stays, marked, for who wants to try.
    assert how_to.index("Adresser via Omnidoc") < how_to.index("Adresser via TéléO")
    assert f'href="{web.url("/absent")}"' in how_to
    summary = page[page.index('class="send-list"') : page.index('class="canaux"')]
    assert "Adresser via Omnidoc" in summary and "TéléO" not in summary

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == Action.LIEN_SIGNALE))
    assert [(e.object_id, e.changes["lien"][1]) for e in entries] == [
        (requis.id, web.url("/absent"))
    ]


def test_a_link_that_works_again_clears_its_failures_and_its_flag(
    app_ctx, client, web, links_config, smtp
):
    requis = entry_with(web, web.url("/bascule"))
    run(3)
    assert FLAG in fiche(client, requis)
    assert db.session.scalar(select(func.count()).select_from(LinkNotice)) == 1

    web.toggle_status = 200
    summary = run(start=FIRST_FAILURE + timedelta(days=3))
    assert summary.recovered == 1
    link = db.session.scalar(select(LinkCheck).where(LinkCheck.url == web.url("/bascule")))
    assert (link.state, link.consecutive_failures, link.failing_since, link.reason) == (
        LinkState.OK,
        0,
        None,
        None,
    )
    assert FLAG not in fiche(client, requis)
    assert "Lien signalé" not in fiche(client, requis)
    assert db.session.scalar(select(func.count()).select_from(LinkNotice)) == 0

    web.toggle_status = 503  # a new failure episode: counted from one, told again
    run(3, start=FIRST_FAILURE + timedelta(days=10))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    assert "depuis le 13 décembre 2026" in fiche(client, requis)


def test_a_flagged_web_site_is_marked_on_the_fiche(app_ctx, client, web, links_config):
    requis = make_requis(site_web=web.url("/absent"))
    run(3)
    page = fiche(client, requis)
    site = page[page.index("<dt>Site web</dt>") : page.index("</dl>")]
    assert FLAG in site


def test_links_no_longer_published_are_forgotten(app_ctx, web, links_config):
    requis = make_requis(site_web=web.url("/absent"))
    run()
    requis.site_web = None
    db.session.commit()
    assert run().forgotten == 1
    assert web.url("/absent") not in db.session.scalars(select(LinkCheck.url)).all()


def test_the_command_checks_and_reports(app, runner, web, links_config):
    with app.app_context():
        make_requis(services=[make_service(canaux=(("teleo", web.url("/absent")),))])
    result = runner.invoke(args=["ato", "liens", "verifier"])
    assert result.exit_code == 0, result.output
    assert "1 lien vérifié" in result.output and "1 indisponible," in result.output
    with app.app_context():
        assert db.session.scalar(select(LinkCheck.reason)) == "réponse 404"


def test_the_command_mails_with_links_on_the_public_address(app, runner, web, links_config):
    app.config.update(ATO_LINKS_FAILURES_BEFORE_NOTICE=1, ATO_BASE_URL="https://ato.exemple.fr")
    try:
        with app.app_context():
            make_requis(site_web=web.url("/absent"))
        assert runner.invoke(args=["ato", "liens", "verifier"]).exit_code == 0
        with app.app_context():
            body = db.session.scalar(select(OutboxMessage.body))
    finally:
        app.config.update(ATO_BASE_URL="")
    assert "https://ato.exemple.fr/mise-a-jour/" in body


def test_production_refuses_to_reach_private_addresses(app_config):
    from ato.config import ConfigError, load
    from tests.conftest import PRODUCTION

    production = {
        **app_config,
        **PRODUCTION,
        "SECRET_KEY": "k" * 8 + "0123456789abcdefghijklmnopqrstuv",
    }
    load("/tmp", production)  # the production settings are otherwise complete
    with pytest.raises(ConfigError, match="ATO_LINKS_ALLOW_PRIVATE"):
        load("/tmp", {**production, "ATO_LINKS_ALLOW_PRIVATE": True})
