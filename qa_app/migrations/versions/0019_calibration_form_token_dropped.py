"""calibration sessions lose their own form token

The new-session form acts once through the shared form tokens (``form_submissions``, 0016),
as every form that makes something does; the session's own column is no longer read.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_calibration_sessions_form_token"), type_="unique")
        batch_op.drop_column("form_token")


def downgrade() -> None:
    with op.batch_alter_table("calibration_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("form_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_calibration_sessions_form_token"), ["form_token"]
        )
