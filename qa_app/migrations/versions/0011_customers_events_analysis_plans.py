"""customers, customer events, analysis plans; calls.customer_id

Customers are followed over time (onboarding, end, value, events such as renewals, NPS and
spend) so survival and panel models can relate calls to what happened next.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_calls_customer_id"), ["customer_id"], unique=False)
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("onboarded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("monthly_value", sa.Float(), nullable=True),
        sa.Column("imported_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_customer_id"), ["customer_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_customers_segment"), ["segment"], unique=False)
    op.create_table(
        "customer_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_pk", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_pk"],
            ["customers.id"],
            name=op.f("fk_customer_events_customer_pk_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_events")),
        sa.UniqueConstraint(
            "customer_pk", "at", "kind", name="uq_customer_events_customer_at_kind"
        ),
    )
    with op.batch_alter_table("customer_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_events_customer_pk"), ["customer_pk"])
        batch_op.create_index(batch_op.f("ix_customer_events_at"), ["at"])
        batch_op.create_index(batch_op.f("ix_customer_events_kind"), ["kind"])
    op.create_table(
        "analysis_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("amendments", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_analysis_plans_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_plans")),
    )
    with op.batch_alter_table("analysis_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_analysis_plans_name"), ["name"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("analysis_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_analysis_plans_name"))
    op.drop_table("analysis_plans")
    with op.batch_alter_table("customer_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_events_kind"))
        batch_op.drop_index(batch_op.f("ix_customer_events_at"))
        batch_op.drop_index(batch_op.f("ix_customer_events_customer_pk"))
    op.drop_table("customer_events")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_segment"))
        batch_op.drop_index(batch_op.f("ix_customers_customer_id"))
    op.drop_table("customers")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_customer_id"))
        batch_op.drop_column("customer_id")
