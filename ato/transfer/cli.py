"""``flask ato import reprendre``: run the import jobs left waiting by a restart."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ato.core.text import plural
from ato.transfer import services

import_cli = AppGroup("import", help="Imports de fiches (CSV).")


@import_cli.command("reprendre")
def resume() -> None:
    """Mener à leur terme les imports en attente ou interrompus."""
    click.echo(plural(services.resume_waiting(), "import repris", "imports repris") + ".")
