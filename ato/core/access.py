"""Staff roles and the back-office guard: each view declares the role it requires.

A staff blueprint (:func:`staff_blueprint`) refuses, before any view runs:

* anonymous visitors (sent to the login page);
* any endpoint whose view declares no role with :func:`requires` — deny by
  default, so a route someone forgets to declare is closed to everyone, not
  open to every moderator;
* a staff member whose role is below the declared one.

Responses of staff pages are never stored by a cache.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, request
from flask_login import current_user
from werkzeug.wrappers import Response

from ato.extensions import login_manager

View = TypeVar("View", bound=Callable[..., Any])


class Role(enum.StrEnum):
    MODERATEUR = "moderateur"
    ADMINISTRATEUR = "administrateur"

    @property
    def label(self) -> str:
        return {"moderateur": "Modérateur", "administrateur": "Administrateur"}[self.value]

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, required: Role) -> bool:
        """An administrator may do everything a moderator may."""
        return self.rank >= required.rank


ROLE_ATTRIBUTE = "_ato_required_role"


def requires(role: Role) -> Callable[[View], View]:
    """Declare the role a staff view requires (read by the blueprint's guard)."""

    def mark(view: View) -> View:
        setattr(view, ROLE_ATTRIBUTE, role)
        return view

    return mark


def required_role(view: Callable[..., Any]) -> Role | None:
    return getattr(view, ROLE_ATTRIBUTE, None)


def staff_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose every route is guarded (see the module docstring)."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(_guard)
    bp.after_request(_no_store)
    return bp


def _guard() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    view = current_app.view_functions.get(request.endpoint or "")
    role = required_role(view) if view is not None else None
    if role is None or not Role(current_user.role).allows(role):
        abort(403)
    return None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
