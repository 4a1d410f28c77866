"""one form of e-mail addresses: stored contacts and accounts in lower case

Login, throttle, invitations, `users create` and registration contacts now
share one normalisation (``ato.core.text.normalize_email``). Addresses saved
before kept the case of their local part; they are brought to the same form so
that comparisons (a campaign link's address against the entry's contact) hold.
The stored values were already trimmed, so SQL ``lower()`` is enough; on
SQLite it folds ASCII letters only, so a non-ASCII capital stays as typed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 04:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = [
    ("requis", "contact_email"),
    ("demande", "contact_email"),
    ("signalement", "email"),
    ("confirmation_link", "email"),
    ("user_account", "email"),
]


def upgrade():
    for table, column in COLUMNS:
        op.execute(
            f"UPDATE {table} SET {column} = lower({column}) "
            f"WHERE {column} IS NOT NULL AND {column} <> lower({column})"
        )


def downgrade():
    pass  # the original case of an address carries no meaning: nothing to restore
