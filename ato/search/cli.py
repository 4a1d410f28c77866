"""``flask ato search …``: rebuild, check and catch up this host's full-text index."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from ato.core.text import plural
from ato.search import sync
from ato.search.index import IndexUnavailable

search_cli = AppGroup("search", help="Index de recherche plein texte.")


@search_cli.command("rebuild")
@click.option("--procs", default=1, show_default=True, help="Processus d'indexation.")
def rebuild(procs: int) -> None:
    """Construire un index neuf depuis la base et le substituer atomiquement."""
    started = time.perf_counter()
    count = sync.rebuild(procs=procs)
    click.echo(
        f"index reconstruit : {plural(count, 'service')} en {time.perf_counter() - started:.1f} s"
    )


@search_cli.command("check")
def check() -> None:
    """Comparer l'index et la base : code 1 s'ils diffèrent, 2 si l'index est illisible."""
    try:
        differences = sync.check()
    except IndexUnavailable as exc:
        click.echo(f"index illisible ou absent : {exc}")
        click.echo("reconstruisez-le : flask --app ato ato search rebuild")
        sys.exit(2)
    pending = sync.pending_count()
    for name, ids in differences.items():
        click.echo(f"{name} : {len(ids)}" + (f" ({', '.join(map(str, ids[:20]))}…)" if ids else ""))
    click.echo(f"changements en attente : {pending}")
    if any(differences.values()):
        sys.exit(1)
    click.echo("index conforme à la base")


@search_cli.command("catchup")
def catchup() -> None:
    """Appliquer à l'index les changements en attente ; oublier ceux de plus de 7 jours."""
    try:
        count = sync.catch_up()
    except IndexUnavailable as exc:
        click.echo(f"index illisible ou absent : {exc} ; lancez « ato search rebuild »")
        sys.exit(2)
    click.echo(
        f"{plural(count, 'fiche réindexée', 'fiches réindexées')} ; "
        f"{plural(sync.prune(), 'changement ancien oublié', 'changements anciens oubliés')}"
    )
