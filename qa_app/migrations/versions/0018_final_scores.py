"""final scores and flags kept as data

``final_scores`` (one row per call and rubric version: source, review count) and
``final_values`` (one row per final score or flag), kept current by every change that moves
a final score. ``qa-app db upgrade`` fills them after this revision (the rows are computed by
the application's rule, not by the migration).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "final_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_pk", sa.Integer(), nullable=False),
        sa.Column("rubric_pk", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_pk"], ["calls.id"], name=op.f("fk_final_scores_call_pk_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_pk"], ["rubrics.id"], name=op.f("fk_final_scores_rubric_pk_rubrics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_scores")),
        sa.UniqueConstraint("call_pk", "rubric_pk", name=op.f("uq_final_scores_call_pk_rubric_pk")),
    )
    with op.batch_alter_table("final_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_final_scores_rubric_pk"), ["rubric_pk"], unique=False)
    op.create_table(
        "final_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_pk", sa.Integer(), nullable=False),
        sa.Column("rubric_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_pk"], ["calls.id"], name=op.f("fk_final_values_call_pk_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_pk"], ["rubrics.id"], name=op.f("fk_final_values_rubric_pk_rubrics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_final_values")),
        sa.UniqueConstraint(
            "call_pk", "rubric_pk", "kind", "name",
            name=op.f("uq_final_values_call_pk_rubric_pk_kind_name"),
        ),
    )
    with op.batch_alter_table("final_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_final_values_rubric_call",
            ["rubric_pk", "call_pk", "kind", "name", "value"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("final_values")
    op.drop_table("final_scores")
