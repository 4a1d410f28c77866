"""ATO — Annuaire de Télé-expertise d'Occitanie.

``create_app`` is the table of contents of the application.

``ato.core`` holds what every feature needs (audit log, staff guard, column
types, text, CSV, form plumbing) and imports no feature. Between features,
dependencies go one way and never in a cycle (``tests/test_layers.py`` checks
it): ``directory`` (entries, their mapping and reference data) imports no other
feature; ``mail`` (the outbox) none either; ``auth`` may use ``mail``;
``search`` and ``registration`` build on ``directory``; ``moderation`` (queue
and decisions), ``curation`` (the back-office directory), ``transfer`` (CSV
import/export), ``journal``, ``reports`` and ``links`` (link health) build on
those. Only this module imports views.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask.cli import AppGroup

from ato import config as config_module
from ato import database, web
from ato.extensions import csrf, db, limiter, login_manager, migrate
from ato.links import services as links_services
from ato.search import sync as search_sync

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides the environment (tests use it)."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("ATO_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.url_map.converters["int"] = web.BoundedIntConverter  # before any route is added
    app.config.from_mapping(config_module.load(app.instance_path, config))

    register_models()
    register_extensions(app)
    register_blueprints(app)
    search_sync.init_app(app)
    links_services.init_app(app)
    web.init_app(app)
    register_cli(app)
    if app.config["ATO_PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["ATO_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    return app


def register_models() -> None:
    """Import every feature's models so that the metadata (and Alembic) knows them."""
    import ato.auth.models
    import ato.core.audit
    import ato.directory.models
    import ato.links.models
    import ato.mail.models
    import ato.registration.models
    import ato.reports.models
    import ato.search.models
    import ato.transfer.models  # noqa: F401


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)


def register_blueprints(app: Flask) -> None:
    from ato.api.views import bp as api_bp
    from ato.auth import views as auth_views
    from ato.curation.views import bp as curation_bp
    from ato.directory.views import bp as directory_bp
    from ato.fhir.views import bp as fhir_bp
    from ato.journal.views import bp as journal_bp
    from ato.links.views import bp as links_bp
    from ato.moderation.views import bp as moderation_bp
    from ato.opendata.views import bp as opendata_bp
    from ato.registration.views import bp as registration_bp
    from ato.reports import views as reports_views
    from ato.search.views import bp as search_bp
    from ato.transfer.views import bp as transfer_bp

    app.register_blueprint(directory_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(curation_bp)
    app.register_blueprint(transfer_bp)
    app.register_blueprint(journal_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(auth_views.accounts)
    app.register_blueprint(auth_views.account)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(reports_views.admin_bp)
    app.register_blueprint(opendata_bp)
    app.register_blueprint(fhir_bp)
    app.register_blueprint(api_bp)
    auth_views.init_app(app)


def register_cli(app: Flask) -> None:
    from ato.auth.cli import users_cli
    from ato.curation.cli import purge
    from ato.directory.cli import seed_cli
    from ato.links.cli import links_cli
    from ato.mail.cli import outbox_cli
    from ato.opendata.cli import donnees_cli
    from ato.reports.cli import seed_reports
    from ato.search.cli import search_cli
    from ato.transfer.cli import import_cli

    seed_cli.add_command(seed_reports)
    group = AppGroup("ato", help="Commandes d'exploitation d'ATO.")
    group.add_command(seed_cli)
    group.add_command(search_cli)
    group.add_command(outbox_cli)
    group.add_command(users_cli)
    group.add_command(purge)
    group.add_command(import_cli)
    group.add_command(links_cli)
    group.add_command(donnees_cli)
    app.cli.add_command(group)
