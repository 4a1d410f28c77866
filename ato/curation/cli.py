"""``flask ato purge``: the retention the legal notice states, applied (run it daily)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ato.curation import services
from ato.extensions import db


@click.command("purge")
@with_appcontext
def purge() -> None:
    """Supprimer ce que la durée de conservation annoncée ne permet plus de garder."""
    done = services.purge()
    db.session.commit()
    click.echo(", ".join(f"{name} : {count}" for name, count in done.items()))
