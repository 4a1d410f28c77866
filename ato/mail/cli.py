"""``flask ato outbox send``: deliver the mails waiting in the outbox."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ato.core.text import plural
from ato.mail import services

outbox_cli = AppGroup("outbox", help="File d'envoi des courriels.")


@outbox_cli.command("send")
@click.option("--limit", default=200, show_default=True)
def send(limit: int) -> None:
    """Envoyer les courriels dus (à lancer régulièrement, par ex. chaque minute)."""
    sent, failed = services.deliver_due(limit=limit)
    click.echo(f"{plural(sent, 'envoyé')}, {failed} en échec (nouvel essai plus tard)")
