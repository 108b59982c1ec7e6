"""a version per analysed table, moved by triggers on every insert, update and delete

Pages keep an analysis by the data it read. Counting a million calls on every visit to tell
whether they changed cost more than the page; the database now keeps a version per table,
moved in the same transaction as the change (so a reader never sees the version before the
data), by every writer, the app's or not. PostgreSQL: one statement-level trigger per table,
moving the version once per transaction. SQLite has row triggers only, and one per inserted row
halved the rate of a call import: there updates and deletes move the version, and an insert
is told by the table's largest id, which the fingerprint reads beside it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# A copy, not an import: a migration stays as it was written when the model changes.
TABLES = ("calls", "outcomes", "final_scores", "rubrics", "machine_models", "machine_scores",
          "customers", "customer_events")  # fmt: skip
EVENTS = ("UPDATE", "DELETE")  # SQLite; an insert moves max(id)


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_in", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    versions = sa.table(
        "data_versions", sa.column("name", sa.String), sa.column("version", sa.BigInteger)
    )
    op.bulk_insert(versions, [{"name": name, "version": 0} for name in TABLES])
    if op.get_bind().dialect.name == "postgresql":
        # Once per transaction and table: a transaction that writes row by row (an
        # executemany) would otherwise update the same version row a million times, and each
        # update in one transaction walks the row versions the ones before it left.
        op.execute(
            "CREATE FUNCTION qa_app_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE data_versions SET version = version + 1, changed_in = txid_current() "
            "WHERE name = TG_TABLE_NAME AND changed_in IS DISTINCT FROM txid_current(); "
            "RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
                "qa_app_bump_data_version()"
            )
        return
    for table in TABLES:
        for event in EVENTS:
            # The names are this module's constants, never input.
            bump = f"UPDATE data_versions SET version = version + 1 WHERE name = '{table}'"  # noqa: S608
            op.execute(
                f"CREATE TRIGGER {table}_data_version_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {bump}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_data_version ON {table}")
        op.execute("DROP FUNCTION qa_app_bump_data_version()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER {table}_data_version_{event.lower()}")
    op.drop_table("data_versions")
