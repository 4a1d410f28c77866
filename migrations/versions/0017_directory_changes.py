"""The database logs every change of the published directory, for those who follow it

The API's incremental sync, FHIR's _lastUpdated, the open data and the change
feeds need to know which published entries changed since a moment, and which
left the directory (withdrawn, archived or deleted). Triggers write it in the
same transaction as the change, whatever writes: a view, an import, a seed or
raw SQL. Only changes a visitor could see are logged: publication, withdrawal,
a public column of a published requis, and its services, channels, coverage
and thématiques. Every entry published today gets an « ajout » dated from its
last known change of content, so a first sync starts from a complete log.

``directory_state`` keeps, per entry, its newest change and whether it is
published, from the log (a trigger on the log itself): a sync or a page of the
directory in the order of change reads an index instead of grouping the log.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Columns of requis a visitor sees (the contact, private, and the bookkeeping dates are not).
PUBLIC = (
    "nature", "nom", "civilite", "prenom", "profession_code", "finess", "rpps", "adresse",
    "code_postal", "ville", "departement_code", "telephone", "site_web", "est_exemple",
    "verified_at",
)
CHILDREN = {  # table -> SQL giving its requis ({row} is NEW or OLD)
    "service": "{row}.requis_id",
    "canal": "(SELECT requis_id FROM service WHERE id = {row}.service_id)",
    "service_departement": "(SELECT requis_id FROM service WHERE id = {row}.service_id)",
    "service_thematique": "(SELECT requis_id FROM service WHERE id = {row}.service_id)",
}
# As SQLAlchemy writes a timestamp on SQLite (microseconds), so that they compare as text.
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def _log(kind: str, row: str, now: str) -> str:
    return (
        "INSERT INTO directory_change (requis_id, kind, nom, departement_code, created_at) "
        f"VALUES ({row}.id, '{kind}', {row}.nom, {row}.departement_code, {now});"
    )


def _log_child(requis: str, now: str) -> str:
    return (
        "INSERT INTO directory_change (requis_id, kind, created_at) "
        f"SELECT id, 'modification', {now} FROM requis WHERE id = {requis} "
        "AND statut = 'publiee';"
    )


# directory_state follows the log: the newest row of the entry gives its moment and state.
STATE = (
    "INSERT INTO directory_state (requis_id, changed_at, published) "
    "SELECT c.requis_id, c.created_at, c.kind != 'retrait' FROM directory_change c "
    "WHERE c.requis_id = {row}.requis_id ORDER BY c.created_at DESC, c.id DESC LIMIT 1 "
    "ON CONFLICT (requis_id) DO UPDATE SET changed_at = excluded.changed_at, "
    "published = excluded.published;"
)


def _sqlite_triggers() -> list[str]:
    now = SQLITE_NOW
    public = ", ".join(PUBLIC)
    statements = [
        "CREATE TRIGGER tr_change_requis_insert AFTER INSERT ON requis "
        f"WHEN NEW.statut = 'publiee' BEGIN {_log('ajout', 'NEW', now)} END",
        "CREATE TRIGGER tr_change_requis_publish AFTER UPDATE OF statut ON requis "
        "WHEN OLD.statut != 'publiee' AND NEW.statut = 'publiee' "
        f"BEGIN {_log('ajout', 'NEW', now)} END",
        "CREATE TRIGGER tr_change_requis_withdraw AFTER UPDATE OF statut ON requis "
        "WHEN OLD.statut = 'publiee' AND NEW.statut != 'publiee' "
        f"BEGIN {_log('retrait', 'OLD', now)} END",
        f"CREATE TRIGGER tr_change_requis_update AFTER UPDATE OF {public} ON requis "
        "WHEN OLD.statut = 'publiee' AND NEW.statut = 'publiee' "
        f"BEGIN {_log('modification', 'NEW', now)} END",
        "CREATE TRIGGER tr_change_requis_delete AFTER DELETE ON requis "
        f"WHEN OLD.statut = 'publiee' BEGIN {_log('retrait', 'OLD', now)} END",
    ]
    for table, requis in CHILDREN.items():
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            statements.append(
                f"CREATE TRIGGER tr_change_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_log_child(requis.format(row=row), now)} END"
            )
    statements += [
        "CREATE TRIGGER tr_state_insert AFTER INSERT ON directory_change "
        f"BEGIN {STATE.format(row='NEW')} END",
        "CREATE TRIGGER tr_state_update AFTER UPDATE OF created_at, kind ON directory_change "
        f"BEGIN {STATE.format(row='NEW')} END",
    ]
    return statements


def _postgresql_triggers() -> list[str]:
    now = "clock_timestamp()"
    public = ", ".join(PUBLIC)
    statements = [
        "CREATE FUNCTION directory_change_requis() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF TG_OP = 'INSERT' THEN "
        f"  IF NEW.statut = 'publiee' THEN {_log('ajout', 'NEW', now)} END IF; "
        "ELSIF TG_OP = 'DELETE' THEN "
        f"  IF OLD.statut = 'publiee' THEN {_log('retrait', 'OLD', now)} END IF; "
        "ELSIF OLD.statut != 'publiee' AND NEW.statut = 'publiee' THEN "
        f"  {_log('ajout', 'NEW', now)} "
        "ELSIF OLD.statut = 'publiee' AND NEW.statut != 'publiee' THEN "
        f"  {_log('retrait', 'OLD', now)} "
        "ELSIF NEW.statut = 'publiee' AND ("
        + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in PUBLIC)
        + f") THEN {_log('modification', 'NEW', now)} "
        "END IF; RETURN NULL; END $$",
        "CREATE TRIGGER tr_change_requis AFTER INSERT OR DELETE OR UPDATE OF statut, "
        f"{public} ON requis FOR EACH ROW EXECUTE FUNCTION directory_change_requis()",
    ]
    for table, requis in CHILDREN.items():
        statements.append(
            f"CREATE FUNCTION directory_change_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF TG_OP = 'DELETE' THEN "
            f"{_log_child(requis.format(row='OLD'), now)} "
            f"ELSE {_log_child(requis.format(row='NEW'), now)} END IF; "
            "RETURN NULL; END $$"
        )
        statements.append(
            f"CREATE TRIGGER tr_change_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION directory_change_{table}()"
        )
    statements += [
        "CREATE FUNCTION directory_state_follow() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {STATE.format(row='NEW')} RETURN NULL; END $$",
        "CREATE TRIGGER tr_state AFTER INSERT OR UPDATE OF created_at, kind ON directory_change "
        "FOR EACH ROW EXECUTE FUNCTION directory_state_follow()",
    ]
    return statements


def upgrade():
    op.create_table(
        "directory_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requis_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("ajout", "modification", "retrait", name="change_kind", native_enum=False,
                    create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("nom", sa.String(length=200), nullable=True),
        sa.Column("departement_code", sa.String(length=3), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_change")),
    )
    op.create_index(
        "ix_directory_change_requis_created", "directory_change", ["requis_id", "created_at"]
    )
    op.create_index(
        op.f("ix_directory_change_created_at"), "directory_change", ["created_at"]
    )
    op.create_table(
        "directory_state",
        sa.Column("requis_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("requis_id", name=op.f("pk_directory_state")),
    )
    op.create_index(
        "ix_directory_state_published_changed",
        "directory_state",
        ["published", "changed_at", "requis_id"],
    )
    op.create_index(
        "ix_directory_state_changed", "directory_state", ["changed_at", "requis_id"]
    )
    op.execute(
        "INSERT INTO directory_change (requis_id, kind, nom, departement_code, created_at) "
        "SELECT id, 'ajout', nom, departement_code, "
        "COALESCE(content_updated_at, published_at, created_at) "
        "FROM requis WHERE statut = 'publiee' ORDER BY id"
    )
    op.execute(
        "INSERT INTO directory_state (requis_id, changed_at, published) "
        "SELECT requis_id, created_at, true FROM directory_change"
    )
    dialect = op.get_bind().dialect.name
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tr_state ON directory_change")
        op.execute("DROP FUNCTION IF EXISTS directory_state_follow()")
        op.execute("DROP TRIGGER IF EXISTS tr_change_requis ON requis")
        op.execute("DROP FUNCTION IF EXISTS directory_change_requis()")
        for table in CHILDREN:
            op.execute(f"DROP TRIGGER IF EXISTS tr_change_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS directory_change_{table}()")
    else:
        for name in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_state_{name}")
        for name in ("insert", "publish", "withdraw", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_change_requis_{name}")
        for table in CHILDREN:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS tr_change_{table}_{event}")
    op.drop_index("ix_directory_state_changed", table_name="directory_state")
    op.drop_index("ix_directory_state_published_changed", table_name="directory_state")
    op.drop_table("directory_state")
    op.drop_index(op.f("ix_directory_change_created_at"), table_name="directory_change")
    op.drop_index("ix_directory_change_requis_created", table_name="directory_change")
    op.drop_table("directory_change")
