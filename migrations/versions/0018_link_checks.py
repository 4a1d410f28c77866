"""Link health: the last check of each web address of the directory, and who was told.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "link_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column(
            "state",
            sa.Enum("ok", "rompu", name="state", native_enum=False, create_constraint=True,
                    length=20),
            nullable=False,
        ),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=120), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"),
                  nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("consecutive_failures >= 0",
                           name=op.f("ck_link_check_failures_positive")),
        sa.CheckConstraint(
            "(state = 'ok' AND consecutive_failures = 0 AND failing_since IS NULL) OR "
            "(state = 'rompu' AND consecutive_failures > 0 AND failing_since IS NOT NULL "
            "AND reason IS NOT NULL)",
            name=op.f("ck_link_check_state_coherent"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_check")),
        sa.UniqueConstraint("url", name=op.f("uq_link_check_url")),
    )
    op.create_table(
        "link_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("requis_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["link_check.id"],
                                name=op.f("fk_link_notice_link_id_link_check"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requis_id"], ["requis.id"],
                                name=op.f("fk_link_notice_requis_id_requis"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_notice")),
        sa.UniqueConstraint("link_id", "requis_id", name=op.f("uq_link_notice_link_id")),
    )
    with op.batch_alter_table("link_notice") as batch:
        batch.create_index(batch.f("ix_link_notice_requis_id"), ["requis_id"], unique=False)


def downgrade():
    op.drop_table("link_notice")
    op.drop_table("link_check")
