"""An entry's status in French, like a request's: en_attente, publiee, refusee, archivee.

The stored values change (pending → en_attente, published → publiee,
rejected → refusee, archived → archivee), with the CHECK constraints, the
column default and the two partial unique indexes that name them.

PostgreSQL alters the constraints in place. SQLite cannot: rebuilding the
``requis`` table (Alembic's batch mode) would drop its search triggers and,
with foreign keys on, cascade the drop to every service. So SQLite follows its
own documented procedure for CHECK and DEFAULT changes: the values are updated
with CHECK enforcement suspended, then the table's stored definition is
rewritten (``writable_schema``) and the schema version bumped. The table, its
rows, its triggers and its children are untouched.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UP = {"pending": "en_attente", "published": "publiee", "rejected": "refusee", "archived": "archivee"}
DOWN = {new: old for old, new in UP.items()}


def _values(mapping: dict[str, str]) -> list[str]:
    return list(mapping.values())


def _in(values: list[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _update(mapping: dict[str, str]) -> str:
    cases = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in mapping.items())
    return f"UPDATE requis SET statut = CASE statut {cases} ELSE statut END"


def _indexes(live: list[str]) -> list[str]:
    return [
        f"CREATE UNIQUE INDEX uq_requis_{column}_live ON requis ({column}) "
        f"WHERE statut IN {_in(live)}"
        for column in ("finess", "rpps")
    ]


def _migrate(mapping: dict[str, str]) -> None:
    old, new = list(mapping), _values(mapping)
    old_published, new_published = old[1], new[1]
    bind = op.get_bind()
    op.execute("DROP INDEX uq_requis_finess_live")
    op.execute("DROP INDEX uq_requis_rpps_live")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE requis DROP CONSTRAINT ck_requis_statut")
        op.execute("ALTER TABLE requis DROP CONSTRAINT ck_requis_published_has_date")
        op.execute(_update(mapping))
        op.execute(f"ALTER TABLE requis ALTER COLUMN statut SET DEFAULT '{new[0]}'")
        op.execute(f"ALTER TABLE requis ADD CONSTRAINT ck_requis_statut CHECK (statut IN {_in(new)})")
        op.execute(
            "ALTER TABLE requis ADD CONSTRAINT ck_requis_published_has_date "
            f"CHECK (statut != '{new_published}' OR published_at IS NOT NULL)"
        )
    else:
        connection = bind.connection.driver_connection
        connection.execute("PRAGMA ignore_check_constraints = ON")
        op.execute(_update(mapping))
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'requis'"
        ).fetchone()
        rewritten = (
            sql.replace(f"DEFAULT '{old[0]}'", f"DEFAULT '{new[0]}'")
            .replace(f"CHECK (statut IN {_in(old)})", f"CHECK (statut IN {_in(new)})")
            .replace(f"CHECK (statut != '{old_published}'", f"CHECK (statut != '{new_published}'")
        )
        if rewritten.count(new[0]) != 2 or f"'{old_published}'" in rewritten:
            raise RuntimeError("requis: définition inattendue, migration interrompue")
        (version,) = connection.execute("PRAGMA schema_version").fetchone()
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'requis'",
            (rewritten,),
        )
        connection.execute(f"PRAGMA schema_version = {int(version) + 1}")
        connection.execute("PRAGMA writable_schema = OFF")
        connection.execute("PRAGMA ignore_check_constraints = OFF")
    for statement in _indexes(new[:2]):
        op.execute(statement)


def upgrade():
    _migrate(UP)


def downgrade():
    _migrate(DOWN)
