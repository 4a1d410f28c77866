"""``flask ato liens verifier``: check every link of the published directory (run it daily)."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from ato.core.text import plural
from ato.extensions import db
from ato.links import services

links_cli = AppGroup("liens", help="Santé des liens de l'annuaire.")


@links_cli.command("verifier")
def verify() -> None:
    """Vérifier chaque lien publié (outils d'adressage, sites web) et enregistrer le résultat."""
    config = current_app.config
    started = time.monotonic()
    run = services.plan()
    db.session.commit()  # no transaction stays open while the network answers
    outcomes = services.check(
        run.urls, services.settings_from(config), config["ATO_LINKS_CONCURRENCY"]
    )
    # Mails carry links to ATO: built on ATO_BASE_URL, as from a request.
    with current_app.test_request_context(base_url=config["ATO_BASE_URL"] or None):
        summary = services.record(run, outcomes)
        db.session.commit()
    click.echo(
        f"{plural(summary.checked, 'lien vérifié', 'liens vérifiés')} "
        f"en {time.monotonic() - started:.1f} s : "
        f"{plural(summary.ok, 'fonctionne', 'fonctionnent')} "
        f"(dont {plural(summary.recovered, 'rétabli')}), "
        f"{plural(summary.broken, 'indisponible')}, "
        f"{plural(summary.notified, 'contact prévenu', 'contacts prévenus')}, "
        f"{plural(summary.forgotten, 'lien oublié', 'liens oubliés')} (plus publiés)."
    )
