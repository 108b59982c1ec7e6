"""sampling plans

Plans draw calls at random within strata; each drawn call keeps its stratum and inclusion
probability, so figures can be weighted back to the interaction mix by 1/π.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sampling_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("strata", sa.JSON(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("drawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("drawn_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sampling_plans_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["drawn_by"], ["users.id"], name=op.f("fk_sampling_plans_drawn_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampling_plans")),
    )
    with op.batch_alter_table("sampling_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sampling_plans_name"), ["name"], unique=True)
    op.create_table(
        "sampled_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("call_pk", sa.Integer(), nullable=False),
        sa.Column("stratum", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("stratum_population", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["sampling_plans.id"],
            name=op.f("fk_sampled_calls_plan_id_sampling_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_pk"],
            ["calls.id"],
            name=op.f("fk_sampled_calls_call_pk_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampled_calls")),
    )
    with op.batch_alter_table("sampled_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sampled_calls_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sampled_calls_call_pk"), ["call_pk"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("sampled_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sampled_calls_call_pk"))
        batch_op.drop_index(batch_op.f("ix_sampled_calls_plan_id"))
    op.drop_table("sampled_calls")
    with op.batch_alter_table("sampling_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sampling_plans_name"))
    op.drop_table("sampling_plans")
