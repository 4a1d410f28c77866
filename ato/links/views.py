"""/admin/liens: the broken links of the published directory, oldest failure first."""

from __future__ import annotations

from flask import current_app, render_template

from ato.core.access import Role, requires, staff_blueprint
from ato.links import services

bp = staff_blueprint("links", __name__, "/admin")


@bp.get("/liens")
@requires(Role.MODERATEUR)
def broken() -> str:
    return render_template(
        "links/liens.html",
        rows=services.broken_rows(),
        threshold=current_app.config["ATO_LINKS_FAILURES_BEFORE_NOTICE"],
    )
