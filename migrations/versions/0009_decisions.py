"""Who decided a request and when; a signalement's closing date in English like the others.

``demande.decided_by_id`` / ``decided_at`` are set when a request is published
or refused, and a check constraint ties them to those states. Requests decided
before this version get ``decided_at`` = their last update and, for staff
revisions, their author; for the others the decider stays in the audit log.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from ato.core.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

DECIDED_CHECK = (
    "(statut IN ('publiee', 'refusee') AND decided_at IS NOT NULL) OR "
    "(statut NOT IN ('publiee', 'refusee') AND decided_at IS NULL AND decided_by_id IS NULL)"
)


def upgrade():
    with op.batch_alter_table("demande", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_demande_decided_by_id_user_account"),
            "user_account",
            ["decided_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        "UPDATE demande SET decided_at = updated_at, decided_by_id = auteur_id "
        "WHERE statut IN ('publiee', 'refusee')"
    )
    with op.batch_alter_table("demande", schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f("ck_demande_decided_when_closed"), DECIDED_CHECK)
    with op.batch_alter_table("signalement", schema=None) as batch_op:
        batch_op.alter_column("traite_at", new_column_name="closed_at")


def downgrade():
    with op.batch_alter_table("signalement", schema=None) as batch_op:
        batch_op.alter_column("closed_at", new_column_name="traite_at")
    with op.batch_alter_table("demande", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_demande_decided_when_closed"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_demande_decided_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_id")
