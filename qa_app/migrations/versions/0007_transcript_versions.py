"""transcript versions

A re-import that changes a call's transcript keeps the old turns in transcript_versions
(numbered per call) instead of deleting them; calls.transcript_version numbers the current
transcript and reviews.transcript_version the one a review was scored on, so its evidence
turns stay valid. Existing calls and reviews start at version 1.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transcript_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transcript_version", sa.Integer(), nullable=False, server_default="1")
        )
    op.create_table(
        "transcript_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_pk", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("turns", sa.JSON(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_pk"],
            ["calls.id"],
            name=op.f("fk_transcript_versions_call_pk_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_versions")),
        sa.UniqueConstraint("call_pk", "version", name="uq_transcript_versions_call_version"),
    )
    with op.batch_alter_table("transcript_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transcript_versions_call_pk"), ["call_pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("transcript_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcript_versions_call_pk"))
    op.drop_table("transcript_versions")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_column("transcript_version")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("transcript_version")
