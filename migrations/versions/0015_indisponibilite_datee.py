"""Dated unavailability of a service, the date an entry's content last changed, and the
article each département takes.

- ``service.indisponible_du`` / ``indisponible_au`` (Europe/Paris days, both inclusive; no
  end = until further notice) replace the ``indisponible`` flag: a closure is planned
  ahead and ends by itself. A service flagged unavailable today becomes unavailable from
  today, with no end (what the flag meant). ``du <= au``, and no end without a start: a
  named CHECK on PostgreSQL, a trigger on SQLite (a CHECK cannot be added to an existing
  SQLite table without rebuilding it, and rebuilding ``service`` would cascade to its
  children through the foreign keys).
- ``requis.content_updated_at``: when the published content last changed (not a
  verification, a status change or the seeding). Filled from the last revision published.
- ``departement.article`` (INSEE's TNCC as text: ``le``, ``la``, ``les``, ``l'``), so that
  pages say « dans l'Hérault », « de la Haute-Garonne ».

Only ``ALTER TABLE ADD/DROP COLUMN``: no table is rebuilt.

Revision ID: 0015
Revises: 0014
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

#: INSEE TNCC of the Occitanie départements, as their article.
ARTICLES = {
    "09": "l'", "11": "l'", "12": "l'", "30": "le", "31": "la", "32": "le", "34": "l'",
    "46": "le", "48": "la", "65": "les", "66": "les", "81": "le", "82": "le",
}

ORDER_SQL = (
    "indisponible_au IS NULL OR "
    "(indisponible_du IS NOT NULL AND indisponible_du <= indisponible_au)"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER ck_service_indisponibilite_{event.lower()} BEFORE {event} ON service "
    "FOR EACH ROW WHEN NOT (NEW.indisponible_au IS NULL OR (NEW.indisponible_du IS NOT NULL "
    "AND NEW.indisponible_du <= NEW.indisponible_au)) "
    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_service_indisponibilite_ordre'); END"
    for event in ("INSERT", "UPDATE")
]


def upgrade():
    bind = op.get_bind()
    op.add_column("service", sa.Column("indisponible_du", sa.Date(), nullable=True))
    op.add_column("service", sa.Column("indisponible_au", sa.Date(), nullable=True))
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    bind.execute(
        sa.text("UPDATE service SET indisponible_du = :today WHERE indisponible").bindparams(
            sa.bindparam("today", type_=sa.Date())
        ),
        {"today": today},
    )
    op.drop_column("service", "indisponible")
    if bind.dialect.name == "postgresql":
        op.create_check_constraint("ck_service_indisponibilite_ordre", "service", ORDER_SQL)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)

    op.add_column("requis", sa.Column("content_updated_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE requis SET content_updated_at = (SELECT max(d.decided_at) FROM demande d "
        "WHERE d.requis_id = requis.id AND d.nature = 'modification' AND d.statut = 'publiee')"
    )

    op.add_column("departement", sa.Column("article", sa.String(length=3), nullable=True))
    for code, article in ARTICLES.items():
        bind.execute(
            sa.text("UPDATE departement SET article = :a WHERE code = :c"),
            {"a": article, "c": code},
        )


def downgrade():
    bind = op.get_bind()
    op.drop_column("departement", "article")
    op.drop_column("requis", "content_updated_at")
    if bind.dialect.name == "postgresql":
        op.drop_constraint("ck_service_indisponibilite_ordre", "service", type_="check")
    else:
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS ck_service_indisponibilite_{event}")
    op.add_column(
        "service",
        sa.Column("indisponible", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
    )
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    bind.execute(
        sa.text(
            "UPDATE service SET indisponible = true WHERE indisponible_du <= :today "
            "AND (indisponible_au IS NULL OR indisponible_au >= :today)"
        ).bindparams(sa.bindparam("today", type_=sa.Date())),
        {"today": today},
    )
    op.drop_column("service", "indisponible_au")
    op.drop_column("service", "indisponible_du")
