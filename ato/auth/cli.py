"""``flask ato users create``: the only way to create the first account."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from ato.auth import services
from ato.core.access import Role
from ato.core.errors import DomainError
from ato.extensions import db

users_cli = AppGroup("users", help="Comptes de l'équipe.")


@users_cli.command("create")
@click.option("--email", prompt="Courriel")
@click.option("--nom", prompt="Nom")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="moderateur", show_default=True
)
@click.password_option("--password", prompt="Mot de passe (12 caractères au moins)")
def create(email: str, nom: str, role: str, password: str) -> None:
    """Créer un compte (le mot de passe est demandé, jamais affiché)."""
    try:
        user = services.create_user(email, nom, Role(role), password)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except IntegrityError:  # created meanwhile by another command: never print the row (hash)
        db.session.rollback()
        raise click.ClickException("Un compte existe déjà avec ce courriel.") from None
    click.echo(f"compte créé : {user.email} ({user.role.label})")
