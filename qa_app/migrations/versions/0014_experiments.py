"""pre-registered experiments and agent exposures

Experiments (the plan's TOML, its content hash, draft or locked, the seed and time of the
assignment), their amendments (content, hash, reason), their units (stratum and arm) and the
exposure log of agents who received an intervention.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("locked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("locked_by", sa.Integer(), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_experiments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["locked_by"], ["users.id"], name=op.f("fk_experiments_locked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiments_name"), ["name"], unique=True)
    op.create_table(
        "experiment_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_amendments_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by"], ["users.id"], name=op.f("fk_experiment_amendments_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_amendments")),
    )
    with op.batch_alter_table("experiment_amendments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_experiment_amendments_experiment_id"), ["experiment_id"]
        )
    op.create_table(
        "experiment_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("stratum", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("arm", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_units_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_units")),
        sa.UniqueConstraint("experiment_id", "unit", name="uq_experiment_units_experiment_unit"),
    )
    with op.batch_alter_table("experiment_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiment_units_experiment_id"), ["experiment_id"])
    op.create_table(
        "agent_exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("intervention", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_exposures")),
        sa.UniqueConstraint(
            "agent", "intervention", "at", name="uq_agent_exposures_agent_intervention_at"
        ),
    )
    with op.batch_alter_table("agent_exposures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_exposures_agent"), ["agent"])
        batch_op.create_index(batch_op.f("ix_agent_exposures_intervention"), ["intervention"])


def downgrade() -> None:
    op.drop_table("agent_exposures")
    op.drop_table("experiment_units")
    op.drop_table("experiment_amendments")
    op.drop_table("experiments")
