"""``flask ato seed reports``: load the report topics and their sourced figures."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ato.directory.seeding import SeedError
from ato.extensions import db
from ato.reports import seeding


@click.command("reports")
@with_appcontext
def seed_reports() -> None:
    """Rapports : thèmes, chiffres clés sourcés, jeux départementaux (idempotent)."""
    try:
        summary = seeding.load_reports()
    except (SeedError, KeyError, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(f"rapports.json : {exc}") from exc
    db.session.commit()
    for name, counts in summary.items():
        click.echo(f"{name} : {counts}")
