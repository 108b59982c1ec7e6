"""machine rater jobs started from the web: train (then score), or score what is not scored

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "machine_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("phase", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("runner", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_machine_jobs_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_jobs")),
    )
    with op.batch_alter_table("machine_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_machine_jobs_token"), ["token"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("machine_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_machine_jobs_token"))
    op.drop_table("machine_jobs")
