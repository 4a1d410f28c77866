"""The public entry form as staff use it, to correct a request or edit a published entry.

Staff see the same form as the requis (without the consent box: the requis
consented when registering); the entry goes through the same validation. Used
by the moderation queue and the back-office directory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from ato.directory import services as directory
from ato.extensions import db
from ato.registration.forms import FORMS, RequisForm

TEMPLATE = "registration/staff_edit.html"


def staff_form(nature: str, entry: dict[str, Any] | None = None) -> RequisForm:
    """The public form, prefilled from ``entry`` (GET) or from the post, without consent."""
    form = FORMS[nature]() if entry is None else FORMS[nature].from_entry(entry)
    del form.consentement
    return form


def edit(
    nature: str,
    entry: dict[str, Any],
    title: str,
    exclude: int,
    save: Callable[[dict[str, Any]], Response],
) -> str | Response | tuple[str, int]:
    """GET shows the form; POST validates, checks identifiers, calls ``save`` and commits."""
    context = {"nature": nature, "title": title}
    if request.method == "GET":
        return render_template(TEMPLATE, form=staff_form(nature, entry), **context)
    form = staff_form(nature)
    if form.handle_service_action(request.form.get("action", "")):
        return render_template(TEMPLATE, form=form, **context)
    new_entry = form.validate_entry()
    if new_entry is None:
        expired = bool(form.csrf_token.errors) if "csrf_token" in form else False
        return render_template(TEMPLATE, form=form, expired=expired, **context), 422
    duplicate = directory.find_duplicate(new_entry, exclude=exclude)
    if duplicate is None:
        try:
            result = save(new_entry)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            duplicate = directory.find_duplicate(new_entry, exclude=exclude)
        else:
            return result
    return render_template(TEMPLATE, form=form, duplicate=duplicate, **context), 409
