"""``flask ato seed …``: load reference data and, on demand, the example directory."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ato.core.text import plural
from ato.directory import seeding
from ato.extensions import db

seed_cli = AppGroup("seed", help="Charger les données de référence ou d'exemple.")


@seed_cli.command("reference")
def seed_reference() -> None:
    """Départements, spécialités et outils (idempotent)."""
    try:
        summaries = seeding.load_reference()
    except seeding.SeedError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for name, summary in summaries.items():
        click.echo(f"{name} : {summary}")


@seed_cli.command("examples")
@click.option("--remove", is_flag=True, help="Supprimer toutes les fiches d'exemple.")
def seed_examples(remove: bool) -> None:
    """L'annuaire d'exemple (fiches fictives), jamais en production."""
    if current_app.config["ATO_ENV"] == "production" and not remove:
        raise click.ClickException("Les données d'exemple ne se chargent pas en production.")
    if remove:
        count = seeding.remove_examples()
        db.session.commit()
        click.echo(plural(count, "fiche d'exemple supprimée", "fiches d'exemple supprimées"))
        return
    try:
        summary = seeding.load_examples()
    except seeding.SeedError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"exemples : {summary}")
