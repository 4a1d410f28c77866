"""the database records every change the search index must follow (triggers)

Until now the change log was written by a SQLAlchemy session hook, so bulk
statements, raw SQL and anything outside a session left the index serving
removed or outdated services. Triggers on every table a search document is
made of now write the requis concerned, in the same transaction, whatever
writes. Each host keeps its own position in the log (in its index folder), so
``applied_at`` goes: a change is never "applied" for all hosts at once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# table -> SQL giving the requis concerned by a row (NEW or OLD stands for the row)
BY_REQUIS = {"requis": "{row}.id", "service": "{row}.requis_id"}
BY_SERVICE = ("canal", "service_departement", "service_thematique")
SPECIALTY = (
    "SELECT requis_id FROM service WHERE specialite_id = {row}.id "
    "UNION SELECT s.requis_id FROM service s JOIN service_thematique t "
    "ON t.service_id = s.id WHERE t.specialite_id = {row}.id"
)


def _selects(table: str, row: str) -> str:
    if table in BY_REQUIS:
        return "SELECT " + BY_REQUIS[table].format(row=row)
    if table in BY_SERVICE:
        return f"SELECT requis_id FROM service WHERE id = {row}.service_id"
    return SPECIALTY.format(row=row)


def _sqlite_triggers() -> list[str]:
    statements = []
    for table in (*BY_REQUIS, *BY_SERVICE):
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            body = " ".join(
                f"INSERT INTO search_change (requis_id) {_selects(table, row)};" for row in rows
            )
            statements.append(
                f"CREATE TRIGGER tr_search_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {body} END"
            )
    statements.append(
        "CREATE TRIGGER tr_search_specialite_update AFTER UPDATE OF libelle, synonymes "
        f"ON specialite BEGIN INSERT INTO search_change (requis_id) "
        f"{_selects('specialite', 'NEW')}; END"
    )
    return statements


def _postgresql_triggers() -> list[str]:
    statements = []
    for name, table_list in (
        ("requis", ("requis",)),
        ("service", ("service",)),
        ("by_service", BY_SERVICE),
    ):
        sample = table_list[0]
        statements.append(
            f"CREATE FUNCTION search_change_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF TG_OP IN ('UPDATE', 'DELETE') THEN "
            f"INSERT INTO search_change (requis_id) {_selects(sample, 'OLD')}; END IF; "
            "IF TG_OP IN ('INSERT', 'UPDATE') THEN "
            f"INSERT INTO search_change (requis_id) {_selects(sample, 'NEW')}; END IF; "
            "RETURN NULL; END $$"
        )
        for table in table_list:
            statements.append(
                f"CREATE TRIGGER tr_search_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION search_change_{name}()"
            )
    statements.append(
        "CREATE FUNCTION search_change_specialite() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN INSERT INTO search_change (requis_id) {_selects('specialite', 'NEW')}; "
        "RETURN NULL; END $$"
    )
    statements.append(
        "CREATE TRIGGER tr_search_specialite AFTER UPDATE OF libelle, synonymes ON specialite "
        "FOR EACH ROW EXECUTE FUNCTION search_change_specialite()"
    )
    return statements


def upgrade():
    with op.batch_alter_table("search_change") as batch:
        batch.drop_index("ix_search_change_pending")
        batch.drop_column("applied_at")
        batch.alter_column(
            "created_at",
            existing_type=sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
        )
    dialect = op.get_bind().dialect.name
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in ("requis", "service", *BY_SERVICE, "specialite"):
            op.execute(f"DROP TRIGGER IF EXISTS tr_search_{table} ON {table}")
        for name in ("requis", "service", "by_service", "specialite"):
            op.execute(f"DROP FUNCTION IF EXISTS search_change_{name}()")
    else:
        for table in (*BY_REQUIS, *BY_SERVICE):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS tr_search_{table}_{event}")
        op.execute("DROP TRIGGER IF EXISTS tr_search_specialite_update")
    with op.batch_alter_table("search_change") as batch:
        batch.alter_column(
            "created_at", existing_type=sa.DateTime(timezone=True), server_default=None
        )
        batch.add_column(sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_search_change_pending", ["applied_at", "id"])
