"""outreach alerts, opt-outs and suppressions; calls.sentiment

Humane outreach (issue 15): alerts raised by the outreach rules with their reasons, assignment
and closing (pathway, credit, do-not-contact), opt-outs recorded in the app, and the customers
a guard held back on a day; the sentiment a call import may give.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sentiment", sa.Float(), nullable=True))
    op.create_table(
        "outreach_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("call_pk", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("rules_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("assigned_to", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("pathway", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("credit", sa.Float(), nullable=True),
        sa.Column("do_not_contact", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["call_pk"],
            ["calls.id"],
            name=op.f("fk_outreach_alerts_call_pk_calls"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_outreach_alerts_closed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_alerts")),
        sa.UniqueConstraint("customer_id", "day", name="uq_outreach_alerts_customer_day"),
    )
    with op.batch_alter_table("outreach_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outreach_alerts_customer_id"), ["customer_id"])
        batch_op.create_index(batch_op.f("ix_outreach_alerts_day"), ["day"])
        batch_op.create_index(batch_op.f("ix_outreach_alerts_team"), ["team"])
        batch_op.create_index(batch_op.f("ix_outreach_alerts_status"), ["status"])
    op.create_table(
        "outreach_opt_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["outreach_alerts.id"],
            name=op.f("fk_outreach_opt_outs_alert_id_outreach_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_outreach_opt_outs_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_opt_outs")),
    )
    with op.batch_alter_table("outreach_opt_outs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_opt_outs_customer_id"), ["customer_id"], unique=True
        )
    op.create_table(
        "outreach_suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_suppressions")),
        sa.UniqueConstraint("customer_id", "day", name="uq_outreach_suppressions_customer_day"),
    )
    with op.batch_alter_table("outreach_suppressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outreach_suppressions_customer_id"), ["customer_id"])
        batch_op.create_index(batch_op.f("ix_outreach_suppressions_day"), ["day"])


def downgrade() -> None:
    with op.batch_alter_table("outreach_suppressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_suppressions_day"))
        batch_op.drop_index(batch_op.f("ix_outreach_suppressions_customer_id"))
    op.drop_table("outreach_suppressions")
    with op.batch_alter_table("outreach_opt_outs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_opt_outs_customer_id"))
    op.drop_table("outreach_opt_outs")
    with op.batch_alter_table("outreach_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_outreach_alerts_team"))
        batch_op.drop_index(batch_op.f("ix_outreach_alerts_day"))
        batch_op.drop_index(batch_op.f("ix_outreach_alerts_customer_id"))
    op.drop_table("outreach_alerts")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("sentiment")
