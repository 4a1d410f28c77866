"""response times in minutes: a stroke unit answers in 30 min, which hours cannot say

``service.delai_reponse_heures`` becomes ``delai_reponse_minutes`` (values × 60,
its CHECK kept), and the entries waiting in requests (``demande.payload``)
carry ``delai_minutes`` instead of ``delai_heures``, so that every entry has
one shape. The column is renamed in place (``ALTER TABLE … RENAME COLUMN``,
which SQLite ≥ 3.25 applies to the CHECK too): ``service`` is referenced by
other tables and is never rebuilt. Going down rounds up to the hour.

Revision ID: 0016
Revises: 0015
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _payloads(old: str, new: str, convert) -> None:
    """Rename a service key in every stored request entry, converting its value."""
    connection = op.get_bind()
    demande = sa.table("demande", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
    for row in connection.execute(sa.select(demande.c.id, demande.c.payload)).all():
        payload = row.payload
        if isinstance(payload, str):
            payload = json.loads(payload)
        services = (payload or {}).get("services") if isinstance(payload, dict) else None
        if not isinstance(services, list):
            continue
        changed = False
        for service in services:
            if isinstance(service, dict) and old in service:
                value = service.pop(old)
                service[new] = convert(value) if isinstance(value, int) and value else None
                changed = True
        if changed:
            connection.execute(
                sa.update(demande).where(demande.c.id == row.id).values(payload=payload)
            )


def upgrade():
    op.execute("ALTER TABLE service RENAME COLUMN delai_reponse_heures TO delai_reponse_minutes")
    op.execute(
        "UPDATE service SET delai_reponse_minutes = delai_reponse_minutes * 60 "
        "WHERE delai_reponse_minutes IS NOT NULL"
    )
    _payloads("delai_heures", "delai_minutes", lambda hours: hours * 60)


def downgrade():
    op.execute(
        "UPDATE service SET delai_reponse_minutes = (delai_reponse_minutes + 59) / 60 "
        "WHERE delai_reponse_minutes IS NOT NULL"
    )
    op.execute("ALTER TABLE service RENAME COLUMN delai_reponse_minutes TO delai_reponse_heures")
    _payloads("delai_minutes", "delai_heures", lambda minutes: (minutes + 59) // 60)
