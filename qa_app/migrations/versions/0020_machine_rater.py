"""the machine rater: trained models and their scores

``machine_models`` (a rubric version's classifiers in skops' format, with their training
data's hash and cross-validated metrics) and ``machine_scores`` (a model's score of one
dimension of one call, with its evidence turns), apart from every human table;
``machine_failures``: calls an external model could not score, with why;
``machine_visibility``: whether reviewers see a rubric's machine scores after submitting.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "machine_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_pk", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("endpoint", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("model_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("trained_from", sa.Date(), nullable=True),
        sa.Column("trained_until", sa.Date(), nullable=True),
        sa.Column("training_calls", sa.Integer(), nullable=False),
        sa.Column("training_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("libraries", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rubric_pk"], ["rubrics.id"], name=op.f("fk_machine_models_rubric_pk_rubrics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_models")),
        sa.UniqueConstraint(
            "rubric_pk", "version", name=op.f("uq_machine_models_rubric_pk_version")
        ),
    )
    with op.batch_alter_table("machine_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_machine_models_rubric_pk"), ["rubric_pk"], unique=False
        )
    op.create_table(
        "machine_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_pk", sa.Integer(), nullable=False),
        sa.Column("call_pk", sa.Integer(), nullable=False),
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_pk"], ["machine_models.id"],
            name=op.f("fk_machine_scores_model_pk_machine_models"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_pk"], ["calls.id"], name=op.f("fk_machine_scores_call_pk_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_scores")),
        sa.UniqueConstraint(
            "model_pk", "call_pk", "dimension",
            name=op.f("uq_machine_scores_model_pk_call_pk_dimension"),
        ),
    )
    with op.batch_alter_table("machine_scores", schema=None) as batch_op:
        batch_op.create_index("ix_machine_scores_call", ["call_pk", "model_pk"], unique=False)


    op.create_table(
        "machine_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_pk", sa.Integer(), nullable=False),
        sa.Column("call_pk", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_pk"], ["machine_models.id"],
            name=op.f("fk_machine_failures_model_pk_machine_models"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_pk"], ["calls.id"], name=op.f("fk_machine_failures_call_pk_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_machine_failures")),
        sa.UniqueConstraint(
            "model_pk", "call_pk", name=op.f("uq_machine_failures_model_pk_call_pk")
        ),
    )
    op.create_table(
        "machine_visibility",
        sa.Column("rubric_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("after_submit", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.PrimaryKeyConstraint("rubric_id", name=op.f("pk_machine_visibility")),
    )


def downgrade() -> None:
    op.drop_table("machine_visibility")
    op.drop_table("machine_failures")
    op.drop_table("machine_scores")
    op.drop_table("machine_models")
