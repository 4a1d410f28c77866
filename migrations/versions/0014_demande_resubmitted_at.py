"""Requests remember when they were last completed and sent again (the tracking page says it).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("demande") as batch:
        batch.add_column(sa.Column("resubmitted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("demande") as batch:
        batch.drop_column("resubmitted_at")
