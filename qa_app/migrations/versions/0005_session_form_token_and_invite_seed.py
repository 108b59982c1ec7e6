"""calibration session form tokens and invite seeds

A form token stops a form sent twice from creating two sessions; an invite seed lets the
session page show a new invite link once after a redirect.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("form_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_calibration_sessions_form_token"), ["form_token"]
        )
    with op.batch_alter_table("calibration_participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invite_seed", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("calibration_participants", schema=None) as batch_op:
        batch_op.drop_column("invite_seed")
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_calibration_sessions_form_token"), type_="unique")
        batch_op.drop_column("form_token")
