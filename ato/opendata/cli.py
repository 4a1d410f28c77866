"""``flask ato donnees generer``: regenerate the open data files (cron)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ato.opendata import services

donnees_cli = AppGroup("donnees", help="Données ouvertes (fichiers de /donnees).")


@donnees_cli.command("generer")
@with_appcontext
def generer() -> None:
    """Produire les fichiers de /donnees s'ils ne suivent pas le dernier changement."""
    base = current_app.config["ATO_BASE_URL"] or "http://localhost"
    with current_app.test_request_context(base_url=base):
        version = services.current()
    click.echo(
        f"Fichiers à jour : {version.path} (générés le {version.generated_at:%Y-%m-%d %H:%M} UTC)."
    )
